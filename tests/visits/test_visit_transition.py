"""visit_transition: who and when, one row per change, audit, refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.visits import services as visit_services
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit, VisitTransition
from ketamine_clinic.visits.services import visit_transition
from ketamine_clinic.visits.state_machine import IllegalVisitTransition
from tests.visits.support import NOW, frozen, record_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _other_apps_guards_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The syringe and discharge guards have their own tests (orders, recovery); here
    only the transition's bookkeeping is under test."""
    monkeypatch.setattr(visit_services, "guard_problems", lambda visit, target, from_state: [])


def _walk_to_infusing(visit: Visit, desk: User, nurse: User) -> Visit:
    record_everything(visit, nurse)
    with frozen():
        visit = visit_transition(visit, VisitState.CHECKED_IN, by=desk)
        visit = visit_transition(visit, VisitState.CHECKS_DONE, by=nurse)
        visit = visit_transition(visit, VisitState.READY, by=nurse)
    with frozen(NOW + timedelta(minutes=30)):
        return visit_transition(visit, VisitState.INFUSING, by=nurse)


def test_a_whole_visit_records_each_step_with_who_and_when(
    visit: Visit, desk: User, nurse: User, prescriber: User
) -> None:
    visit = _walk_to_infusing(visit, desk, nurse)
    with frozen(NOW + timedelta(minutes=40)):
        visit = visit_transition(visit, VisitState.PAUSED, by=nurse)
    with frozen(NOW + timedelta(minutes=45)):
        visit = visit_transition(visit, VisitState.INFUSING, by=nurse)
    with frozen(NOW + timedelta(minutes=90)):
        visit = visit_transition(visit, VisitState.RECOVERY, by=nurse)
    with frozen(NOW + timedelta(minutes=125)):
        visit = visit_transition(visit, VisitState.DISCHARGED, by=prescriber)
    stored = Visit.objects.get(pk=visit.pk)
    assert stored.state == VisitState.DISCHARGED
    assert (stored.checked_in_at, stored.checked_in_by) == (NOW, desk)
    # The first start is kept; the resumption after the pause is in the transitions.
    assert stored.infusion_started_at == NOW + timedelta(minutes=30)
    assert (stored.discharged_at, stored.discharged_by) == (
        NOW + timedelta(minutes=125),
        prescriber,
    )
    path = list(VisitTransition.objects.filter(visit=visit).values_list("from_state", "to_state"))
    assert path == [
        ("scheduled", "checked_in"),
        ("checked_in", "checks_done"),
        ("checks_done", "ready"),
        ("ready", "infusing"),
        ("infusing", "paused"),
        ("paused", "infusing"),
        ("infusing", "recovery"),
        ("recovery", "discharged"),
    ]
    entries = AuditEntry.objects.filter(object_type="visit", object_id=str(visit.pk)).order_by(
        "seq"
    )
    assert [(e.detail.get("from"), e.detail.get("to")) for e in entries][1:] == path
    assert all(e.patient_id == str(visit.patient_id) for e in entries)


def test_an_illegal_transition_names_the_states_and_changes_nothing(
    visit: Visit, nurse: User
) -> None:
    entries = AuditEntry.objects.count()
    with frozen(), pytest.raises(IllegalVisitTransition, match="from scheduled to infusing"):
        visit_transition(visit, VisitState.INFUSING, by=nurse)
    assert Visit.objects.get(pk=visit.pk).state == VisitState.SCHEDULED
    assert not VisitTransition.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_the_front_desk_cannot_start_an_infusion_or_abort(
    visit: Visit, desk: User, nurse: User
) -> None:
    visit = _walk_to_infusing(visit, desk, nurse)
    with frozen(), pytest.raises(PermissionDenied, match="needs a nurse or prescriber"):
        visit_transition(visit, VisitState.ABORTED, by=desk, reason="x", dose_given_mg=5)
    with frozen(), pytest.raises(PermissionDenied):
        visit_transition(visit, VisitState.PAUSED, by=desk)


def test_an_inactive_account_moves_nothing(visit: Visit, desk: User) -> None:
    desk.is_active = False
    with frozen(), pytest.raises(PermissionDenied):
        visit_transition(visit, VisitState.CHECKED_IN, by=desk)


def test_cancelling_needs_a_reason_and_keeps_it(visit: Visit, desk: User) -> None:
    with frozen(), pytest.raises(ValidationError) as refused:
        visit_transition(visit, VisitState.CANCELLED, by=desk, reason="  ")
    assert list(refused.value.message_dict) == ["reason"]
    with frozen():
        cancelled = visit_transition(
            visit, VisitState.CANCELLED, by=desk, reason="Patient unwell, rebooking"
        )
    assert (cancelled.end_reason, cancelled.ended_by, cancelled.ended_at) == (
        "Patient unwell, rebooking",
        desk,
        NOW,
    )
    with frozen(), pytest.raises(IllegalVisitTransition, match="from cancelled to checked_in"):
        visit_transition(cancelled, VisitState.CHECKED_IN, by=desk)


def test_an_abort_during_the_infusion_records_the_dose_given(
    visit: Visit, desk: User, nurse: User
) -> None:
    visit = _walk_to_infusing(visit, desk, nurse)
    with frozen(), pytest.raises(ValidationError) as refused:
        visit_transition(visit, VisitState.ABORTED, by=nurse, reason="Persistent vomiting")
    assert list(refused.value.message_dict) == ["dose_given_mg"]
    with frozen(NOW + timedelta(minutes=50)):
        aborted = visit_transition(
            visit,
            VisitState.ABORTED,
            by=nurse,
            reason="Persistent vomiting",
            dose_given_mg=Decimal("18.4"),
        )
    assert aborted.dose_given_before_abort_mg == Decimal("18.40")
    last = VisitTransition.objects.filter(visit=visit).last()
    assert last is not None and (last.to_state, last.dose_given_mg, last.reason) == (
        "aborted",
        Decimal("18.40"),
        "Persistent vomiting",
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.detail["dose_given_mg"] == "18.40"


def test_a_stale_copy_cannot_repeat_a_transition_another_person_made(
    visit: Visit, desk: User, nurse: User
) -> None:
    """Two people open the same visit; the second press finds it already checked in.
    The service re-reads the state under the row lock, so the stale copy is no help."""
    first, second = Visit.objects.get(pk=visit.pk), Visit.objects.get(pk=visit.pk)
    with frozen():
        visit_transition(first, VisitState.CHECKED_IN, by=desk)
        with pytest.raises(IllegalVisitTransition, match="from checked_in to checked_in"):
            visit_transition(second, VisitState.CHECKED_IN, by=nurse)
    assert VisitTransition.objects.filter(visit=visit).count() == 1
