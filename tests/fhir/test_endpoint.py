"""/fhir/r4/: what each client scope may read, what every other caller gets, and the
audit entry each read leaves."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.resource import Resource

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.fhir.clients import RESOURCE_TYPES, fhir_client_create, fhir_client_revoke
from ketamine_clinic.patients.models import Patient
from tests.api.helpers import bearer, bearer_for
from tests.conftest import client_for
from tests.fhir.support import CourseRecord, validated
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"


def _token(*scopes: str, name: str = "Test HIE") -> str:
    return fhir_client_create(name=name, scopes=list(scopes), by=None).secret


def _get(
    path: str, secret: str | None = None, client: Client | None = None
) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get(path, headers=bearer(secret) if secret else {})
    assert response["Content-Type"] == FHIR_JSON
    body: dict[str, Any] = json.loads(response.content)
    return response.status_code, body


def _as(model: type[Resource], body: dict[str, Any]) -> dict[str, Any]:
    return validated(model, json.dumps(body))


def _outcome(body: dict[str, Any]) -> tuple[str, str]:
    issue = _as(OperationOutcome, body)["issue"][0]
    assert issue["severity"] == "error"
    return issue["code"], issue["diagnostics"]


def test_metadata_is_a_public_r4_capability_statement() -> None:
    status, body = _get("/fhir/r4/metadata")
    assert status == 200
    statement = _as(CapabilityStatement, body)
    assert (statement["fhirVersion"], statement["kind"], statement["format"]) == (
        "4.0.1",
        "instance",
        [FHIR_JSON],
    )
    patient = statement["rest"][0]["resource"][0]
    assert patient["type"] == "Patient"
    assert [i["code"] for i in patient["interaction"]] == ["read", "search-type"]
    assert [(p["name"], p["type"]) for p in patient["searchParam"]] == [("identifier", "token")]
    assert [o["definition"] for o in patient["operation"]] == [
        "http://hl7.org/fhir/OperationDefinition/Patient-everything"
    ]


def test_a_client_with_patient_read_reads_the_patient_and_the_read_is_audited() -> None:
    patient = make_patient("Robin", "Example")
    secret = _token("system/Patient.read", name="Regional HIE")
    status, body = _get(f"/fhir/r4/Patient/{patient.pk}", secret)
    assert status == 200
    parsed = _as(FhirPatient, body)
    assert (parsed["id"], parsed["identifier"][0]["value"], parsed["name"][0]["family"]) == (
        str(patient.pk),
        patient.mrn,
        "Example",
    )
    entry = AuditEntry.objects.get(action="read", object_type="fhir_Patient")
    client_id = entry.detail["client_id"]
    assert entry.actor_username == f"fhir-client:{client_id}:Regional HIE"
    assert entry.actor_id is None
    assert (entry.patient_id, entry.detail["interaction"]) == (str(patient.pk), "read")
    assert entry.channel == "fhir"  # not "web": a machine client came in by the FHIR door


def test_no_token_is_401_with_an_operation_outcome() -> None:
    patient = make_patient()
    response = Client().get(f"/fhir/r4/Patient/{patient.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
    assert _outcome(json.loads(response.content)) == (
        "login",
        "Authentication required: send 'Authorization: Bearer <client token>'.",
    )
    assert not AuditEntry.objects.filter(action="read").exclude(object_type="patient").exists()


@pytest.mark.parametrize("secret", ["kcf_not-a-token", "nonsense"])
def test_an_unknown_token_is_401(secret: str) -> None:
    patient = make_patient()
    response = Client().get(f"/fhir/r4/Patient/{patient.pk}", headers=bearer(secret))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir" error="invalid_token"'


def test_a_revoked_token_is_401_at_once() -> None:
    patient = make_patient()
    issued = fhir_client_create(name="Old HIE", scopes=["system/*.read"], by=None)
    assert _get(f"/fhir/r4/Patient/{patient.pk}", issued.secret)[0] == 200
    fhir_client_revoke(client_id=issued.client.pk, by=None)
    status, body = _get(f"/fhir/r4/Patient/{patient.pk}", issued.secret)
    assert status == 401
    assert _outcome(body) == (
        "login",
        "Authorization: this client token is not valid (unknown or revoked).",
    )


def test_a_token_without_the_scope_is_403_and_the_refusal_is_audited() -> None:
    patient = make_patient()
    secret = _token("system/Observation.read")
    for path in (f"/fhir/r4/Patient/{patient.pk}", f"/fhir/r4/Patient/{patient.pk}/$everything"):
        status, body = _get(path, secret)
        assert status == 403
        assert _outcome(body) == (
            "forbidden",
            "This client's scopes (system/Observation.read) do not include system/Patient.read.",
        )
    denied = list(AuditEntry.objects.filter(action="access_denied"))
    assert len(denied) == 2
    assert all(entry.actor_username.endswith(":Test HIE") for entry in denied)


def test_staff_sessions_and_staff_tokens_are_not_enough(personas: dict[str, User]) -> None:
    patient = make_patient()
    for name, user in personas.items():
        status, body = _get(f"/fhir/r4/Patient/{patient.pk}", client=client_for(user))
        assert (name, status) == (name, 403)
        assert _outcome(body)[1].startswith("A staff session does not open the FHIR endpoint")
        response = Client().get(f"/fhir/r4/Patient/{patient.pk}", headers=bearer_for(user))
        assert (name, response.status_code) == (name, 403)
    # A staff member who also holds a client token is judged on the token alone.
    secret = _token("system/Patient.read")
    assert _get(f"/fhir/r4/Patient/{patient.pk}", secret, client_for(personas["nurse"]))[0] == 200


def test_an_unknown_patient_is_404() -> None:
    secret = _token("system/Patient.read")
    for patient_id in ("999999", "abc"):
        status, body = _get(f"/fhir/r4/Patient/{patient_id}", secret)
        assert status == 404
        assert _outcome(body) == ("not-found", f"Patient/{patient_id} is not known here.")


def test_everything_with_every_scope_is_the_whole_record_as_a_searchset(
    course: CourseRecord,
) -> None:
    secret = _token("system/*.read")
    status, body = _get(f"/fhir/r4/Patient/{course.patient.pk}/$everything", secret)
    assert status == 200
    bundle = _as(Bundle, body)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == len(bundle["entry"]) == 1 + 6 + 11 + 3 + 1 + 1 + 1 + 2
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/r4/Patient/{course.patient.pk}"
    entry = AuditEntry.objects.get(action="read", object_type="fhir_Bundle")
    assert entry.patient_id == str(course.patient.pk)
    assert (entry.detail["interaction"], entry.detail["resources"]) == ("$everything", 26)


def test_everything_holds_only_the_types_the_scopes_name(course: CourseRecord) -> None:
    secret = _token("system/Patient.read", "system/Observation.read")
    status, body = _get(f"/fhir/r4/Patient/{course.patient.pk}/$everything", secret)
    assert status == 200
    kinds = Counter(e["resource"]["resourceType"] for e in _as(Bundle, body)["entry"])
    assert kinds == {"Patient": 1, "Observation": 11}


@pytest.mark.parametrize("resource_type", [t for t in RESOURCE_TYPES if t != "Patient"])
def test_each_scope_adds_its_own_type_to_everything(
    course: CourseRecord, resource_type: str
) -> None:
    secret = _token("system/Patient.read", f"system/{resource_type}.read")
    status, body = _get(f"/fhir/r4/Patient/{course.patient.pk}/$everything", secret)
    assert status == 200
    entries = _as(Bundle, body)["entry"]
    assert {e["resource"]["resourceType"] for e in entries} == {"Patient", resource_type}
    assert [e["search"]["mode"] for e in entries] == ["match"] + ["include"] * (len(entries) - 1)


def test_search_by_identifier_finds_the_mrn_in_the_clinic_system() -> None:
    patient = make_patient()
    make_patient("Other", "Person")
    secret = _token("system/Patient.read")
    for query in (f"urn:ketamine-clinic:mrn|{patient.mrn}", patient.mrn):
        status, body = _get(f"/fhir/r4/Patient?identifier={query}", secret)
        assert status == 200
        bundle = _as(Bundle, body)
        assert (bundle["type"], bundle["total"]) == ("searchset", 1)
        assert bundle["entry"][0]["resource"]["id"] == str(patient.pk)
    status, body = _get(
        f"/fhir/r4/Patient?identifier=http://other.example/mrn|{patient.mrn}", secret
    )
    assert (status, _as(Bundle, body)["total"]) == (200, 0)
    reads = AuditEntry.objects.filter(action="read", object_type="fhir_Patient")
    assert [e.patient_id for e in reads.order_by("seq")] == [str(patient.pk), str(patient.pk), ""]


@pytest.mark.parametrize(
    ("query", "code", "diagnostics"),
    [
        ("", "required", "Search Patient by identifier=system|value (or identifier=value)."),
        (
            "?name=Avery",
            "not-supported",
            "Unsupported search parameter(s): name. Only identifier is supported.",
        ),
        (
            "?identifier=a&identifier=b",
            "not-supported",
            "Give one identifier parameter, with one value.",
        ),
        (
            "?identifier=urn:ketamine-clinic:mrn|",
            "invalid",
            "Search Patient by identifier=system|value (or identifier=value).",
        ),
    ],
)
def test_a_bad_search_is_400(query: str, code: str, diagnostics: str) -> None:
    status, body = _get(f"/fhir/r4/Patient{query}", _token("system/Patient.read"))
    assert status == 400
    assert _outcome(body) == (code, diagnostics)


def test_there_are_no_writes() -> None:
    patient = make_patient()
    response = Client().post(
        f"/fhir/r4/Patient/{patient.pk}",
        data="{}",
        content_type=FHIR_JSON,
        headers=bearer(_token("system/*.read")),
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert Patient.objects.count() == 1
