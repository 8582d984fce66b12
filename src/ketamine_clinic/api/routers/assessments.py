"""Instruments, a patient's scores and questionnaires, and the risk-flag review, in the API.

Scoring, storing and raising flags are the assessments app's (`record_response`,
`record_risk_assessment`, which audit); reads go through its selectors, audited where
they show patient data. Who may do what is the web pages' own policies: the registry's
(patients/policies.py) for patient data, the review queue's (review/views.py) for risk
flags, so each rule is written once.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import P, PathEx, Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from ketamine_clinic.access.policy import ANY_STAFF
from ketamine_clinic.api.auth import api_access, api_user
from ketamine_clinic.api.routers import AUTH_ERRORS
from ketamine_clinic.api.routers.patients import (
    MAX_ID,
    PATIENT_NOT_FOUND,
    QUERY_ERRORS,
    WRITE_ERRORS,
    PatientId,
)
from ketamine_clinic.api.schemas import ErrorOut
from ketamine_clinic.api.schemas_assessments import (
    INSTRUMENT_KEY_MAX_LENGTH,
    InstrumentOut,
    InstrumentSummaryOut,
    QuestionnaireIn,
    QuestionnaireQuery,
    ResponseCreatedOut,
    ResponseOut,
    RiskAssessmentIn,
    RiskFlagOut,
    ScoreOut,
)
from ketamine_clinic.api.schemas_problems import FieldProblem, ProblemOut
from ketamine_clinic.assessments.enums import ResponseChannel
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.selectors import (
    patient_scores,
    questionnaire_history,
    risk_flag_by_id,
    risk_review_queue,
)
from ketamine_clinic.assessments.services import (
    RISK_FLAG_ALREADY_ASSESSED,
    record_response,
    record_risk_assessment,
)
from ketamine_clinic.instruments.definitions import all_instruments, get_instrument
from ketamine_clinic.instruments.errors import InvalidAnswers, UnknownInstrument
from ketamine_clinic.patients.chart_panels import TREND_POINTS
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.policies import CLINICAL_RECORDING, PATIENT_CARE
from ketamine_clinic.patients.selectors import patient_by_id
from ketamine_clinic.review.policies import QUEUE_ACTORS, QUEUE_READERS

router = Router(tags=["assessments"])

# The review queue page's policies: prescribers and the clinic lead read the open
# flags; only prescribers assess one (`record_risk_assessment` refuses anyone else too).
RISK_REVIEW = QUEUE_READERS
RISK_ASSESSING = QUEUE_ACTORS
# Entering a patient's answers for them (a paper form, a phone call) is clinical
# recording, as weights and medications are: the registry's CLINICAL_RECORDING.
QUESTIONNAIRE_ENTRY = CLINICAL_RECORDING

INSTRUMENT_NOT_FOUND = "No instrument has this key."
RISK_FLAG_NOT_FOUND = "No risk flag has this id."

InstrumentKey = PathEx[str, P(max_length=INSTRUMENT_KEY_MAX_LENGTH, description="e.g. `phq9`.")]
FlagId = PathEx[int, P(ge=1, le=MAX_ID)]


def _unknown_instrument(error: UnknownInstrument) -> ProblemOut:
    return ProblemOut.of([FieldProblem(field="instrument", reason=str(error))])


def _patient(patient_id: int) -> Patient:
    try:
        return patient_by_id(patient_id=patient_id)
    except Patient.DoesNotExist:
        raise HttpError(404, PATIENT_NOT_FOUND) from None


# ---- instruments ------------------------------------------------------------------------


@router.get(
    "/instruments",
    response={200: list[InstrumentSummaryOut], **AUTH_ERRORS},
    auth=api_access(ANY_STAFF),
)
def instrument_list(request: HttpRequest) -> list[InstrumentSummaryOut]:
    """Every instrument the clinic scores. No patient data, so not audited."""
    return [InstrumentSummaryOut.of(instrument) for instrument in all_instruments().values()]


@router.get(
    "/instruments/{instrument_key}",
    response={200: InstrumentOut, 404: ErrorOut, **QUERY_ERRORS},
    auth=api_access(ANY_STAFF),
)
def instrument_detail(request: HttpRequest, instrument_key: InstrumentKey) -> InstrumentOut:
    """One instrument's definition: items and options, bands, LOINC codes, source, licence."""
    try:
        return InstrumentOut.of(get_instrument(instrument_key))
    except UnknownInstrument:
        raise HttpError(404, INSTRUMENT_NOT_FOUND) from None


# ---- a patient's scores and questionnaires ----------------------------------------------


@router.get(
    "/patients/{patient_id}/scores",
    response={200: list[ScoreOut], 404: ErrorOut, **QUERY_ERRORS},
    auth=api_access(PATIENT_CARE),
)
def patient_score_list(request: HttpRequest, patient_id: PatientId) -> list[ScoreOut]:
    """The latest response per instrument the patient has answered, with its trend; audited."""
    patient = _patient(patient_id)
    return [
        ScoreOut(
            instrument=score.latest.instrument_key,
            short_name=score.latest.short_name,
            latest=ResponseOut.of(score.latest.latest),
            trend=score.latest.trend,
            change=score.latest.change,
            previous_total=score.latest.previous.total if score.latest.previous else None,
            previous_taken_at=score.latest.previous.taken_at if score.latest.previous else None,
            recent_totals=score.recent_totals,
        )
        for score in patient_scores(patient=patient, by=api_user(request), points=TREND_POINTS)
    ]


@router.get(
    "/patients/{patient_id}/questionnaires",
    response={200: list[ResponseOut], 404: ErrorOut, **QUERY_ERRORS},
    auth=api_access(PATIENT_CARE),
)
def questionnaire_list(
    request: HttpRequest,
    patient_id: PatientId,
    params: Query[QuestionnaireQuery],
) -> list[ResponseOut] | Status[ProblemOut]:
    """One instrument's responses, oldest first (corrected ones replaced by their
    corrections); the read is audited against the patient."""
    patient = _patient(patient_id)
    try:
        history = questionnaire_history(
            patient=patient, instrument_key=params.instrument, by=api_user(request)
        )
    except UnknownInstrument as error:
        return Status(422, _unknown_instrument(error))
    return [ResponseOut.of(response) for response in history]


@router.post(
    "/patients/{patient_id}/questionnaires",
    response={201: ResponseCreatedOut, 404: ErrorOut, **WRITE_ERRORS},
    auth=api_access(QUESTIONNAIRE_ENTRY),
)
def questionnaire_record(
    request: HttpRequest, patient_id: PatientId, payload: QuestionnaireIn
) -> Status[ResponseCreatedOut] | Status[ProblemOut]:
    """Score and store answers a member of staff entered (channel `api`), raising the risk
    flags they call for. Answers that cannot be scored are refused naming the item and
    why, and nothing is written."""
    patient = _patient(patient_id)
    try:
        response = record_response(
            patient,
            payload.instrument,
            payload.answers,
            actor=api_user(request),
            channel=ResponseChannel.API,
            taken_at=payload.taken_at,
            comment=payload.comment,
        )
    except UnknownInstrument as error:
        return Status(422, _unknown_instrument(error))
    except InvalidAnswers as error:
        problem = FieldProblem(field="answers", item=error.item, reason=error.reason)
        return Status(422, ProblemOut.of([problem]))
    except ValidationError as error:
        return Status(422, ProblemOut.from_validation_error(error))
    flags = list(response.risk_flags.order_by("id"))
    return Status(201, ResponseCreatedOut.created(response, flags))


# ---- risk flags -------------------------------------------------------------------------


@router.get(
    "/risk-flags",
    response={200: list[RiskFlagOut], **AUTH_ERRORS},
    auth=api_access(RISK_REVIEW),
)
def risk_flag_list(request: HttpRequest) -> list[RiskFlagOut]:
    """Every open risk flag, oldest first (the patient waiting longest first); audited
    with the patients it shows."""
    return [RiskFlagOut.of(flag) for flag in risk_review_queue(by=api_user(request))]


@router.post(
    "/risk-flags/{flag_id}/assessment",
    response={200: RiskFlagOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    auth=api_access(RISK_ASSESSING),
)
def risk_flag_assess(
    request: HttpRequest, flag_id: FlagId, payload: RiskAssessmentIn
) -> RiskFlagOut | Status[ProblemOut]:
    """Record a prescriber's assessment of an open flag, which lifts its block on the next
    infusion; audited. A flag already assessed is a conflict (409), not a second note."""
    try:
        flag = risk_flag_by_id(flag_id=flag_id)
    except RiskFlag.DoesNotExist:
        raise HttpError(404, RISK_FLAG_NOT_FOUND) from None
    try:
        assessed = record_risk_assessment(flag, actor=api_user(request), note=payload.note)
    except PermissionDenied as error:
        raise HttpError(403, str(error)) from None
    except ValidationError as error:
        if getattr(error, "code", None) == "already_assessed":
            raise HttpError(409, RISK_FLAG_ALREADY_ASSESSED) from None
        return Status(422, ProblemOut.from_validation_error(error))
    return RiskFlagOut.of(assessed)
