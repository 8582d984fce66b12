"""The read-only FHIR R4 REST endpoint under /fhir/r4/ (JSON only).

Each view validates its input, calls the selectors and answers with a resource or an
OperationOutcome; the client checks are in auth.py, every read is audited there or here
through `audit_fhir_read`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketamine_clinic.access.policy import PUBLIC, access
from ketamine_clinic.fhir.auth import fhir_read, fhir_response, outcome_response
from ketamine_clinic.fhir.build_clinical import build_patient
from ketamine_clinic.fhir.build_server import build_capability_statement
from ketamine_clinic.fhir.clients import RESOURCE_TYPES, scopes_allow
from ketamine_clinic.fhir.models import FhirClient
from ketamine_clinic.fhir.selectors import (
    audit_fhir_read,
    make_bundle,
    patient_bundle,
    patients_by_identifier,
)
from ketamine_clinic.patients.models import Patient

PATIENT_NOT_FOUND = "Patient/{patient_id} is not known here."
SEARCH_NEEDS_IDENTIFIER = "Search Patient by identifier=system|value (or identifier=value)."
SEARCH_UNSUPPORTED = "Unsupported search parameter(s): {names}. Only identifier is supported."
SEARCH_ONE_IDENTIFIER = "Give one identifier parameter, with one value."
EVERYTHING_NO_PARAMETERS = "$everything takes no parameters here: {names}."


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def _patient(patient_id: str) -> Patient | None:
    if not patient_id.isdigit() or len(patient_id) > 18:
        return None
    return Patient.objects.filter(pk=int(patient_id)).first()


@access(PUBLIC)
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """GET metadata: the CapabilityStatement. Public, as FHIR servers' usually is: it
    says what the server can do and nothing about any patient."""
    return fhir_response(build_capability_statement(base_url=_base_url(request), at=timezone.now()))


@fhir_read("Patient")
def patient_read(request: HttpRequest, client: FhirClient, patient_id: str) -> HttpResponse:
    patient = _patient(patient_id)
    if patient is None:
        return outcome_response(404, "not-found", PATIENT_NOT_FOUND.format(patient_id=patient_id))
    audit_fhir_read(client=client, interaction="read", patient=patient)
    return fhir_response(build_patient(patient))


@fhir_read("Patient")
def patient_everything(request: HttpRequest, client: FhirClient, patient_id: str) -> HttpResponse:
    """Everything about one patient that the client's scopes cover (a searchset Bundle).

    A Patient operation, so it needs system/Patient.read; each other type comes only
    with its own scope (system/Observation.read, ...) or system/*.read.
    """
    if request.GET:
        names = ", ".join(sorted(request.GET))
        return outcome_response(400, "not-supported", EVERYTHING_NO_PARAMETERS.format(names=names))
    patient = _patient(patient_id)
    if patient is None:
        return outcome_response(404, "not-found", PATIENT_NOT_FOUND.format(patient_id=patient_id))
    bundle = patient_bundle(
        patient=patient,
        client=client,
        interaction="$everything",
        bundle_type="searchset",
        base_url=_base_url(request),
        resource_types=[t for t in RESOURCE_TYPES if scopes_allow(client.scope_list, t)],
    )
    return fhir_response(bundle)


@fhir_read("Patient")
def patient_search(request: HttpRequest, client: FhirClient) -> HttpResponse:
    """GET Patient?identifier=system|value: a searchset Bundle (possibly empty)."""
    unsupported = sorted(name for name in request.GET if name != "identifier")
    if unsupported:
        return outcome_response(
            400, "not-supported", SEARCH_UNSUPPORTED.format(names=", ".join(unsupported))
        )
    values = request.GET.getlist("identifier")
    if not values:
        return outcome_response(400, "required", SEARCH_NEEDS_IDENTIFIER)
    if len(values) > 1 or "," in values[0]:
        return outcome_response(400, "not-supported", SEARCH_ONE_IDENTIFIER)
    system, bar, value = values[0].rpartition("|")
    if not value.strip():
        return outcome_response(400, "invalid", SEARCH_NEEDS_IDENTIFIER)
    patients = patients_by_identifier(system=system if bar else None, value=value)
    query = f"identifier={values[0]}"
    if not patients:
        audit_fhir_read(client=client, interaction="search", patient=None, query=query)
    for patient in patients:
        audit_fhir_read(client=client, interaction="search", patient=patient, query=query)
    return fhir_response(
        make_bundle(
            [build_patient(p) for p in patients],
            bundle_type="searchset",
            base_url=_base_url(request),
        )
    )
