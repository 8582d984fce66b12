"""A patient, their visits, vitals and scores as FHIR R4 resources (R4B models, see the
package docstring). Pure: each function reads the records it is given, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.fhir import codes
from ketamine_clinic.fhir.build_common import concept, reference, ucum_quantity, utc
from ketamine_clinic.instruments.definitions import VERIFY, get_instrument
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit, VitalsReading

# Patient.gender is FHIR's *administrative* gender (male | female | other | unknown),
# the one record-matching uses. The registry keeps sex at birth (the PK models'
# covariate) and, separately, the gender identity the patient tells the desk, which has
# no such four-value form. Sex at birth is the registry's only fact with the same four
# shapes, so it is what Patient.gender carries: female and male as such, intersex as
# "other" (not male or female), unknown as "unknown". The exact value also travels in
# the clinic's sex-at-birth extension, so an import of our own export loses nothing.
GENDER_FOR_SEX_AT_BIRTH = {
    "female": "female",
    "male": "male",
    "intersex": "other",
    "unknown": "unknown",
}

# A visit's state as an R4 Encounter.status (planned | arrived | triaged | in-progress |
# onleave | finished | cancelled | entered-in-error | unknown). R4 has no "no-show":
# a patient who did not attend is "cancelled" (R4's definition: "the Encounter has
# ended before it has begun"), and the state's own label goes in the text beside it. An
# aborted visit did happen and is over: "finished" (the Procedure says "stopped").
ENCOUNTER_STATUS = {
    VisitState.SCHEDULED: "planned",
    VisitState.CHECKED_IN: "arrived",
    VisitState.CHECKS_DONE: "triaged",
    VisitState.READY: "in-progress",
    VisitState.INFUSING: "in-progress",
    VisitState.PAUSED: "in-progress",
    VisitState.RECOVERY: "in-progress",
    VisitState.DISCHARGED: "finished",
    VisitState.CANCELLED: "cancelled",
    VisitState.DID_NOT_ATTEND: "cancelled",
    VisitState.ABORTED: "finished",
}


def mrn_identifier(mrn: str) -> Identifier:
    return Identifier(
        use="usual",
        type=concept(codes.IDENTIFIER_TYPE, "MR", "Medical record number"),
        system=codes.MRN_SYSTEM,
        value=mrn,
    )


def build_patient(patient: Patient) -> FhirPatient:
    names = [
        HumanName(use="official", family=patient.legal_last_name, given=[patient.legal_first_name])
    ]
    if patient.preferred_name and patient.preferred_name != patient.legal_first_name:
        names.append(
            HumanName(use="usual", family=patient.legal_last_name, given=[patient.preferred_name])
        )
    return FhirPatient(
        id=str(patient.pk),
        identifier=[mrn_identifier(patient.mrn)],
        name=names,
        birthDate=patient.date_of_birth,
        gender=GENDER_FOR_SEX_AT_BIRTH[patient.sex_at_birth],
        extension=[Extension(url=codes.SEX_AT_BIRTH_EXTENSION, valueCode=patient.sex_at_birth)],
    )


def build_encounter(visit: Visit) -> Encounter:
    start = visit.checked_in_at or visit.scheduled_start
    end = visit.discharged_at or visit.ended_at
    label = VisitState(visit.state).label
    return Encounter(
        id=str(visit.pk),
        status=ENCOUNTER_STATUS[VisitState(visit.state)],
        # The model's Python name for "class"; mypy's pydantic view knows only the alias.
        class_fhir=Coding(  # type: ignore[call-arg]
            system=codes.ACT_CODE, code=codes.AMBULATORY[0], display=codes.AMBULATORY[1]
        ),
        type=[CodeableConcept(text=f"Ketamine infusion visit ({label})")],
        subject=reference("Patient", visit.patient_id),
        period=Period(start=utc(start), end=utc(end) if end is not None else None),
    )


def _vital(
    reading: VitalsReading,
    suffix: str,
    code: tuple[str, str, str],
    *,
    value: int | None = None,
    component: list[ObservationComponent] | None = None,
) -> Observation:
    loinc, display, _ = code
    return Observation(
        id=f"vitals-{reading.pk}-{suffix}",
        status="final",
        category=[concept(codes.OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        code=concept(codes.LOINC, loinc, display),
        subject=reference("Patient", reading.visit.patient_id),
        encounter=reference("Encounter", reading.visit_id),
        effectiveDateTime=utc(reading.taken_at),
        valueQuantity=ucum_quantity(value, code[2]) if value is not None else None,
        component=component,
    )


def build_vitals(reading: VitalsReading) -> list[Observation]:
    """One Observation per measurement; blood pressure as the panel with two components."""
    found = [
        _vital(
            reading,
            "hr",
            codes.HEART_RATE,
            value=reading.heart_rate_per_min,
        ),
        _vital(
            reading,
            "spo2",
            codes.SPO2,
            value=reading.spo2_percent,
        ),
        _vital(
            reading,
            "bp",
            codes.BP_PANEL,
            component=[
                ObservationComponent(
                    code=concept(codes.LOINC, code[0], code[1]),
                    valueQuantity=ucum_quantity(value, code[2]),
                )
                for code, value in (
                    (codes.SYSTOLIC, reading.systolic_mmhg),
                    (codes.DIASTOLIC, reading.diastolic_mmhg),
                )
            ],
        ),
    ]
    if reading.respiratory_rate_per_min is not None:
        found.append(
            _vital(
                reading,
                "rr",
                codes.RESPIRATORY_RATE,
                value=reading.respiratory_rate_per_min,
            )
        )
    return found


def total_code(instrument_key: str) -> CodeableConcept:
    """LOINC where the reference gives the total's code; the clinic's own code otherwise.

    A total whose LOINC code the reference marks "verify" (PCL-5, QIDS-SR16, ...) is
    coded in INSTRUMENT_TOTAL_SYSTEM with the instrument's key: a guessed LOINC code
    would tell a receiving system something we do not know to be true.
    """
    instrument = get_instrument(instrument_key)
    loinc = instrument.loinc.get("total", VERIFY)
    text = f"{instrument.short_name} total score"
    # The coding's display is LOINC's own name for the code, or none: ours would not be.
    if loinc != VERIFY:
        return concept(codes.LOINC, loinc, codes.LOINC_TOTAL_DISPLAY.get(loinc), text=text)
    return concept(codes.INSTRUMENT_TOTAL_SYSTEM, instrument.key, text, text)


def questionnaire_canonical(response: QuestionnaireResponse) -> str:
    return f"{codes.QUESTIONNAIRE_BASE}{response.instrument_key}|{response.instrument_version}"


def build_questionnaire_response(response: QuestionnaireResponse) -> FhirQuestionnaireResponse:
    """The item answers as given; an unanswered item is left out (R4: no answer, no item)."""
    instrument = get_instrument(response.instrument_key)
    answers: Sequence[int | None] = response.answers
    items = [
        QuestionnaireResponseItem(
            linkId=item.id,
            text=item.text,
            answer=[QuestionnaireResponseItemAnswer(valueInteger=answer)],
        )
        for item, answer in zip(instrument.items, answers, strict=False)
        if answer is not None
    ]
    return FhirQuestionnaireResponse(
        id=str(response.pk),
        questionnaire=questionnaire_canonical(response),
        status="completed" if response.valid else "in-progress",
        subject=reference("Patient", response.patient_id),
        authored=utc(response.taken_at),
        item=items or None,
    )


def build_score(response: QuestionnaireResponse) -> Observation | None:
    """The total as a survey Observation, or None for an instrument with no total."""
    if response.total is None:
        return None
    return Observation(
        id=f"score-{response.pk}",
        status="final",
        category=[concept(codes.OBSERVATION_CATEGORY, "survey", "Survey")],
        code=total_code(response.instrument_key),
        subject=reference("Patient", response.patient_id),
        effectiveDateTime=utc(response.taken_at),
        valueInteger=response.total,
        interpretation=[CodeableConcept(text=response.severity)] if response.severity else None,
        derivedFrom=[reference("QuestionnaireResponse", response.pk)],
    )
