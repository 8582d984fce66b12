"""The visit's state machine: states, the allowed transitions and who may make each.

Pure Python (no Django): the table is data that the service, the future room page and
the property tests all read, and nothing else decides what may follow what. Roles are
the string values of ``accounts.enums.Role`` (a test checks they exist), kept as
strings so this module imports nothing from Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class State(StrEnum):
    """Where a visit is. ``visits.enums.VisitState`` mirrors these values for the models."""

    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    CHECKS_DONE = "checks_done"
    READY = "ready"
    INFUSING = "infusing"
    PAUSED = "paused"
    RECOVERY = "recovery"
    DISCHARGED = "discharged"
    CANCELLED = "cancelled"
    DID_NOT_ATTEND = "did_not_attend"
    ABORTED = "aborted"


FRONT_DESK: Final = "front_desk"
NURSE: Final = "nurse"
PRESCRIBER: Final = "prescriber"

# Front desk works the diary; the clinical steps belong to nurses and prescribers.
DESK_AND_CLINICAL: Final = frozenset({FRONT_DESK, NURSE, PRESCRIBER})
CLINICAL: Final = frozenset({NURSE, PRESCRIBER})


@dataclass(frozen=True, slots=True)
class Rule:
    """What one transition needs: a role among ``roles``, a reason, a dose given so far."""

    roles: frozenset[str]
    reason_required: bool = False
    dose_required: bool = False


_ENDED_WITH_REASON = Rule(DESK_AND_CLINICAL, reason_required=True)
_ABORT_BEFORE_INFUSION = Rule(CLINICAL, reason_required=True)
# Aborting once the pump has run must say how much was given: it is controlled-
# substance record and the next dose decision both need it.
_ABORT_DURING_INFUSION = Rule(CLINICAL, reason_required=True, dose_required=True)

TRANSITIONS: Final[Mapping[tuple[State, State], Rule]] = MappingProxyType(
    {
        (State.SCHEDULED, State.CHECKED_IN): Rule(DESK_AND_CLINICAL),
        (State.CHECKED_IN, State.CHECKS_DONE): Rule(CLINICAL),
        (State.CHECKS_DONE, State.READY): Rule(CLINICAL),
        (State.READY, State.INFUSING): Rule(CLINICAL),
        (State.INFUSING, State.PAUSED): Rule(CLINICAL),
        (State.PAUSED, State.INFUSING): Rule(CLINICAL),
        (State.INFUSING, State.RECOVERY): Rule(CLINICAL),
        # An infusion paused and then ended early (not aborted) still goes to recovery.
        (State.PAUSED, State.RECOVERY): Rule(CLINICAL),
        (State.RECOVERY, State.DISCHARGED): Rule(CLINICAL),
        (State.SCHEDULED, State.CANCELLED): _ENDED_WITH_REASON,
        (State.CHECKED_IN, State.CANCELLED): _ENDED_WITH_REASON,
        (State.SCHEDULED, State.DID_NOT_ATTEND): _ENDED_WITH_REASON,
        (State.CHECKED_IN, State.ABORTED): _ABORT_BEFORE_INFUSION,
        (State.CHECKS_DONE, State.ABORTED): _ABORT_BEFORE_INFUSION,
        (State.READY, State.ABORTED): _ABORT_BEFORE_INFUSION,
        (State.INFUSING, State.ABORTED): _ABORT_DURING_INFUSION,
        (State.PAUSED, State.ABORTED): _ABORT_DURING_INFUSION,
    }
)

TERMINAL_STATES: Final = frozenset(
    state for state in State if not any(start == state for start, _ in TRANSITIONS)
)


class TransitionRefused(Exception):
    """A transition the table or its rule does not allow; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalVisitTransition(TransitionRefused):
    """No transition from ``from_state`` to ``to_state`` exists in the table."""

    def __init__(self, from_state: str, to_state: str) -> None:
        allowed = ", ".join(str(state) for state in allowed_next(from_state)) or "nothing"
        super().__init__(
            f"A visit cannot go from {from_state} to {to_state} (from {from_state}: {allowed})."
        )
        self.from_state = from_state
        self.to_state = to_state


class RoleNotAllowed(TransitionRefused):
    """The person's roles do not include one the transition needs."""


class ReasonRequired(TransitionRefused):
    """Cancelling, a did-not-attend and an abort each need a reason."""


class DoseRequired(TransitionRefused):
    """An abort during an infusion needs the dose given so far, in mg."""


class DoseNotApplicable(TransitionRefused):
    """A dose was given for a transition that records none."""


DOSE_MAX_MG: Final = Decimal(1000)  # far above any session (1.5 mg/kg hard limit x 300 kg)


def _as_state(value: str) -> State | None:
    try:
        return State(value)
    except ValueError:
        return None


def allowed_next(from_state: str) -> list[State]:
    """The states a visit in ``from_state`` may move to, in the table's order."""
    return [to for (start, to) in TRANSITIONS if start == from_state]


def check_transition(
    from_state: str,
    to_state: str,
    *,
    roles: Iterable[str],
    reason: str = "",
    dose_given_mg: Decimal | None = None,
) -> Rule:
    """The rule for the move, or the first reason it is refused (a TransitionRefused).

    Checked in this order: the table, the role, the reason, the dose, so the message
    names the most basic problem first.
    """
    start, end = _as_state(from_state), _as_state(to_state)
    rule = TRANSITIONS.get((start, end)) if start is not None and end is not None else None
    if rule is None:
        raise IllegalVisitTransition(from_state, to_state)
    if not rule.roles & set(roles):
        needed = " or ".join(sorted(role.replace("_", " ") for role in rule.roles))
        raise RoleNotAllowed(f"Moving a visit from {from_state} to {to_state} needs a {needed}.")
    if rule.reason_required and not reason.strip():
        raise ReasonRequired(f"Say why the visit goes from {from_state} to {to_state}.")
    if rule.dose_required:
        if dose_given_mg is None:
            raise DoseRequired(
                f"Aborting a visit that is {from_state} needs the dose given so far, in mg."
            )
        if not dose_given_mg.is_finite() or not Decimal(0) <= dose_given_mg <= DOSE_MAX_MG:
            raise DoseRequired(f"The dose given so far must be between 0 and {DOSE_MAX_MG} mg.")
    elif dose_given_mg is not None:
        raise DoseNotApplicable(
            f"Only an abort during an infusion records a dose; {from_state} to {to_state} does not."
        )
    return rule
