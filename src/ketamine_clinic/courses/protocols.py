"""A treatment protocol: the shape of a course, as typed data.

Pure Python (no Django), so the scheduling engine can read a protocol without the web
framework. The numbers themselves live in ``protocols_data.py``, each beside the
reference that justifies it; this module only says what a protocol is and refuses one
that contradicts itself when it is imported (a typo fails the test run, not a course).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

# Sanity bounds on a titration step, against a typo in the data (10 written as 100, or
# 0.05 as 0.5), not clinical limits: the drug library's soft and hard limits judge every
# rate a step asks for (pharmacology.titration). 50 %: a larger change in one press is a
# new dose rate (the room's "set to"), not a step; and -100 % or less would stop the pump,
# which titration refuses. 0.25 mg/kg/h: a third of the standard 0.75 mg/kg/h (0.5 mg/kg
# over 40 min, pharmacology.md) and the top of the 0.1-0.25 mg/kg steps clinics take
# between sessions (clinical.md); no reference gives an in-session step (verify).
MAX_TITRATION_STEP_PERCENT: Final = 50
MAX_TITRATION_STEP_MG_PER_KG_PER_H: Final = 0.25


class InvalidProtocol(ValueError):
    """A protocol whose numbers contradict each other (a programming error in the data)."""


@dataclass(frozen=True, slots=True)
class BoosterRule:
    """When a single booster infusion may follow a completed course.

    ``min_days_after_course`` / ``max_days_after_course`` bound the first booster after
    the course's last infusion; ``min_days_between_boosters`` spaces boosters apart.
    """

    min_days_after_course: int
    max_days_after_course: int
    min_days_between_boosters: int

    def __post_init__(self) -> None:
        if not 0 < self.min_days_after_course <= self.max_days_after_course:
            raise InvalidProtocol("booster: need 0 < min_days_after_course <= max")
        if self.min_days_between_boosters <= 0:
            raise InvalidProtocol("booster: min_days_between_boosters must be positive")


@dataclass(frozen=True, slots=True)
class Protocol:
    """A course's plan: how many infusions, in what window, how far apart, how long each.

    Durations are minutes; doses are mg of ketamine base per kg. A course stores a
    snapshot of these values (``as_snapshot``) so a later change of the clinic's
    protocol never rewrites a course already under way.

    ``titration_steps_percent`` and ``titration_steps_mg_per_kg_per_h`` are the room's
    raise/lower buttons for a running infusion: a change of the current dose rate by
    that percentage, or by that many mg/kg/h (``pharmacology.titration.TitrationStep``).
    They belong to the protocol, so a course keeps the buttons it began with.
    """

    key: str
    label: str
    infusions: int
    window_days: int
    min_days_between: int
    max_days_between: int
    dose_mg_per_kg: float
    infusion_min: int
    infusion_min_allowed: int
    infusion_max_allowed: int
    recovery_min: int
    preparation_min: int
    booster: BoosterRule
    titration_steps_percent: tuple[int, ...]
    titration_steps_mg_per_kg_per_h: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        if self.infusions < 1:
            raise InvalidProtocol(f"{self.key}: a course has at least one infusion")
        if not 0 < self.min_days_between <= self.max_days_between:
            raise InvalidProtocol(f"{self.key}: need 0 < min_days_between <= max_days_between")
        # The whole course must fit its window at the shortest spacing.
        if (self.infusions - 1) * self.min_days_between + 1 > self.window_days:
            raise InvalidProtocol(f"{self.key}: {self.infusions} infusions cannot fit the window")
        if not self.infusion_min_allowed <= self.infusion_min <= self.infusion_max_allowed:
            raise InvalidProtocol(f"{self.key}: default duration outside the allowed range")
        if self.dose_mg_per_kg <= 0 or self.recovery_min <= 0 or self.preparation_min < 0:
            raise InvalidProtocol(f"{self.key}: dose and recovery must be positive")
        self._check_titration_steps()

    def _check_titration_steps(self) -> None:
        percent, absolute = self.titration_steps_percent, self.titration_steps_mg_per_kg_per_h
        # Either list may be empty (a clinic may titrate by percent only), not both: the
        # room would have no raise or lower button.
        if not percent and not absolute:
            raise InvalidProtocol(f"{self.key}: give at least one titration step")
        for steps, bound, unit in (
            (percent, MAX_TITRATION_STEP_PERCENT, "%"),
            (absolute, MAX_TITRATION_STEP_MG_PER_KG_PER_H, " mg/kg/h"),
        ):
            if len(set(steps)) != len(steps):
                raise InvalidProtocol(f"{self.key}: a titration step is listed twice")
            for step in steps:
                if isinstance(step, bool) or not isinstance(step, int | float):
                    raise InvalidProtocol(f"{self.key}: titration step {step!r} is not a number")
                if step == 0:
                    raise InvalidProtocol(f"{self.key}: a titration step of 0 changes nothing")
                if not abs(step) <= bound:
                    raise InvalidProtocol(
                        f"{self.key}: titration step {step:+g}{unit} is beyond ±{bound:g}{unit}"
                    )

    @property
    def chair_min(self) -> int:
        """Minutes a chair is taken by one visit: preparation, infusion and recovery."""
        return self.preparation_min + self.infusion_min + self.recovery_min

    def as_snapshot(self) -> dict[str, Any]:
        """The protocol as plain JSON values, for the course row."""
        return asdict(self)
