"""A treatment protocol: the shape of a course, as typed data.

Pure Python (no Django), so the scheduling engine can read a protocol without the web
framework. The numbers themselves live in ``protocols_data.py``, each beside the
reference that justifies it; this module only says what a protocol is and refuses one
that contradicts itself when it is imported (a typo fails the test run, not a course).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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

    @property
    def chair_min(self) -> int:
        """Minutes a chair is taken by one visit: preparation, infusion and recovery."""
        return self.preparation_min + self.infusion_min + self.recovery_min

    def as_snapshot(self) -> dict[str, Any]:
        """The protocol as plain JSON values, for the course row."""
        return asdict(self)
