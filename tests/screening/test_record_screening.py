"""record_screening: judges the answers with the registry's facts, stores them, audits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.users import user_deactivate
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.enums import PregnancyPotential
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.allergies import allergy_add
from ketamine_clinic.patients.services.diagnoses import (
    diagnosis_add,
    diagnosis_mark_entered_in_error,
)
from ketamine_clinic.patients.services.medications import medication_add, medication_stop
from ketamine_clinic.patients.services.registry import patient_record_pregnancy_potential
from ketamine_clinic.screening.enums import ScreeningChannel, ScreeningOutcome
from ketamine_clinic.screening.facts import BloodPressure
from ketamine_clinic.screening.models import ScreeningAssessment
from ketamine_clinic.screening.questionnaire import ANSWER_NOT_YES_NO, ANSWER_UNKNOWN_QUESTION
from ketamine_clinic.screening.rules_data import RULES_VERSION
from ketamine_clinic.screening.services import (
    SCREENING_ACTOR_INACTIVE,
    SCREENING_ACTOR_REQUIRED,
    SCREENING_CHANNEL_UNKNOWN,
    SCREENING_KIOSK_HAS_NO_ACTOR,
    record_screening,
)
from tests.patients.factories import make_patient
from tests.screening.support import clear_answers

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
NORMAL_BP = BloodPressure(118, 76)


def _entries(object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=object_type))


def test_a_kiosk_screening_is_stored_with_its_outcome_and_audited() -> None:
    patient = make_patient()
    with time_machine.travel(NOW, tick=False):
        assessment = record_screening(
            patient,
            dict(clear_answers()),
            actor=None,
            channel=ScreeningChannel.KIOSK,
            blood_pressure=NORMAL_BP,
        )
    assessment.refresh_from_db()
    assert assessment.outcome == ScreeningOutcome.ELIGIBLE
    assert assessment.reasons == []
    assert assessment.unanswered == []
    assert assessment.rules_version == RULES_VERSION
    assert assessment.created_at == NOW
    assert assessment.entered_by is None
    assert assessment.channel == ScreeningChannel.KIOSK
    assert assessment.answers == clear_answers()
    assert assessment.facts["age_years"] == 42  # born 1984-03-07
    assert assessment.facts["blood_pressure"] == {"systolic_mmhg": 118, "diastolic_mmhg": 76}
    (entry,) = _entries("screening_assessment")
    assert entry.action == AuditAction.CREATE
    assert entry.actor is None
    assert entry.actor_username == "patient (kiosk)"
    assert entry.object_id == str(assessment.pk)
    assert entry.patient_id == str(patient.pk)
    assert entry.detail == {
        "channel": "kiosk",
        "outcome": "eligible",
        "rules_version": RULES_VERSION,
        "rules": [],
        "unanswered": [],
    }


def test_staff_entry_names_the_person_and_the_reasons_are_stored(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    nurse = personas["nurse"]
    answers = {**clear_answers(), "glaucoma": "yes"}
    del answers["liver_disease"]
    assessment = record_screening(patient, answers, actor=nurse, channel="staff")
    assert assessment.entered_by == nurse
    assert assessment.outcome == ScreeningOutcome.NEEDS_REVIEW
    assert [r["rule_id"] for r in assessment.reasons] == [
        "BP-NOT-MEASURED",
        "GLAUCOMA",
        "UNANSWERED",
    ]
    assert assessment.unanswered == ["liver_disease"]
    assert assessment.reasons[1]["source"].endswith("(verify)")
    (entry,) = _entries("screening_assessment")
    assert entry.actor == nurse
    assert entry.detail["rules"] == ["BP-NOT-MEASURED", "GLAUCOMA", "UNANSWERED"]


def test_registry_medications_diagnoses_allergies_and_pregnancy_reach_the_rules() -> None:
    patient = make_patient()
    medication_add(patient=patient, name="Lorazepam", flags=["benzodiazepine"], by=None)
    diagnosis_add(patient=patient, code="F31.9", by=None)
    allergy_add(patient=patient, substance="Ketamine", severity="severe", by=None)
    patient_record_pregnancy_potential(
        patient=patient, potential=PregnancyPotential.YES, asked_on=date(2026, 11, 1), by=None
    )
    with time_machine.travel(NOW, tick=False):
        assessment = record_screening(
            Patient.objects.get(pk=patient.pk),
            dict(clear_answers()),
            actor=None,
            channel="kiosk",
            blood_pressure=NORMAL_BP,
        )
    fired = {r["rule_id"] for r in assessment.reasons}
    assert fired == {"MED-BENZODIAZEPINE", "MOOD-BIPOLAR", "ALLERGY-KETAMINE", "PREG-POSSIBLE"}
    assert assessment.outcome == ScreeningOutcome.NOT_ELIGIBLE
    assert assessment.facts["medication_flags"] == ["benzodiazepine"]
    assert assessment.facts["diagnosis_codes"] == ["F31.9"]
    assert assessment.facts["pregnancy_status"] == "possible"


def test_stopped_medications_and_diagnoses_entered_in_error_are_left_out(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    medication = medication_add(patient=patient, name="Phenelzine", flags=["maoi"], by=None)
    medication_stop(medication=medication, stopped_on=date(2026, 1, 5), by=None)
    diagnosis = diagnosis_add(patient=patient, code="F20.9", by=None)
    diagnosis_mark_entered_in_error(
        diagnosis=diagnosis, reason="Wrong patient's record", by=personas["prescriber"]
    )
    assessment = record_screening(
        patient, dict(clear_answers()), actor=None, channel="kiosk", blood_pressure=NORMAL_BP
    )
    assert assessment.outcome == ScreeningOutcome.ELIGIBLE
    assert assessment.facts["medication_flags"] == []
    assert assessment.facts["diagnosis_codes"] == []


def test_hostile_strings_are_stored_verbatim() -> None:
    hostile = (
        "<script>alert('x')</script>\n{{ request.user }} {% debug %} "
        "'; DROP TABLE screening_screeningassessment; -- \u202eevil\u202c \U0001f489 \x1b[31m"
    )
    patient = make_patient()
    answers = {**clear_answers(), "health_details": hostile, "medication_details": hostile}
    assessment = record_screening(patient, answers, actor=None, channel="kiosk")
    stored = ScreeningAssessment.objects.get(pk=assessment.pk)
    assert stored.answers["health_details"] == hostile
    assert stored.answers["medication_details"] == hostile
    assert stored.facts["answers"]["health_details"] == hostile


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"not_a_question": "yes"}, "not_a_question", ANSWER_UNKNOWN_QUESTION),
        ({"glaucoma": "maybe"}, "glaucoma", ANSWER_NOT_YES_NO),
        ({"health_details": "a\x00b"}, "health_details", None),
    ],
)
def test_a_bad_answer_names_the_question_and_writes_nothing(
    change: dict[str, object], field: str, message: str | None
) -> None:
    patient = make_patient()
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        record_screening(patient, {**clear_answers(), **change}, actor=None, channel="kiosk")
    assert list(caught.value.message_dict) == [field]
    if message is not None:
        assert caught.value.message_dict[field] == [message]
    assert ScreeningAssessment.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_the_channel_and_the_person_must_agree(personas: dict[str, User]) -> None:
    patient = make_patient()
    nurse = personas["nurse"]
    cases: list[tuple[User | None, str, str, str]] = [
        (None, "fax", "channel", SCREENING_CHANNEL_UNKNOWN),
        (nurse, "kiosk", "actor", SCREENING_KIOSK_HAS_NO_ACTOR),
        (None, "staff", "actor", SCREENING_ACTOR_REQUIRED),
        (None, "api", "actor", SCREENING_ACTOR_REQUIRED),
    ]
    for actor, channel, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            record_screening(patient, dict(clear_answers()), actor=actor, channel=channel)
        assert caught.value.message_dict == {field: [message]}
    user_deactivate(user=nurse, by=personas["administrator"])
    nurse.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        record_screening(patient, dict(clear_answers()), actor=nurse, channel="staff")
    assert caught.value.message_dict == {"actor": [SCREENING_ACTOR_INACTIVE]}
    assert ScreeningAssessment.objects.count() == 0


def test_a_stored_screening_cannot_be_edited() -> None:
    assessment = record_screening(
        make_patient(), dict(clear_answers()), actor=None, channel="kiosk"
    )
    assessment.outcome = ScreeningOutcome.ELIGIBLE
    with pytest.raises(TypeError, match="never edited"):
        assessment.save()
