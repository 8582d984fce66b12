"""record_risk_assessment: only a prescriber, with a note; it lifts the block on infusions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.enums import RiskFlagStatus
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.selectors import infusion_blocked_by_risk
from ketamine_clinic.assessments.services import (
    RISK_ASSESSMENT_NEEDS_PRESCRIBER,
    RISK_ASSESSMENT_NOTE_REQUIRED,
    RISK_FLAG_ALREADY_ASSESSED,
    record_response,
    record_risk_assessment,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient

NOTE = "Passive thoughts only, no plan or intent; safety plan reviewed. Proceed with infusion 3."
ASSESSED_AT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def flag(patient: Patient, nurse: User) -> RiskFlag:
    record_response(patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], actor=nurse, channel="staff")
    return RiskFlag.objects.get()


def test_an_open_flag_blocks_the_infusion_until_a_prescriber_assesses_it(
    patient: Patient, flag: RiskFlag, prescriber: User
) -> None:
    assert infusion_blocked_by_risk(patient) is True
    with time_machine.travel(ASSESSED_AT, tick=False):
        assessed = record_risk_assessment(flag, actor=prescriber, note=NOTE)
    assessed.refresh_from_db()
    assert (assessed.status, assessed.assessed_by, assessed.assessed_at) == (
        RiskFlagStatus.ASSESSED,
        prescriber,
        ASSESSED_AT,
    )
    assert assessed.assessment_note == NOTE
    assert infusion_blocked_by_risk(patient) is False


def test_a_patient_without_flags_is_not_blocked(patient: Patient, nurse: User) -> None:
    record_response(patient, "phq9", [3] * 8 + [0], actor=nurse, channel="staff")
    assert infusion_blocked_by_risk(patient) is False


def test_every_open_flag_must_be_assessed(
    patient: Patient, flag: RiskFlag, nurse: User, prescriber: User
) -> None:
    record_response(
        patient, "cssrs_screener", [1, 0, None, None, None, 0, None], actor=nurse, channel="staff"
    )
    record_risk_assessment(flag, actor=prescriber, note=NOTE)
    assert infusion_blocked_by_risk(patient) is True


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PRESCRIBER])
def test_no_other_role_may_assess(
    personas: dict[str, User], patient: Patient, flag: RiskFlag, role: Role
) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied) as caught:
        record_risk_assessment(flag, actor=personas[role.value], note=NOTE)
    assert str(caught.value) == RISK_ASSESSMENT_NEEDS_PRESCRIBER
    flag.refresh_from_db()
    assert flag.status == RiskFlagStatus.OPEN
    assert AuditEntry.objects.count() == before
    assert infusion_blocked_by_risk(patient) is True


def test_a_deactivated_prescriber_may_not_assess(flag: RiskFlag, prescriber: User) -> None:
    prescriber.is_active = False
    with pytest.raises(PermissionDenied):
        record_risk_assessment(flag, actor=prescriber, note=NOTE)


@pytest.mark.parametrize("note", ["", "   \n "])
def test_a_note_is_required(flag: RiskFlag, prescriber: User, note: str) -> None:
    with pytest.raises(ValidationError) as caught:
        record_risk_assessment(flag, actor=prescriber, note=note)
    assert caught.value.message_dict == {"note": [RISK_ASSESSMENT_NOTE_REQUIRED]}
    flag.refresh_from_db()
    assert flag.status == RiskFlagStatus.OPEN


def test_a_flag_is_assessed_once(flag: RiskFlag, prescriber: User) -> None:
    record_risk_assessment(flag, actor=prescriber, note=NOTE)
    with pytest.raises(ValidationError) as caught:
        record_risk_assessment(flag, actor=prescriber, note="second look")
    assert caught.value.messages == [RISK_FLAG_ALREADY_ASSESSED]


def test_the_assessment_is_audited_with_its_note(
    patient: Patient, flag: RiskFlag, prescriber: User
) -> None:
    record_risk_assessment(flag, actor=prescriber, note=NOTE)
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry is not None
    assert (entry.action, entry.object_type, entry.object_id, entry.patient_id) == (
        AuditAction.UPDATE,
        "risk_flag",
        str(flag.pk),
        str(patient.pk),
    )
    assert entry.actor_id == prescriber.pk
    assert entry.reason == NOTE
    assert entry.detail == {"status": "assessed", "kind": "phq9_item9", "level": "positive"}
