"""record_response: scores, stores, raises flags and audits in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.assessments.services import (
    RESPONSE_ALREADY_CORRECTED,
    RESPONSE_CHANNEL_UNKNOWN,
    RESPONSE_CORRECTION_REASON_REQUIRED,
    RESPONSE_CORRECTS_OTHER,
    RESPONSE_NEEDS_STAFF,
    RESPONSE_TAKEN_AT_FUTURE,
    RESPONSE_TAKEN_AT_NAIVE,
    record_response,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.instruments.errors import InvalidAnswers, UnknownInstrument
from ketamine_clinic.patients.models import Patient
from tests.patients.factories import make_patient

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def counts() -> tuple[int, int, int]:
    return (
        QuestionnaireResponse.objects.count(),
        RiskFlag.objects.count(),
        AuditEntry.objects.count(),
    )


@time_machine.travel(NOW, tick=False)
def test_a_phq9_is_scored_and_stored_with_its_version(patient: Patient, nurse: User) -> None:
    response = record_response(
        patient, "phq9", [1, 2, 3, 0, 1, 2, 3, 0, 0], actor=nurse, channel=ResponseChannel.STAFF
    )
    response.refresh_from_db()
    assert (response.instrument_key, response.instrument_version) == ("phq9", "1.0")
    assert response.answers == [1, 2, 3, 0, 1, 2, 3, 0, 0]
    assert (response.total, response.severity, response.flags) == (12, "moderate", [])
    assert response.valid
    assert response.result["total_range"] == [0, 27]
    assert response.taken_at == response.created_at == NOW
    assert response.entered_by == nurse
    assert not RiskFlag.objects.exists()


def test_item_9_at_1_raises_an_open_phq9_item9_flag(patient: Patient, nurse: User) -> None:
    response = record_response(
        patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], actor=nurse, channel="staff"
    )
    (flag,) = RiskFlag.objects.all()
    assert (flag.patient, flag.response, flag.kind, flag.level, flag.status) == (
        patient,
        response,
        "phq9_item9",
        "positive",
        RiskFlagStatus.OPEN,
    )
    assert flag.reason == "item 9 = 1 (Several days)"
    assert response.flags == ["suicide_risk"]


def test_a_high_cssrs_raises_a_cssrs_positive_flag_at_high(patient: Patient, nurse: User) -> None:
    response = record_response(
        patient, "cssrs_screener", [0, 0, None, None, None, 1, 1], actor=nurse, channel="staff"
    )
    assert (response.total, response.triage) == (None, "high")
    (flag,) = RiskFlag.objects.all()
    assert (flag.kind, flag.level) == ("cssrs_positive", "high")


def test_the_patient_on_the_kiosk_needs_no_staff_member(patient: Patient) -> None:
    response = record_response(patient, "gad7", [1] * 7, actor=None, channel="kiosk")
    assert response.entered_by is None
    assert response.channel == ResponseChannel.KIOSK


def test_the_patients_comment_is_stored_verbatim(patient: Patient) -> None:
    comment = "  Slept badly — ça va mieux aujourd'hui.\n<b>not html</b>  "
    response = record_response(
        patient, "phq9", [0] * 9, actor=None, channel="kiosk", comment=comment
    )
    response.refresh_from_db()
    assert response.comment == comment


def test_the_response_and_each_flag_are_audited_against_the_patient(
    patient: Patient, nurse: User
) -> None:
    before = AuditEntry.objects.count()
    response = record_response(
        patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], actor=nurse, channel="staff"
    )
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [(e.action, e.object_type) for e in entries] == [
        (AuditAction.CREATE, "questionnaire_response"),
        (AuditAction.CREATE, "risk_flag"),
    ]
    assert {e.patient_id for e in entries} == {str(patient.pk)}
    assert {e.actor_id for e in entries} == {nurse.pk}
    assert entries[0].object_id == str(response.pk)
    assert entries[0].detail["total"] == 2
    assert entries[0].detail["flags"] == ["suicide_risk"]
    assert entries[1].detail == {
        "kind": "phq9_item9",
        "level": "positive",
        "response": response.pk,
    }


@pytest.mark.parametrize(
    ("key", "answers", "error", "message"),
    [
        ("phq9", [0, 0, 4, 0, 0, 0, 0, 0, 1], InvalidAnswers, "item 3: 4 is out of range 0-3"),
        ("phq9", [0] * 8, InvalidAnswers, "PHQ-9 has 9 items (1-9); got 8 answers"),
        ("madrs", [0] * 10, UnknownInstrument, "unknown instrument 'madrs'"),
    ],
)
def test_bad_answers_raise_a_named_error_and_change_nothing(
    patient: Patient,
    nurse: User,
    key: str,
    answers: list[int | None],
    error: type[Exception],
    message: str,
) -> None:
    before = counts()
    with pytest.raises(error) as caught:
        record_response(patient, key, answers, actor=nurse, channel="staff")
    assert str(caught.value).startswith(message)
    assert counts() == before


def test_the_errors_item_names_the_box_to_fix(patient: Patient, nurse: User) -> None:
    with pytest.raises(InvalidAnswers) as caught:
        record_response(patient, "gad7", [0, 0, 0, 0, 0, 9, 0], actor=nurse, channel="staff")
    assert (caught.value.item, caught.value.reason) == ("6", "9 is out of range 0-3")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"channel": "fax"}, "channel", RESPONSE_CHANNEL_UNKNOWN),
        ({"channel": "staff", "actor": None}, "actor", RESPONSE_NEEDS_STAFF),
        ({"channel": "api", "actor": None}, "actor", RESPONSE_NEEDS_STAFF),
        ({"taken_at": datetime(2026, 3, 2, 15, 0)}, "taken_at", RESPONSE_TAKEN_AT_NAIVE),  # noqa: DTZ001 - the naive time is the point
        ({"taken_at": NOW + timedelta(hours=1)}, "taken_at", RESPONSE_TAKEN_AT_FUTURE),
    ],
)
def test_other_bad_fields_name_the_field_and_change_nothing(
    patient: Patient, nurse: User, changes: dict[str, object], field: str, message: str
) -> None:
    arguments: dict[str, object] = {"actor": nurse, "channel": "staff", **changes}
    before = counts()
    with pytest.raises(ValidationError) as caught:
        record_response(patient, "phq9", [0] * 8 + [3], **arguments)  # type: ignore[arg-type]
    assert caught.value.message_dict == {field: [message]}
    assert counts() == before


@time_machine.travel(NOW, tick=False)
def test_a_time_taken_earlier_today_is_kept(patient: Patient, nurse: User) -> None:
    earlier = NOW - timedelta(hours=3)
    response = record_response(
        patient, "phq9", [0] * 9, actor=nurse, channel="staff", taken_at=earlier
    )
    assert response.taken_at == earlier
    assert response.created_at == NOW


def test_missing_items_store_no_total_but_still_raise_the_flag(
    patient: Patient, nurse: User
) -> None:
    response = record_response(
        patient, "phq9", [None, 1, 1, 1, 1, 1, 1, 1, 2], actor=nurse, channel="staff"
    )
    assert (response.total, response.severity, response.valid) == (None, "", False)
    assert response.answers == [None, 1, 1, 1, 1, 1, 1, 1, 2]
    assert RiskFlag.objects.get().kind == "phq9_item9"


def test_a_correction_is_a_new_response_and_the_original_is_untouched(
    patient: Patient, nurse: User
) -> None:
    original = record_response(patient, "gad7", [3] * 7, actor=nurse, channel="staff")
    correction = record_response(
        patient,
        "gad7",
        [1] * 7,
        actor=nurse,
        channel="staff",
        corrects=original,
        correction_reason="Typed the wrong column from the paper form.",
    )
    original.refresh_from_db()
    assert (original.total, correction.total) == (21, 7)
    assert correction.corrects == original
    entry = AuditEntry.objects.filter(object_type="questionnaire_response").last()
    assert entry is not None
    assert entry.reason == "Typed the wrong column from the paper form."
    assert entry.detail["corrects"] == original.pk


def test_a_correction_needs_a_reason_the_same_instrument_and_patient_and_happens_once(
    patient: Patient, nurse: User
) -> None:
    original = record_response(patient, "gad7", [3] * 7, actor=nurse, channel="staff")
    other = make_patient("Blake", "Otherpatient")
    cases: list[tuple[Patient, str, list[int | None], str, str, str]] = [
        (patient, "gad7", [1] * 7, "", "correction_reason", RESPONSE_CORRECTION_REASON_REQUIRED),
        (patient, "phq9", [1] * 9, "wrong form", "corrects", RESPONSE_CORRECTS_OTHER),
        (other, "gad7", [1] * 7, "wrong patient", "corrects", RESPONSE_CORRECTS_OTHER),
    ]
    for who, key, answers, reason, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            record_response(
                who,
                key,
                answers,
                actor=nurse,
                channel="staff",
                corrects=original,
                correction_reason=reason,
            )
        assert caught.value.message_dict[field] == [message]
    record_response(
        patient,
        "gad7",
        [1] * 7,
        actor=nurse,
        channel="staff",
        corrects=original,
        correction_reason="typo",
    )
    with pytest.raises(ValidationError) as caught:
        record_response(
            patient,
            "gad7",
            [2] * 7,
            actor=nurse,
            channel="staff",
            corrects=original,
            correction_reason="again",
        )
    assert caught.value.message_dict == {"corrects": [RESPONSE_ALREADY_CORRECTED]}


def test_the_database_refuses_a_second_correction_of_the_same_response(
    patient: Patient, nurse: User
) -> None:
    # The service checks first; this is the backstop for two desks at the same moment.
    original = record_response(patient, "gad7", [3] * 7, actor=nurse, channel="staff")
    first = record_response(
        patient,
        "gad7",
        [1] * 7,
        actor=nurse,
        channel="staff",
        corrects=original,
        correction_reason="typo",
    )
    second = QuestionnaireResponse(
        **{f.name: getattr(first, f.name) for f in first._meta.concrete_fields if f.name != "id"}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
