"""A visit on the pump, and one in recovery, for the room and recovery page tests."""

from __future__ import annotations

from datetime import timedelta

from ketamine_clinic.accounts.models import User
from ketamine_clinic.infusion.services import infusion_start, infusion_stop
from ketamine_clinic.visits.models import Visit
from tests.infusion.support import at, make_ready_visit, prepared
from tests.visits.support import frozen


def infusing_visit(personas: dict[str, User]) -> Visit:
    """Started at NOW (09:30 clinic time), 0.5 mg/kg over 55 min."""
    visit = make_ready_visit(personas)
    prepared(visit, personas)
    with frozen():
        infusion_start(visit, by=personas["nurse"])
    visit.refresh_from_db()
    return visit


def recovering_visit(personas: dict[str, User]) -> Visit:
    """Infused for 55 min, stopped at NOW + 55 min."""
    visit = infusing_visit(personas)
    with frozen(at(55)):
        infusion_stop(visit, by=personas["nurse"])
    visit.refresh_from_db()
    return visit


AFTER_RECOVERY = timedelta(minutes=55 + 61)
