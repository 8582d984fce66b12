"""record_decision: prescribers only, a note always, an explicit reason to override."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.users import user_deactivate
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.enums import EligibilityDecisionKind, ScreeningOutcome
from ketamine_clinic.screening.facts import BloodPressure
from ketamine_clinic.screening.models import EligibilityDecision, ScreeningAssessment
from ketamine_clinic.screening.rules_data import DEFAULT_RULES
from ketamine_clinic.screening.selectors import current_decision
from ketamine_clinic.screening.services import (
    DECISION_NOT_LATEST,
    DECISION_NOTE_REQUIRED,
    DECISION_OVERRIDE_REASON_REQUIRED,
    DECISION_PRESCRIBER_ONLY,
    DECISION_UNKNOWN,
    OVERRIDE_REASON_MIN_CHARS,
    record_decision,
    record_screening,
)
from tests.conftest import make_staff
from tests.patients.factories import make_patient
from tests.screening.support import clear_answers

pytestmark = pytest.mark.django_db

OVERRIDE_MESSAGE = DECISION_OVERRIDE_REASON_REQUIRED.format(minimum=OVERRIDE_REASON_MIN_CHARS)


def _screen(patient: Patient, **answers: str) -> ScreeningAssessment:
    return record_screening(
        patient,
        {**clear_answers(), **answers},
        actor=None,
        channel="kiosk",
        blood_pressure=BloodPressure(120, 80),
    )


def _decisions_and_entries() -> tuple[int, int]:
    return EligibilityDecision.objects.count(), AuditEntry.objects.count()


def test_a_prescriber_decides_and_the_decision_is_audited(personas: dict[str, User]) -> None:
    prescriber = personas["prescriber"]
    assessment = _screen(make_patient(), glaucoma="yes")
    decision = record_decision(
        assessment,
        actor=prescriber,
        decision=EligibilityDecisionKind.ELIGIBLE_WITH_CONDITIONS,
        note="Eye pressure checked by ophthalmology last month; recheck after course.",
    )
    decision.refresh_from_db()
    assert decision.patient_id == assessment.patient_id
    assert decision.decided_by == prescriber
    assert decision.decision == EligibilityDecisionKind.ELIGIBLE_WITH_CONDITIONS
    assert decision.assessment_outcome == ScreeningOutcome.NEEDS_REVIEW
    assert decision.rules_version == assessment.rules_version
    assert decision.overrides_rules is False
    assert decision.supersedes is None
    (entry,) = AuditEntry.objects.filter(object_type="eligibility_decision")
    assert entry.action == AuditAction.CREATE
    assert entry.actor == prescriber
    assert entry.patient_id == str(assessment.patient_id)
    assert entry.reason == decision.note
    assert entry.detail == {
        "assessment_id": assessment.pk,
        "decision": "eligible_with_conditions",
        "assessment_outcome": "needs_review",
        "rules_version": assessment.rules_version,
        "overrides_rules": False,
        "supersedes": None,
    }


@pytest.mark.parametrize("role", ["nurse", "front_desk", "clinic_lead", "administrator", "no_role"])
def test_only_a_prescriber_may_decide(personas: dict[str, User], role: str) -> None:
    assessment = _screen(make_patient())
    before = _decisions_and_entries()
    with pytest.raises(PermissionDenied, match=DECISION_PRESCRIBER_ONLY):
        record_decision(
            assessment, actor=personas[role], decision="eligible", note="Looks fine to me."
        )
    assert _decisions_and_entries() == before


def test_a_nurse_who_is_also_a_prescriber_may_decide() -> None:
    both = make_staff("np_dual", Role.NURSE, Role.PRESCRIBER)
    decision = record_decision(
        _screen(make_patient()), actor=both, decision="eligible", note="Reviewed in clinic."
    )
    assert decision.decided_by == both


def test_a_deactivated_prescriber_cannot_decide(personas: dict[str, User]) -> None:
    prescriber = personas["prescriber"]
    user_deactivate(user=prescriber, by=personas["administrator"])
    prescriber.refresh_from_db()
    with pytest.raises(PermissionDenied):
        record_decision(
            _screen(make_patient()), actor=prescriber, decision="eligible", note="Reviewed."
        )


@pytest.mark.parametrize(
    ("decision", "note", "field", "message"),
    [
        ("eligible", "", "note", DECISION_NOTE_REQUIRED),
        ("eligible", "   \n ", "note", DECISION_NOTE_REQUIRED),
        ("approved", "Reviewed.", "decision", DECISION_UNKNOWN),
        ("eligible", "bad \x00 note", "note", None),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    personas: dict[str, User], decision: str, note: str, field: str, message: str | None
) -> None:
    assessment = _screen(make_patient())
    before = _decisions_and_entries()
    with pytest.raises(ValidationError) as caught:
        record_decision(assessment, actor=personas["prescriber"], decision=decision, note=note)
    assert list(caught.value.message_dict) == [field]
    if message is not None:
        assert caught.value.message_dict[field] == [message]
    assert _decisions_and_entries() == before


@pytest.mark.parametrize(
    "note",
    [
        "History reviewed, fine.",
        "Override: ok",
        "Override: reviewed.",  # under the minimum length
        "I override the rules because I know the patient well.",  # not on an Override: line
    ],
)
def test_eligible_on_a_not_eligible_screening_needs_an_explicit_override_reason(
    personas: dict[str, User], note: str
) -> None:
    assessment = _screen(make_patient(), schizophrenia="yes")
    assert assessment.outcome == ScreeningOutcome.NOT_ELIGIBLE
    before = _decisions_and_entries()
    for kind in ("eligible", "eligible_with_conditions"):
        with pytest.raises(ValidationError) as caught:
            record_decision(assessment, actor=personas["prescriber"], decision=kind, note=note)
        assert caught.value.message_dict == {"note": [OVERRIDE_MESSAGE]}
    assert _decisions_and_entries() == before


def test_an_override_with_its_reason_is_accepted_and_marked(personas: dict[str, User]) -> None:
    assessment = _screen(make_patient(), schizophrenia="yes")
    note = (
        "Spoke with the patient and her psychiatrist.\n"
        "override: patient misread the question; no psychotic illness ever diagnosed "
        "(psychiatrist's letter of 2026-11-20)."
    )
    decision = record_decision(
        assessment, actor=personas["prescriber"], decision="eligible", note=note
    )
    assert decision.overrides_rules is True
    assert decision.assessment_outcome == ScreeningOutcome.NOT_ELIGIBLE
    entry = AuditEntry.objects.get(object_type="eligibility_decision")
    assert entry.detail["overrides_rules"] is True


@pytest.mark.parametrize("kind", ["not_eligible", "needs_more_information"])
def test_agreeing_with_the_rules_needs_no_override(personas: dict[str, User], kind: str) -> None:
    assessment = _screen(make_patient(), schizophrenia="yes")
    decision = record_decision(
        assessment, actor=personas["prescriber"], decision=kind, note="Not suitable for now."
    )
    assert decision.overrides_rules is False


def test_a_decision_keeps_the_rules_version_of_its_screening(personas: dict[str, User]) -> None:
    old_rules = dataclasses.replace(DEFAULT_RULES, version="2025-01-01.1")
    assessment = record_screening(
        make_patient(), dict(clear_answers()), actor=None, channel="kiosk", rules=old_rules
    )
    decision = record_decision(
        assessment, actor=personas["prescriber"], decision="eligible", note="Reviewed."
    )
    assert assessment.rules_version == "2025-01-01.1"
    assert decision.rules_version == "2025-01-01.1"


def test_only_the_latest_screening_can_be_decided(personas: dict[str, User]) -> None:
    patient = make_patient()
    first = _screen(patient)
    _screen(patient, glaucoma="yes")
    with pytest.raises(ValidationError) as caught:
        record_decision(first, actor=personas["prescriber"], decision="eligible", note="Fine.")
    assert caught.value.message_dict == {"assessment": [DECISION_NOT_LATEST]}


def test_a_new_decision_supersedes_the_old_one(personas: dict[str, User]) -> None:
    prescriber = personas["prescriber"]
    patient = make_patient()
    assessment = _screen(patient, takes_maoi="yes")
    first = record_decision(
        assessment, actor=prescriber, decision="needs_more_information", note="Ask the GP."
    )
    second = record_decision(
        assessment, actor=prescriber, decision="eligible_with_conditions", note="GP replied."
    )
    assert second.supersedes == first
    assert current_decision(patient) == second
    first.refresh_from_db()
    assert first.decision == "needs_more_information"  # the old decision is kept as it was
    first.note = "rewritten"
    with pytest.raises(TypeError, match="never edited"):
        first.save()
