"""On PostgreSQL, two members of staff pressing "check in" at once: one wins, one is refused.

The presses run in threads on their own connections and really commit, as in
tests/audit/test_audit_concurrency.py (whose helpers this reuses): the first holds its
transaction open until the second is seen waiting for the visit's row lock, so the
second must read the state the first committed. Without ``select_for_update`` both
would read "scheduled" and both would succeed. The committed rows are removed after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django.db import transaction

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import RoleGrant, User
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit, VisitTransition
from ketamine_clinic.visits.services import visit_transition
from ketamine_clinic.visits.state_machine import IllegalVisitTransition
from tests.audit.test_audit_concurrency import (
    TIMEOUT_S,
    Worker,
    backend_pid,
    on_own_connection,
    waiting_for_a_lock,
    wipe_committed_trail,
)

AT = datetime(2026, 3, 10, 13, 30, tzinfo=UTC)


def _committed_setup() -> tuple[int, int, int]:
    """A visit and two staff, committed (no audit entries: rows made directly)."""
    with transaction.atomic():
        desk = User.objects.create(username="race_desk", first_name="Race", last_name="Desk")
        nurse = User.objects.create(username="race_nurse", first_name="Race", last_name="Nurse")
        RoleGrant.objects.create(user=desk, role=Role.FRONT_DESK, granted_at=AT)
        RoleGrant.objects.create(user=nurse, role=Role.NURSE, granted_at=AT)
        patient = Patient.objects.create(
            mrn="KC999001",
            legal_first_name="Race",
            legal_last_name="Testpatient",
            date_of_birth=date(1980, 1, 1),
            sex_at_birth="female",
            created_at=AT,
        )
        visit = Visit.objects.create(
            patient=patient,
            scheduled_start=AT,
            planned_preparation_min=20,
            planned_infusion_min=55,
            planned_recovery_min=30,
            created_at=AT,
            state=VisitState.SCHEDULED,
            state_changed_at=AT,
        )
    return visit.pk, desk.pk, nurse.pk


def _remove_committed() -> None:
    wipe_committed_trail()
    with transaction.atomic():
        VisitTransition.objects.filter(visit__patient__mrn="KC999001").delete()
        Visit.objects.filter(patient__mrn="KC999001").delete()
        Patient.objects.filter(mrn="KC999001").delete()
        RoleGrant.objects.filter(user__username__startswith="race_").delete()
        User.objects.filter(username__startswith="race_").delete()


@pytest.fixture
def committed() -> Iterator[tuple[int, int, int]]:
    ids = on_own_connection(_committed_setup)
    yield ids
    on_own_connection(_remove_committed)


@pytest.mark.postgres
def test_two_check_ins_at_once_leave_one_transition(committed: tuple[int, int, int]) -> None:
    visit_id, desk_id, nurse_id = committed
    a_done, release_a, b_ready = threading.Event(), threading.Event(), threading.Event()
    b_pid: list[int] = []

    def press_a() -> str:
        with transaction.atomic():
            visit = visit_transition(
                Visit.objects.get(pk=visit_id),
                VisitState.CHECKED_IN,
                by=User.objects.get(pk=desk_id),
            )
            a_done.set()
            assert release_a.wait(TIMEOUT_S)
        return visit.state

    def press_b() -> str:
        stale = Visit.objects.get(pk=visit_id)  # read while A's change is uncommitted
        b_pid.append(backend_pid())
        b_ready.set()
        return visit_transition(
            stale, VisitState.CHECKED_IN, by=User.objects.get(pk=nurse_id)
        ).state

    a, b = Worker(press_a), Worker(press_b)
    a.start()
    assert a_done.wait(TIMEOUT_S)
    b.start()
    assert b_ready.wait(TIMEOUT_S)
    deadline = time.monotonic() + TIMEOUT_S
    while not waiting_for_a_lock(b_pid[0]):
        assert time.monotonic() < deadline, "the second press never waited for the first"
        assert b.is_alive(), "the second press finished while the first held its lock"
        time.sleep(0.02)
    release_a.set()

    assert a.outcome() == VisitState.CHECKED_IN
    with pytest.raises(IllegalVisitTransition, match="from checked_in to checked_in"):
        b.outcome()
    transitions = on_own_connection(
        lambda: list(
            VisitTransition.objects.filter(visit_id=visit_id).values_list("by_id", flat=True)
        )
    )
    assert transitions == [desk_id]
