"""The demo's generated past: there once, beside today's demo day, and fast."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketamine_clinic.audit.context import AuditContext, audit_context
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.demo.day import DEMO_DAY
from ketamine_clinic.demo.history import HISTORY_INFUSIONS, HISTORY_PATIENTS
from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.checks import clinic_date
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

pytestmark = pytest.mark.django_db

LATE_MORNING = datetime(2026, 3, 10, 11, 30, tzinfo=ZoneInfo("America/New_York"))
DEMO_PATIENTS = 14


def test_the_demo_command_seeds_the_past_once_beside_today() -> None:
    # `ketamine-clinic demo` seeds with history=True, under its own audit channel.
    demo_command = AuditContext(request_id="r", client_address="", channel="cli:demo")
    with time_machine.travel(LATE_MORNING, tick=False), audit_context(demo_command):
        seed_demo_clinic(history=True)
        seed_demo_clinic(history=True)  # again: nothing more
    assert Patient.objects.count() == DEMO_PATIENTS + HISTORY_PATIENTS
    assert AuditEntry.objects.filter(object_type="generated_clinic").count() == 1
    generated = Visit.objects.filter(patient__created_by__username="gen-desk-1")
    past = generated.filter(state=VisitState.DISCHARGED)
    assert past.count() == HISTORY_INFUSIONS
    today = clinic_date(LATE_MORNING)
    # Today's rooms belong to the demo day: no generated visit is booked today.
    assert not generated.filter(scheduled_start__date=today).exists()
    assert Visit.objects.filter(scheduled_start__date=today).count() == len(DEMO_DAY)
    assert audit_chain_verify()[1] is None


def test_seeding_the_demo_directly_leaves_the_past_out_unless_asked() -> None:
    with time_machine.travel(LATE_MORNING, tick=False):
        seed_demo_clinic()
    assert Patient.objects.count() == DEMO_PATIENTS
    assert not AuditEntry.objects.filter(object_type="generated_clinic").exists()
