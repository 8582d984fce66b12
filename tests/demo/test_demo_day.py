"""The demo day: today's visits in several states across four rooms, made once."""

from __future__ import annotations

import pytest

from ketamine_clinic.clinicday.selectors import day_visits
from ketamine_clinic.demo.day import seed_demo_day
from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent
from ketamine_clinic.recovery.selectors import discharge_criteria
from ketamine_clinic.visits.checks import clinic_date
from ketamine_clinic.visits.models import Visit

pytestmark = pytest.mark.django_db


def test_the_demo_day_has_visits_in_each_state_across_rooms() -> None:
    seed_demo_clinic()
    visits = {visit.patient.legal_first_name: visit for visit in Visit.objects.all()}
    states = {name: visit.state for name, visit in visits.items()}
    assert states == {
        "Casey": "infusing",
        "Quinn": "recovery",
        "Taylor": "checked_in",
        "Rowan": "scheduled",
        "Harper": "cancelled",
    }
    assert {visit.room.name for visit in visits.values() if visit.room is not None} == {
        "Room 1",
        "Room 2",
        "Room 3",
        "Room 4",
    }
    assert AdverseEvent.objects.filter(visit=visits["Casey"]).exists()
    kinds = list(PumpEvent.objects.filter(visit=visits["Casey"]).values_list("kind", flat=True))
    assert kinds == ["start", "rate_change"]
    # Only the minimum recovery time is left before Quinn can go home.
    unmet = [c.label for c in discharge_criteria(visits["Quinn"]) if not c.met]
    assert len(unmet) == 1 and unmet[0].startswith("Minimum recovery")


def test_seeding_again_adds_nothing() -> None:
    seed_demo_clinic()
    count = Visit.objects.count()
    assert seed_demo_day() == 0
    assert Visit.objects.count() == count


def test_the_day_view_lists_them(personas: dict[str, object]) -> None:
    seed_demo_clinic()
    visit = Visit.objects.first()
    assert visit is not None
    from ketamine_clinic.accounts.models import User

    nurse = User.objects.get(username="nurse")
    rooms = day_visits(day=clinic_date(visit.scheduled_start), by=nurse)
    assert [room.label for room in rooms][:1] == ["Room 1"]


def test_every_demo_visit_page_opens() -> None:
    from ketamine_clinic.accounts.models import User
    from tests.conftest import client_for

    seed_demo_clinic()
    client = client_for(User.objects.get(username="nurse"))
    assert client.get("/today/").status_code == 200
    for visit in Visit.objects.all():
        for suffix in ("", "room", "discharge-sheet"):
            assert client.get(f"/visits/{visit.pk}/{suffix}").status_code == 200
