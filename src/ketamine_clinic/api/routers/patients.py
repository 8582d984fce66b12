"""The patient registry in the API: search, the chart's summary, registration.

The same selectors, services and policies as the web pages (patients/views.py), so a
rule lives in one place: who may search and read (`PATIENT_CARE`) and register
(`REGISTRATION`) is in patients/policies.py; the search is read and audited by
`patient_search`, the summary by `patient_chart`, registration by `patient_create`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import P, PathEx, Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from ketamine_clinic.api.auth import api_access, api_user
from ketamine_clinic.api.routers import AUTH_ERRORS, BODY_ERRORS
from ketamine_clinic.api.schemas import ErrorOut
from ketamine_clinic.api.schemas_patients import (
    PatientRegisterIn,
    PatientRowOut,
    PatientSearchOut,
    PatientSearchParams,
    PatientSummaryOut,
)
from ketamine_clinic.api.schemas_problems import ProblemOut
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.policies import PATIENT_CARE, REGISTRATION
from ketamine_clinic.patients.selectors import patient_chart, patient_search
from ketamine_clinic.patients.services.registry import patient_create

router = Router(tags=["patients"])

PATIENT_NOT_FOUND = "No patient has this id."

# Django's BigAutoField range: a larger id cannot exist, and PostgreSQL refuses it.
MAX_ID = 2**63 - 1
PatientId = PathEx[int, P(ge=1, le=MAX_ID, description="The patient's id (not the MRN).")]

# 422 answers carry the field (and for answers the item) beside the sentence.
QUERY_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 422: ProblemOut}
WRITE_ERRORS: dict[int, Any] = {**BODY_ERRORS, 422: ProblemOut}


@router.get(
    "/patients",
    response={200: PatientSearchOut, **QUERY_ERRORS},
    auth=api_access(PATIENT_CARE),
)
def patient_search_api(
    request: HttpRequest, params: Query[PatientSearchParams]
) -> PatientSearchOut | Status[ProblemOut]:
    """Find patients as the web search does; one audit entry for the search, not per patient.

    The search returns at most SEARCH_RESULT_LIMIT rows (the web page's limit: a desk
    narrows the query rather than scrolls), and `offset`/`limit` page within them. Each
    request is one search and one READ entry, written by the shared selector with the
    ids of the rows this page returns (every row by default, when `limit` is the whole
    search), not of rows the client was never sent.
    """
    page = slice(params.offset, params.offset + params.limit)
    try:
        result = patient_search(query=params.q, by=api_user(request), shown=page)
    except ValidationError as error:
        return Status(422, ProblemOut.from_validation_error(error, fields={"__all__": "q"}))
    return PatientSearchOut(
        query=result.query,
        kind=result.kind,
        total=result.total,
        offset=params.offset,
        limit=params.limit,
        truncated=result.truncated,
        items=[PatientRowOut.of(patient) for patient in result.patients[page]],
    )


@router.get(
    "/patients/{patient_id}",
    response={200: PatientSummaryOut, 404: ErrorOut, **QUERY_ERRORS},
    auth=api_access(PATIENT_CARE),
)
def patient_summary(request: HttpRequest, patient_id: PatientId) -> PatientSummaryOut:
    """The chart's summary (identity, weight for dosing, allergies, medications with their
    flags, diagnoses, pregnancy potential, escort); audited as the chart's read is."""
    try:
        chart = patient_chart(patient_id=patient_id, by=api_user(request))
    except Patient.DoesNotExist:
        raise HttpError(404, PATIENT_NOT_FOUND) from None
    return PatientSummaryOut.of(chart)


@router.post(
    "/patients",
    response={201: PatientRowOut, **WRITE_ERRORS},
    auth=api_access(REGISTRATION),
)
def patient_register(
    request: HttpRequest, payload: PatientRegisterIn
) -> Status[PatientRowOut] | Status[ProblemOut]:
    """Register a patient with the next MRN, as the front desk's web form does.

    The details beyond these (contacts, escort, gender identity) are completed on the
    chart, as after a web registration.
    """
    try:
        patient = patient_create(
            legal_first_name=payload.legal_first_name,
            legal_last_name=payload.legal_last_name,
            preferred_name=payload.preferred_name,
            date_of_birth=payload.date_of_birth,
            sex_at_birth=payload.sex_at_birth,
            by=api_user(request),
        )
    except ValidationError as error:
        return Status(422, ProblemOut.from_validation_error(error))
    return Status(201, PatientRowOut.of(patient))
