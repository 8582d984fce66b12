"""The patient registry through the API: search, the chart's summary, registration.

Real values through the real services; each read and write is checked in the audit
trail (action, object, patient); refusals name the field; the role matrix
(tests/test_role_matrix.py) walks the allow/deny table, and the tests here repeat it
with real values for each persona.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.routers.patients import PATIENT_NOT_FOUND
from ketamine_clinic.api.schemas_patients import SEARCH_QUERY_PATTERN
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import SEARCH_BAD_DATE, SEARCH_EMPTY, patient_search
from ketamine_clinic.patients.services.allergies import allergy_add, allergy_mark_entered_in_error
from ketamine_clinic.patients.services.diagnoses import diagnosis_add
from ketamine_clinic.patients.services.medications import medication_add, medication_stop
from ketamine_clinic.patients.services.registry import (
    PATIENT_DOB_IN_FUTURE,
    PATIENT_FIRST_NAME_REQUIRED,
    PatientDetails,
    patient_record_pregnancy_potential,
    patient_update_details,
)
from ketamine_clinic.patients.services.weights import weight_record
from tests.api.helpers import bearer_for
from tests.patients.factories import make_patient

PATIENT_CARE = {"front_desk", "nurse", "prescriber", "clinic_lead"}
HOSTILE = "<script>alert('x')</script> & \"quoted\" &amp; Ünïcødé\u202e"


def get(path: str, user: User, **params: str) -> Any:
    return Client().get(path, params, headers=bearer_for(user))


def post(path: str, user: User | None, body: object) -> Any:
    headers = bearer_for(user) if user is not None else {}
    return Client().post(path, body, content_type="application/json", headers=headers)


def entries(action: AuditAction, object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_type=object_type).order_by("seq"))


# ---- search -----------------------------------------------------------------------------


def test_a_search_by_name_finds_the_patient_and_is_audited_once_as_a_search(
    personas: dict[str, User],
) -> None:
    avery = make_patient("Avery", "Testpatient")
    make_patient("Blake", "Otherperson")
    nurse = personas["nurse"]
    response = get("/api/v1/patients", nurse, q="avery test")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "avery test"
    assert body["kind"] == "name"
    assert (body["total"], body["truncated"], body["offset"], body["limit"]) == (1, False, 0, 50)
    assert body["items"] == [
        {
            "id": avery.pk,
            "mrn": avery.mrn,
            "legal_first_name": "Avery",
            "legal_last_name": "Testpatient",
            "preferred_name": "",
            "display_name": "Testpatient, Avery",
            "date_of_birth": "1984-03-07",
            "sex_at_birth": "female",
        }
    ]
    (search,) = entries(AuditAction.READ, "patient_search")
    assert search.actor_id == nurse.pk
    assert search.channel == "api"
    assert search.detail == {
        "query": "avery test",
        "kind": "name",
        "count": 1,
        "patient_ids": [avery.pk],
    }
    # A read of the search, not of each patient in it (as on the web page).
    assert entries(AuditAction.READ, "patient") == []


def test_a_search_by_date_of_birth_or_mrn_reads_the_query_as_the_web_search_does(
    personas: dict[str, User],
) -> None:
    avery = make_patient("Avery", "Testpatient", born=date(1979, 12, 31))
    desk = personas["front_desk"]
    by_date = get("/api/v1/patients", desk, q="1979-12-31").json()
    assert (by_date["kind"], [row["id"] for row in by_date["items"]]) == (
        "date_of_birth",
        [avery.pk],
    )
    short_mrn = f"kc{avery.pk}"
    by_mrn = get("/api/v1/patients", desk, q=short_mrn).json()
    assert (by_mrn["kind"], [row["mrn"] for row in by_mrn["items"]]) == ("mrn", [avery.mrn])


def test_offset_and_limit_page_within_the_search_and_total_counts_every_match(
    personas: dict[str, User],
) -> None:
    made = [make_patient(first, "Pagepatient") for first in ("Ann", "Bea", "Cal", "Dee")]
    response = get(
        "/api/v1/patients", personas["prescriber"], q="pagepatient", offset="1", limit="2"
    )
    body = response.json()
    assert body["total"] == 4
    assert [row["id"] for row in body["items"]] == [made[1].pk, made[2].pk]
    assert (body["offset"], body["limit"], body["truncated"]) == (1, 2, False)
    # The audit names the patients this page was sent, not all four that matched.
    (search,) = entries(AuditAction.READ, "patient_search")
    assert (search.detail["count"], search.detail["patient_ids"]) == (4, [made[1].pk, made[2].pk])


def test_a_blank_or_impossible_query_is_refused_naming_q_and_reads_nothing(
    personas: dict[str, User],
) -> None:
    lead = personas["clinic_lead"]
    blank = get("/api/v1/patients", lead, q="   ")
    assert blank.status_code == 422
    assert blank.json() == {
        "detail": f"q: {SEARCH_EMPTY}",
        "errors": [{"field": "q", "item": None, "reason": SEARCH_EMPTY}],
    }
    impossible = get("/api/v1/patients", lead, q="2021-02-29")
    assert impossible.status_code == 422
    assert impossible.json()["errors"][0] == {"field": "q", "item": None, "reason": SEARCH_BAD_DATE}
    missing = Client().get("/api/v1/patients", headers=bearer_for(lead))
    assert missing.status_code == 422
    assert "q" in missing.json()["detail"]
    too_far = get("/api/v1/patients", lead, q="avery", offset="51")
    assert too_far.status_code == 422
    assert "offset" in too_far.json()["detail"]
    assert entries(AuditAction.READ, "patient_search") == []


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(
        st.text(max_size=40),
        st.from_regex(r"\A\s{0,2}[0-9]{4}-[0-9]{2}-[0-9]{2}\s{0,2}\Z"),
        st.lists(st.text(min_size=1, max_size=4), max_size=7).map(" ".join),
    )
)
def test_the_schema_s_search_pattern_admits_exactly_what_the_search_accepts(
    personas: dict[str, User], query: str
) -> None:
    # Written without \s, \d or \w, which mean fewer characters to a JSON Schema reader.
    assert not re.search(r"\\[sdwSDW]", SEARCH_QUERY_PATTERN)
    try:
        patient_search(query=query, by=personas["nurse"])
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert bool(re.search(SEARCH_QUERY_PATTERN, query)) == accepted


def test_the_search_admits_the_web_search_s_roles_and_no_one_else(
    personas: dict[str, User],
) -> None:
    make_patient("Avery", "Testpatient")
    for name, user in personas.items():
        status = get("/api/v1/patients", user, q="avery").status_code
        assert status == (200 if name in PATIENT_CARE else 403), name
    assert Client().get("/api/v1/patients", {"q": "avery"}).status_code == 401
    # A refusal is itself in the trail.
    denied = AuditEntry.objects.filter(
        action=AuditAction.ACCESS_DENIED, actor_id=personas["custodian"].pk
    ).get()
    assert denied.object_id == "/api/v1/patients"


# ---- the summary ------------------------------------------------------------------------


def _charted_patient(by: User) -> Patient:
    """A patient with something in every part of the summary, and things that must not show."""
    patient = make_patient("Robin", "Chartpatient", born=date(1990, 6, 15))
    details = replace(
        PatientDetails.of(patient),
        gender_identity="non_binary",
        pronouns="they/them",
        escort_name="Sam Escort",
        escort_relationship="Partner",
        escort_phone="555-010-0199",
    )
    patient_update_details(patient=patient, details=details, by=by)
    weight_record(
        patient=patient, value=Decimal(154), unit="lb", measured_on=date(2026, 3, 1), by=by
    )
    weight_record(
        patient=patient, value=Decimal(72), unit="kg", measured_on=date(2026, 1, 5), by=by
    )
    allergy_add(patient=patient, substance="Latex", reaction="Hives", severity="moderate", by=by)
    wrong = allergy_add(patient=patient, substance="Penicillin", severity="mild", by=by)
    allergy_mark_entered_in_error(allergy=wrong, reason="Other patient's", by=by)
    medication_add(patient=patient, name="Lorazepam", dose_text="1 mg at night", by=by)
    stopped = medication_add(patient=patient, name="Sertraline", by=by)
    medication_stop(medication=stopped, stopped_on=date(2026, 2, 1), by=by)
    diagnosis_add(patient=patient, code="F33.1", by=by)
    patient_record_pregnancy_potential(
        patient=patient, potential="no", asked_on=date(2026, 3, 1), by=by
    )
    return Patient.objects.get(pk=patient.pk)


@time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False)
def test_the_summary_has_what_a_nurse_needs_and_is_audited_as_a_chart_read(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    patient = _charted_patient(personas["prescriber"])
    before = AuditEntry.objects.count()
    response = get(f"/api/v1/patients/{patient.pk}", nurse)
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "mrn", "legal_first_name", "legal_last_name")} == {
        "id": patient.pk,
        "mrn": patient.mrn,
        "legal_first_name": "Robin",
        "legal_last_name": "Chartpatient",
    }
    assert (body["date_of_birth"], body["age"], body["sex_at_birth"]) == (
        "1990-06-15",
        35,
        "female",
    )
    assert body["gender"] == {
        "identity": "non_binary",
        "text": "Non-binary",
        "pronouns": "they/them",
    }
    # The most recently measured weight, as stored and as pages show it.
    assert body["latest_weight"] == {
        "weight_kg": 69.85,
        "weight_kg_shown": 69.9,
        "entered": "154 lb",
        "measured_on": "2026-03-01",
    }
    assert body["allergy_status"] == "has_allergies"
    assert [(a["substance"], a["reaction"], a["severity"]) for a in body["allergies"]] == [
        ("Latex", "Hives", "moderate")
    ]
    assert body["ketamine_allergy"] is False
    (lorazepam,) = body["current_medications"]
    assert (lorazepam["name"], lorazepam["dose_text"]) == ("Lorazepam", "1 mg at night")
    assert lorazepam["flags"] == ["benzodiazepine"]
    assert lorazepam["flag_labels"] == ["Benzodiazepine (may blunt the effect)"]
    assert [(d["code"], d["title"]) for d in body["diagnoses"]] == [
        ("F33.1", "Major depressive disorder, recurrent, moderate")
    ]
    assert body["pregnancy"] == {"potential": "no", "asked_on": "2026-03-01"}
    assert body["escort"] == {
        "name": "Sam Escort",
        "relationship": "Partner",
        "phone": "555-010-0199",
    }
    # One read, of the chart (the token the helper issued has its own entry).
    (read,) = AuditEntry.objects.filter(seq__gt=before, action=AuditAction.READ)
    assert (read.action, read.object_type) == (AuditAction.READ, "patient")
    assert (read.object_id, read.patient_id) == (str(patient.pk), str(patient.pk))
    assert (read.actor_id, read.channel) == (nurse.pk, "api")


def test_a_summary_says_allergies_were_not_asked_rather_than_none(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    body = get(f"/api/v1/patients/{patient.pk}", personas["front_desk"]).json()
    assert body["allergy_status"] == "not_asked"
    assert (body["latest_weight"], body["escort"]) == (None, None)
    assert body["pregnancy"] == {"potential": None, "asked_on": None}
    assert body["gender"] == {"identity": None, "text": "", "pronouns": ""}


def test_an_unknown_patient_is_404_and_nothing_is_recorded_as_read(
    personas: dict[str, User],
) -> None:
    response = get("/api/v1/patients/987654", personas["prescriber"])
    assert response.status_code == 404
    assert response.json() == {"detail": PATIENT_NOT_FOUND}
    assert entries(AuditAction.READ, "patient") == []


def test_the_summary_admits_the_chart_s_roles_and_no_one_else(personas: dict[str, User]) -> None:
    patient = make_patient()
    for name, user in personas.items():
        status = get(f"/api/v1/patients/{patient.pk}", user).status_code
        assert status == (200 if name in PATIENT_CARE else 403), name
    assert Client().get(f"/api/v1/patients/{patient.pk}").status_code == 401


# ---- registration -----------------------------------------------------------------------


def _registration(**changes: object) -> dict[str, object]:
    return {
        "legal_first_name": "Jordan",
        "legal_last_name": "Newpatient",
        "preferred_name": "Jo",
        "date_of_birth": "1988-04-02",
        "sex_at_birth": "male",
        **changes,
    }


def test_the_front_desk_registers_a_patient_with_the_next_mrn_audited(
    personas: dict[str, User],
) -> None:
    desk = personas["front_desk"]
    response = post("/api/v1/patients", desk, _registration())
    assert response.status_code == 201
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert body == {
        "id": patient.pk,
        "mrn": patient.mrn,
        "legal_first_name": "Jordan",
        "legal_last_name": "Newpatient",
        "preferred_name": "Jo",
        "display_name": 'Newpatient, Jordan "Jo"',
        "date_of_birth": "1988-04-02",
        "sex_at_birth": "male",
    }
    assert patient.mrn.startswith("KC")
    assert patient.created_by == desk
    (created,) = entries(AuditAction.CREATE, "patient")
    assert (created.object_id, created.patient_id) == (str(patient.pk), str(patient.pk))
    assert (created.actor_id, created.channel) == (desk.pk, "api")
    assert created.detail == {"mrn": patient.mrn}


def test_a_registration_the_service_refuses_names_each_field_and_writes_nothing(
    personas: dict[str, User],
) -> None:
    desk = personas["front_desk"]
    response = post(
        "/api/v1/patients", desk, _registration(legal_first_name="   ", date_of_birth="2999-01-01")
    )
    assert response.status_code == 422
    problems = {p["field"]: p["reason"] for p in response.json()["errors"]}
    assert problems == {
        "legal_first_name": PATIENT_FIRST_NAME_REQUIRED,
        "date_of_birth": PATIENT_DOB_IN_FUTURE,
    }
    assert f"date_of_birth: {PATIENT_DOB_IN_FUTURE}" in response.json()["detail"]
    assert not Patient.objects.exists()
    assert entries(AuditAction.CREATE, "patient") == []


def test_a_malformed_registration_is_refused_by_field_before_the_service(
    personas: dict[str, User],
) -> None:
    desk = personas["front_desk"]
    cases = {
        "sex_at_birth": _registration(sex_at_birth="robot"),
        "date_of_birth": _registration(date_of_birth=0),  # not read as a Unix time
        "legal_last_name": _registration(legal_last_name="Nul\u0000byte"),
    }
    for field, body in cases.items():
        response = post("/api/v1/patients", desk, body)
        assert response.status_code == 422, field
        assert f"body.payload.{field}" in response.json()["detail"], field
    missing = post("/api/v1/patients", desk, {"legal_first_name": "Jordan"})
    assert missing.status_code == 422
    assert "legal_last_name" in missing.json()["detail"]
    assert not Patient.objects.exists()


def test_a_hostile_name_round_trips_verbatim_as_json_never_escaped(
    personas: dict[str, User],
) -> None:
    created = post(
        "/api/v1/patients", personas["front_desk"], _registration(preferred_name=HOSTILE)
    )
    assert created.status_code == 201
    assert created["Content-Type"] == "application/json; charset=utf-8"
    assert created.json()["preferred_name"] == HOSTILE
    patient_id = created.json()["id"]
    summary = get(f"/api/v1/patients/{patient_id}", personas["nurse"])
    assert summary.json()["preferred_name"] == HOSTILE
    assert summary.json()["display_name"] == f'Newpatient, Jordan "{HOSTILE}"'
    found = get("/api/v1/patients", personas["nurse"], q="Newpatient").json()
    assert found["items"][0]["preferred_name"] == HOSTILE
    # JSON, not HTML: nothing was entity-escaped on the way out.
    assert b"&lt;" not in summary.content
    assert b"&amp;amp;" not in summary.content


def test_only_the_front_desk_registers(personas: dict[str, User]) -> None:
    for name, user in personas.items():
        response = post("/api/v1/patients", user, _registration(legal_last_name=f"Role{name}"))
        assert response.status_code == (201 if name == "front_desk" else 403), name
    assert post("/api/v1/patients", None, _registration()).status_code == 401
    assert list(Patient.objects.values_list("legal_last_name", flat=True)) == ["Rolefront_desk"]
