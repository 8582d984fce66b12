"""Instruments, scores, questionnaires and risk flags through the API.

Real answers scored by the real engine; each read and write is checked in the audit
trail (action, object, patient); answers that cannot be scored are refused naming the
item and the reason, and nothing is written; each operation is called with real values
as every persona (the role matrix walks the same table with sample values).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.routers.assessments import INSTRUMENT_NOT_FOUND, RISK_FLAG_NOT_FOUND
from ketamine_clinic.api.routers.patients import PATIENT_NOT_FOUND
from ketamine_clinic.assessments.enums import RiskFlagStatus
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.assessments.services import (
    RESPONSE_TAKEN_AT_FUTURE,
    RESPONSE_TAKEN_AT_NAIVE,
    RISK_ASSESSMENT_NOTE_REQUIRED,
    RISK_FLAG_ALREADY_ASSESSED,
    record_response,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.instruments.definitions import instrument_keys
from ketamine_clinic.patients.models import Patient
from tests.api.helpers import bearer_for
from tests.patients.factories import make_patient

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
PATIENT_CARE = {"front_desk", "nurse", "prescriber", "clinic_lead"}
HOSTILE = '<img src=x onerror=alert(1)> & "it\'s" &lt;b&gt;'
PHQ9_MODERATE = [1, 2, 3, 0, 1, 2, 3, 0, 0]  # total 12


def get(path: str, user: User, **params: str) -> Any:
    return Client().get(path, params, headers=bearer_for(user))


def post(path: str, user: User | None, body: object) -> Any:
    headers = bearer_for(user) if user is not None else {}
    return Client().post(path, body, content_type="application/json", headers=headers)


def counts() -> tuple[int, int, int]:
    """Responses, flags and audit entries of patient data (tokens' entries aside)."""
    return (
        QuestionnaireResponse.objects.count(),
        RiskFlag.objects.count(),
        AuditEntry.objects.filter(action__in=[AuditAction.CREATE, AuditAction.UPDATE]).count(),
    )


# ---- instruments ------------------------------------------------------------------------


def test_every_signed_in_staff_member_lists_the_instruments(personas: dict[str, User]) -> None:
    for name, user in personas.items():
        response = get("/api/v1/instruments", user)
        assert response.status_code == 200, name
        assert [row["key"] for row in response.json()] == list(instrument_keys()), name
    assert Client().get("/api/v1/instruments").status_code == 401


def test_an_instrument_comes_with_items_options_bands_loinc_and_licence(
    personas: dict[str, User],
) -> None:
    response = get("/api/v1/instruments/phq9", personas["no_role"])
    assert response.status_code == 200
    phq9 = response.json()
    assert (phq9["short_name"], phq9["version"], phq9["item_count"]) == ("PHQ-9", "1.0", 9)
    assert (phq9["total_min"], phq9["total_max"], phq9["has_total"]) == (0, 27, True)
    assert phq9["items"][0]["text"] == "Little interest or pleasure in doing things"
    assert phq9["items"][0]["options"] == [
        {"value": 0, "label": "Not at all"},
        {"value": 1, "label": "Several days"},
        {"value": 2, "label": "More than half the days"},
        {"value": 3, "label": "Nearly every day"},
    ]
    assert [(b["key"], b["min_total"], b["max_total"]) for b in phq9["bands"]][2] == (
        "moderate",
        10,
        14,
    )
    assert phq9["loinc"] == {"total": "44261-6", "panel": "44249-1"}
    assert phq9["loinc_unverified"] == []
    assert phq9["licence"].startswith("Free:")
    assert phq9["risk_rules"] == [{"kind": "phq9_item9", "item": "9", "at_least": 1}]
    # A code still to be verified is not given as if it were one.
    pcl5 = get("/api/v1/instruments/pcl5", personas["no_role"]).json()
    assert pcl5["loinc"] == {}
    assert sorted(pcl5["loinc_unverified"]) == ["panel", "total"]
    cssrs = get("/api/v1/instruments/cssrs_screener", personas["nurse"]).json()
    assert cssrs["has_total"] is False
    assert cssrs["triage_levels"]


def test_an_unknown_instrument_is_404(personas: dict[str, User]) -> None:
    response = get("/api/v1/instruments/phq99", personas["nurse"])
    assert response.status_code == 404
    assert response.json() == {"detail": INSTRUMENT_NOT_FOUND}


# ---- recording a questionnaire ----------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_nurse_records_a_phq9_which_is_scored_stored_and_audited(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    patient = make_patient()
    response = post(
        f"/api/v1/patients/{patient.pk}/questionnaires",
        nurse,
        {"instrument": "phq9", "answers": PHQ9_MODERATE, "comment": HOSTILE},
    )
    assert response.status_code == 201
    body = response.json()
    stored = QuestionnaireResponse.objects.get()
    assert body == {
        "id": stored.pk,
        "instrument": "phq9",
        "instrument_version": "1.0",
        "taken_at": "2026-03-02T15:30:00Z",
        "answers": PHQ9_MODERATE,
        "total": 12,
        "severity": "moderate",
        "severity_label": "Moderate",
        "triage": None,
        "valid": True,
        "invalid_reason": "",
        "missing_items": [],
        "flags": [],
        "channel": "api",
        "entered_by": nurse.display_name,
        "comment": HOSTILE,
        "corrects": None,
        "correction_reason": "",
        "risk_flags": [],
    }
    assert (stored.patient, stored.entered_by, stored.channel) == (patient, nurse, "api")
    assert stored.comment == HOSTILE
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="questionnaire_response")
    assert (entry.object_id, entry.patient_id) == (str(stored.pk), str(patient.pk))
    assert (entry.actor_id, entry.channel) == (nurse.pk, "api")
    assert entry.detail["total"] == 12
    assert entry.detail["entered_on"] == "api"


def test_an_item_9_answer_raises_a_risk_flag_returned_with_the_response(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    response = post(
        f"/api/v1/patients/{patient.pk}/questionnaires",
        personas["prescriber"],
        {"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2]},
    )
    assert response.status_code == 201
    flag = RiskFlag.objects.get()
    assert response.json()["risk_flags"] == [
        {"id": flag.pk, "kind": "phq9_item9", "level": flag.level, "reason": flag.reason}
    ]
    assert flag.status == RiskFlagStatus.OPEN
    raised = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="risk_flag")
    assert (raised.object_id, raised.patient_id) == (str(flag.pk), str(patient.pk))


def test_a_partial_form_is_stored_without_a_total(personas: dict[str, User]) -> None:
    patient = make_patient()
    answers: list[int | None] = [1, 2, None, 0, 1, 2, 3, 0, 0]
    body = post(
        f"/api/v1/patients/{patient.pk}/questionnaires",
        personas["nurse"],
        {"instrument": "phq9", "answers": answers, "taken_at": "2026-01-10T09:00:00-05:00"},
    ).json()
    assert (body["total"], body["valid"], body["missing_items"]) == (None, False, ["3"])
    assert body["answers"] == answers
    assert body["taken_at"] == "2026-01-10T14:00:00Z"


def test_an_answer_out_of_range_is_refused_naming_the_item_and_nothing_is_written(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    before = counts()
    response = post(
        f"/api/v1/patients/{patient.pk}/questionnaires",
        personas["nurse"],
        {"instrument": "phq9", "answers": [1, 2, 4, 0, 1, 2, 3, 0, 2]},
    )
    assert response.status_code == 422
    body = response.json()
    (problem,) = body["errors"]
    assert (problem["field"], problem["item"]) == ("answers", "3")
    assert "4" in problem["reason"]
    assert body["detail"] == f"answers: item 3: {problem['reason']}"
    # Not even the item-9 answer's flag: nothing is written.
    assert counts() == before


def test_answers_that_do_not_fit_the_instrument_are_refused_by_field(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    url = f"/api/v1/patients/{patient.pk}/questionnaires"
    nurse = personas["nurse"]
    before = counts()
    short = post(url, nurse, {"instrument": "phq9", "answers": [1, 2, 3]}).json()
    assert short["errors"][0]["field"] == "answers"
    assert short["errors"][0]["item"] is None
    unknown = post(url, nurse, {"instrument": "phq99", "answers": PHQ9_MODERATE})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "instrument"
    for wrong in (["1", *PHQ9_MODERATE[1:]], [True, *PHQ9_MODERATE[1:]], [1.5] * 9):
        typed = post(url, nurse, {"instrument": "phq9", "answers": wrong})
        assert typed.status_code == 422, wrong
        assert "body.payload.answers.0" in typed.json()["detail"], wrong
    assert counts() == before


@time_machine.travel(NOW, tick=False)
def test_a_taken_at_in_the_future_or_without_a_zone_is_refused_naming_it(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    url = f"/api/v1/patients/{patient.pk}/questionnaires"
    before = counts()
    future = (NOW + timedelta(hours=1)).isoformat()
    for taken_at, reason in (
        (future, RESPONSE_TAKEN_AT_FUTURE),
        ("2026-03-02T09:00:00", RESPONSE_TAKEN_AT_NAIVE),
    ):
        response = post(
            url,
            personas["nurse"],
            {"instrument": "phq9", "answers": PHQ9_MODERATE, "taken_at": taken_at},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "taken_at", "item": None, "reason": reason}]
    assert counts() == before


def test_answers_for_an_unknown_patient_are_404_and_nothing_is_written(
    personas: dict[str, User],
) -> None:
    before = counts()
    response = post(
        "/api/v1/patients/987654/questionnaires",
        personas["nurse"],
        {"instrument": "phq9", "answers": PHQ9_MODERATE},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": PATIENT_NOT_FOUND}
    assert counts() == before


def test_nurses_and_prescribers_enter_answers_and_no_one_else(personas: dict[str, User]) -> None:
    patient = make_patient()
    url = f"/api/v1/patients/{patient.pk}/questionnaires"
    body = {"instrument": "gad7", "answers": [0, 1, 0, 1, 0, 1, 0]}
    for name, user in personas.items():
        status = post(url, user, body).status_code
        assert status == (201 if name in {"nurse", "prescriber"} else 403), name
    assert post(url, None, body).status_code == 401
    assert QuestionnaireResponse.objects.count() == 2


# ---- history and scores -----------------------------------------------------------------


def _answered(patient: Patient, by: User, totals_answers: Sequence[Sequence[int | None]]) -> None:
    """PHQ-9 responses a day apart, oldest first."""
    for days_ago, answers in zip(range(len(totals_answers), 0, -1), totals_answers, strict=True):
        record_response(
            patient,
            "phq9",
            answers,
            actor=by,
            channel="staff",
            taken_at=NOW - timedelta(days=days_ago),
        )


@time_machine.travel(NOW, tick=False)
def test_the_history_is_oldest_first_and_audited_against_the_patient(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    _answered(patient, personas["nurse"], [PHQ9_MODERATE, [0, 1, 1, 0, 1, 1, 1, 0, 0]])
    lead = personas["clinic_lead"]
    response = get(f"/api/v1/patients/{patient.pk}/questionnaires", lead, instrument="phq9")
    assert response.status_code == 200
    rows = response.json()
    assert [(row["total"], row["taken_at"][:10]) for row in rows] == [
        (12, "2026-02-28"),
        (5, "2026-03-01"),
    ]
    assert rows[0]["entered_by"] == personas["nurse"].display_name
    entry = AuditEntry.objects.get(action=AuditAction.READ, object_type="questionnaire_history")
    assert (entry.patient_id, entry.actor_id, entry.channel) == (str(patient.pk), lead.pk, "api")
    assert entry.detail == {"instrument": "phq9", "response_ids": [row["id"] for row in rows]}


def test_a_history_of_an_unknown_instrument_or_patient_is_refused_and_not_audited(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    nurse = personas["nurse"]
    unknown = get(f"/api/v1/patients/{patient.pk}/questionnaires", nurse, instrument="phq99")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "instrument"
    missing = get(f"/api/v1/patients/{patient.pk}/questionnaires", nurse)
    assert missing.status_code == 422
    assert "instrument" in missing.json()["detail"]
    nobody = get("/api/v1/patients/987654/questionnaires", nurse, instrument="phq9")
    assert nobody.status_code == 404
    assert not AuditEntry.objects.filter(object_type="questionnaire_history").exists()


@time_machine.travel(NOW, tick=False)
def test_the_scores_give_the_latest_per_instrument_with_its_trend_audited(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    nurse = personas["nurse"]
    _answered(patient, nurse, [PHQ9_MODERATE, [0, 1, 1, 0, 1, 1, 1, 0, 0]])
    record_response(patient, "gad7", [3, 3, 3, 3, 3, 3, 3], actor=nurse, channel="staff")
    desk = personas["front_desk"]
    response = get(f"/api/v1/patients/{patient.pk}/scores", desk)
    assert response.status_code == 200
    # In the instruments' own order (their files' names).
    gad7, phq9 = response.json()
    assert (phq9["instrument"], phq9["short_name"]) == ("phq9", "PHQ-9")
    assert (phq9["latest"]["total"], phq9["latest"]["severity"]) == (5, "mild")
    assert (phq9["trend"], phq9["change"], phq9["previous_total"]) == ("down", -7, 12)
    assert phq9["previous_taken_at"] == "2026-02-28T15:30:00Z"
    assert phq9["recent_totals"] == [12, 5]
    assert (gad7["latest"]["total"], gad7["trend"], gad7["previous_total"]) == (21, None, None)
    entry = AuditEntry.objects.get(action=AuditAction.READ, object_type="patient_scores")
    assert (entry.object_id, entry.patient_id) == (str(patient.pk), str(patient.pk))
    assert (entry.actor_id, entry.channel) == (desk.pk, "api")
    assert entry.detail == {
        "instruments": ["gad7", "phq9"],
        "response_ids": [gad7["latest"]["id"], phq9["latest"]["id"]],
    }


def test_scores_of_an_unknown_patient_are_404(personas: dict[str, User]) -> None:
    response = get("/api/v1/patients/987654/scores", personas["nurse"])
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(object_type="patient_scores").exists()


def test_scores_and_history_admit_the_chart_s_roles_and_no_one_else(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    record_response(patient, "phq9", PHQ9_MODERATE, actor=personas["nurse"], channel="staff")
    for name, user in personas.items():
        expected = 200 if name in PATIENT_CARE else 403
        assert get(f"/api/v1/patients/{patient.pk}/scores", user).status_code == expected, name
        history = get(f"/api/v1/patients/{patient.pk}/questionnaires", user, instrument="phq9")
        assert history.status_code == expected, name
    assert Client().get(f"/api/v1/patients/{patient.pk}/scores").status_code == 401


# ---- risk flags -------------------------------------------------------------------------


def _flag(patient: Patient, by: User, at: datetime) -> RiskFlag:
    with time_machine.travel(at, tick=False):
        response = record_response(
            patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], actor=by, channel="staff"
        )
    return response.risk_flags.get()


def test_the_open_flags_are_listed_oldest_first_and_the_read_is_audited(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    later = _flag(make_patient("Later", "Flagpatient", preferred=HOSTILE), nurse, NOW)
    earlier = _flag(make_patient("Earlier", "Flagpatient"), nurse, NOW - timedelta(days=1))
    assessed = _flag(make_patient("Done", "Flagpatient"), nurse, NOW - timedelta(days=2))
    assessed.status = RiskFlagStatus.ASSESSED
    assessed.assessed_by = personas["prescriber"]
    assessed.assessed_at = NOW
    assessed.assessment_note = "Seen"
    assessed.save()
    lead = personas["clinic_lead"]
    response = get("/api/v1/risk-flags", lead)
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [earlier.pk, later.pk]
    assert rows[1]["patient"] == {
        "id": later.patient.pk,
        "mrn": later.patient.mrn,
        "display_name": f'Flagpatient, Later "{HOSTILE}"',
    }
    assert (rows[1]["instrument"], rows[1]["kind"], rows[1]["status"]) == (
        "phq9",
        "phq9_item9",
        "open",
    )
    assert rows[1]["raised_at"] == "2026-03-02T15:30:00Z"
    entry = AuditEntry.objects.get(action=AuditAction.READ, object_type="risk_review_queue")
    assert (entry.actor_id, entry.channel) == (lead.pk, "api")
    assert entry.detail == {
        "count": 2,
        "patient_ids": sorted([earlier.patient_id, later.patient_id]),
    }


def test_the_flag_list_admits_prescribers_and_the_clinic_lead_only(
    personas: dict[str, User],
) -> None:
    for name, user in personas.items():
        status = get("/api/v1/risk-flags", user).status_code
        assert status == (200 if name in {"prescriber", "clinic_lead"} else 403), name
    assert Client().get("/api/v1/risk-flags").status_code == 401


@time_machine.travel(NOW, tick=False)
def test_a_prescriber_assesses_a_flag_which_closes_it_audited(
    personas: dict[str, User],
) -> None:
    prescriber = personas["prescriber"]
    patient = make_patient()
    flag = _flag(patient, personas["nurse"], NOW - timedelta(hours=2))
    note = f"Called the patient; safety plan reviewed. {HOSTILE}"
    response = post(f"/api/v1/risk-flags/{flag.pk}/assessment", prescriber, {"note": note})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["assessment_note"]) == (flag.pk, "assessed", note)
    assert (body["assessed_by"], body["assessed_at"]) == (
        prescriber.display_name,
        "2026-03-02T15:30:00Z",
    )
    flag.refresh_from_db()
    assert (flag.status, flag.assessed_by, flag.assessment_note) == ("assessed", prescriber, note)
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="risk_flag")
    assert (entry.object_id, entry.patient_id) == (str(flag.pk), str(patient.pk))
    assert (entry.actor_id, entry.channel, entry.reason) == (prescriber.pk, "api", note)
    # Once: a second assessment is a conflict, and changes nothing.
    again = post(f"/api/v1/risk-flags/{flag.pk}/assessment", prescriber, {"note": "Again"})
    assert again.status_code == 409
    assert again.json() == {"detail": RISK_FLAG_ALREADY_ASSESSED}
    flag.refresh_from_db()
    assert flag.assessment_note == note


def test_a_blank_note_or_an_unknown_flag_is_refused_and_changes_nothing(
    personas: dict[str, User],
) -> None:
    prescriber = personas["prescriber"]
    flag = _flag(make_patient(), personas["nurse"], NOW)
    blank = post(f"/api/v1/risk-flags/{flag.pk}/assessment", prescriber, {"note": "  "})
    assert blank.status_code == 422
    assert blank.json()["errors"] == [
        {"field": "note", "item": None, "reason": RISK_ASSESSMENT_NOTE_REQUIRED}
    ]
    missing = post(f"/api/v1/risk-flags/{flag.pk}/assessment", prescriber, {})
    assert missing.status_code == 422
    assert "note" in missing.json()["detail"]
    unknown = post("/api/v1/risk-flags/987654/assessment", prescriber, {"note": "Seen"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": RISK_FLAG_NOT_FOUND}
    flag.refresh_from_db()
    assert flag.status == RiskFlagStatus.OPEN
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="risk_flag")


def test_only_prescribers_assess_a_flag(personas: dict[str, User]) -> None:
    flag = _flag(make_patient(), personas["nurse"], NOW)
    url = f"/api/v1/risk-flags/{flag.pk}/assessment"
    for name, user in personas.items():
        if name == "prescriber":
            continue
        assert post(url, user, {"note": "Seen"}).status_code == 403, name
    assert post(url, None, {"note": "Seen"}).status_code == 401
    flag.refresh_from_db()
    assert flag.status == RiskFlagStatus.OPEN
    assert post(url, personas["prescriber"], {"note": "Seen"}).status_code == 200
