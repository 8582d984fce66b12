"""What other apps require before a visit may enter a state, beyond the transition table.

The table (``state_machine``) says which moves exist and who may make them; some moves
also depend on records other apps keep: the pump may start only on a verified syringe
(``orders``), a patient leaves only when the discharge criteria are met and every
syringe drawn for the visit has been accounted for (``recovery``).
Those apps sit above this one (their rows point at visits), so their guards are named
here and imported when a transition is made; a guard that cannot be found is a
configuration error, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from ketamine_clinic.late_import import late_callable
from ketamine_clinic.visits.enums import VisitState

if TYPE_CHECKING:
    from ketamine_clinic.visits.models import Visit

# target state -> guards, each `guard(visit, *, from_state) -> list[str]` of problems.
GUARDS: Final[Mapping[VisitState, tuple[str, ...]]] = {
    VisitState.INFUSING: ("ketamine_clinic.orders.selectors.infusion_start_problems",),
    VisitState.DISCHARGED: (
        "ketamine_clinic.recovery.selectors.discharge_problems",
        "ketamine_clinic.recovery.selectors.discharge_stock_problems",
    ),
}


def guard_problems(visit: Visit, target: VisitState, *, from_state: str) -> list[str]:
    """Every problem the guards of ``target`` find, in order (empty: the move may go)."""
    problems: list[str] = []
    for path in GUARDS.get(target, ()):
        problems.extend(
            late_callable(path, role="visit transition guard")(visit, from_state=from_state)
        )
    return problems
