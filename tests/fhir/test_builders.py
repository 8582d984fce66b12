"""Each builder's output, serialised and parsed back with fhir.resources (R4B models),
with the exact codes, units and values of the known visit in tests/fhir/support.py."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.device import Device as FhirDevice
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketamine_clinic.fhir.build_clinical import (
    ENCOUNTER_STATUS,
    build_encounter,
    build_patient,
    build_questionnaire_response,
    build_score,
    build_vitals,
)
from ketamine_clinic.fhir.build_infusion import (
    build_device,
    build_medication_administration,
    build_medication_request,
    build_procedure,
)
from ketamine_clinic.fhir.selectors import _devices_by_visit, _infusion_record
from ketamine_clinic.infusion.models import PumpEvent
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import VitalsReading
from tests.fhir.support import GAD7_ANSWERS, CourseRecord, fhir_time, validated
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _codes(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept["coding"]]


def _quantity(quantity: dict[str, Any]) -> tuple[float, str, str]:
    return quantity["value"], quantity["system"], quantity["code"]


def test_the_patient_carries_the_mrn_name_birth_date_and_gender_from_sex_at_birth() -> None:
    patient = make_patient("Robin", "Example", preferred="Rob", sex=SexAtBirth.INTERSEX)
    parsed = validated(FhirPatient, build_patient(patient).model_dump_json())
    assert [(i["system"], i["value"]) for i in parsed["identifier"]] == [
        ("urn:ketamine-clinic:mrn", patient.mrn)
    ]
    assert _codes(parsed["identifier"][0]["type"]) == [
        ("http://terminology.hl7.org/CodeSystem/v2-0203", "MR")
    ]
    assert parsed["name"] == [
        {"use": "official", "family": "Example", "given": ["Robin"]},
        {"use": "usual", "family": "Example", "given": ["Rob"]},
    ]
    assert parsed["birthDate"] == "1984-03-07"
    # Intersex is neither male nor female: administrative gender "other"; the exact
    # value travels in the clinic's extension.
    assert parsed["gender"] == "other"
    assert parsed["extension"] == [
        {"url": "urn:ketamine-clinic:extension:sex-at-birth", "valueCode": "intersex"}
    ]


@pytest.mark.parametrize(
    ("sex", "gender"),
    [("female", "female"), ("male", "male"), ("intersex", "other"), ("unknown", "unknown")],
)
def test_each_sex_at_birth_maps_to_one_administrative_gender(sex: str, gender: str) -> None:
    patient = make_patient(sex=SexAtBirth(sex))
    assert build_patient(patient).gender == gender


def test_an_encounter_per_visit_is_ambulatory_with_its_state_and_period(
    course: CourseRecord,
) -> None:
    infused = validated(Encounter, build_encounter(course.infused).model_dump_json())
    assert infused["status"] == "in-progress"  # in recovery
    assert (infused["class"]["system"], infused["class"]["code"]) == (
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "AMB",
    )
    assert infused["subject"] == {"reference": f"Patient/{course.patient.pk}"}
    assert course.infused.checked_in_at is not None
    assert infused["period"] == {"start": fhir_time(course.infused.checked_in_at)}
    booked = validated(Encounter, build_encounter(course.booked[0]).model_dump_json())
    assert booked["status"] == "planned"
    assert booked["period"] == {"start": fhir_time(course.booked[0].scheduled_start)}


def test_vitals_are_loinc_coded_in_ucum_with_the_blood_pressure_panel(
    course: CourseRecord,
) -> None:
    found = {
        o.id: validated(Observation, o.model_dump_json()) for o in build_vitals(course.reading)
    }
    prefix = f"vitals-{course.reading.pk}-"
    assert sorted(str(key) for key in found) == [prefix + s for s in ("bp", "hr", "rr", "spo2")]
    for observation in found.values():
        assert observation["status"] == "final"
        assert _codes(observation["category"][0]) == [(CATEGORY, "vital-signs")]
        assert observation["encounter"] == {"reference": f"Encounter/{course.infused.pk}"}
        assert observation["effectiveDateTime"] == fhir_time(course.reading.taken_at)

    def value(key: str) -> tuple[list[tuple[str, str]], tuple[float, str, str]]:
        observation = found[prefix + key]
        return _codes(observation["code"]), _quantity(observation["valueQuantity"])

    assert value("hr") == ([(LOINC, "8867-4")], (88, UCUM, "/min"))
    assert value("spo2") == ([(LOINC, "59408-5")], (96, UCUM, "%"))
    assert value("rr") == ([(LOINC, "9279-1")], (16, UCUM, "/min"))
    panel = found[prefix + "bp"]
    assert _codes(panel["code"]) == [(LOINC, "85354-9")]
    assert "valueQuantity" not in panel
    assert [(_codes(c["code"]), _quantity(c["valueQuantity"])) for c in panel["component"]] == [
        ([(LOINC, "8480-6")], (128, UCUM, "mm[Hg]")),
        ([(LOINC, "8462-4")], (82, UCUM, "mm[Hg]")),
    ]


def test_a_reading_without_a_respiratory_rate_has_no_respiratory_observation(
    course: CourseRecord,
) -> None:
    reading = VitalsReading.objects.get(pk=course.reading.pk)
    reading.respiratory_rate_per_min = None  # not saved: the builder reads only the object
    assert [str(o.id).rsplit("-", 1)[1] for o in build_vitals(reading)] == ["hr", "spo2", "bp"]


def test_score_totals_are_survey_observations_with_loinc_where_known(
    course: CourseRecord,
) -> None:
    gad7 = build_score(course.gad7)
    assert gad7 is not None
    parsed = validated(Observation, gad7.model_dump_json())
    assert _codes(parsed["category"][0]) == [(CATEGORY, "survey")]
    assert _codes(parsed["code"]) == [(LOINC, "70274-6")]
    assert parsed["code"]["coding"][0]["display"] == (
        "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"
    )
    assert parsed["code"]["text"] == "GAD-7 total score"
    assert parsed["valueInteger"] == sum(GAD7_ANSWERS) == 8
    assert parsed["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{course.gad7.pk}"}]
    phq9 = build_score(course.patient.questionnaire_responses.get(instrument_key="phq9"))
    assert phq9 is not None
    parsed = validated(Observation, phq9.model_dump_json())
    assert (_codes(parsed["code"]), parsed["valueInteger"]) == ([(LOINC, "44261-6")], 8)
    assert parsed["code"]["coding"][0]["display"] == (
        "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"
    )


def test_a_total_whose_loinc_the_reference_marks_verify_gets_the_local_code(
    course: CourseRecord,
) -> None:
    pcl5 = build_score(course.pcl5)
    assert pcl5 is not None
    parsed = validated(Observation, pcl5.model_dump_json())
    assert _codes(parsed["code"]) == [("urn:ketamine-clinic:instrument-total", "pcl5")]
    assert parsed["valueInteger"] == 20


def test_the_questionnaire_response_carries_each_answer(course: CourseRecord) -> None:
    parsed = validated(
        QuestionnaireResponse, build_questionnaire_response(course.gad7).model_dump_json()
    )
    assert parsed["status"] == "completed"
    assert parsed["questionnaire"] == (
        f"urn:ketamine-clinic:questionnaire:gad7|{course.gad7.instrument_version}"
    )
    assert [item["answer"] for item in parsed["item"]] == [
        [{"valueInteger": answer}] for answer in GAD7_ANSWERS
    ]
    assert len({item["linkId"] for item in parsed["item"]}) == 7


def test_the_medication_request_is_ketamine_iv_in_mg_per_kg_with_total_and_rate(
    course: CourseRecord,
) -> None:
    order = current_order(course.infused)
    assert order is not None
    built = build_medication_request(
        order, patient_id=course.patient.pk, visit_state=course.infused.state
    )
    parsed = validated(MedicationRequest, built.model_dump_json())
    assert (parsed["status"], parsed["intent"]) == ("completed", "order")
    assert _codes(parsed["medicationCodeableConcept"]) == [(RXNORM, "6130")]
    dosage = parsed["dosageInstruction"][0]
    assert _codes(dosage["route"]) == [(SNOMED, "47625008")]
    ordered, calculated = dosage["doseAndRate"]
    assert _quantity(ordered["doseQuantity"]) == (0.5, UCUM, "mg/kg")
    # 0.5 mg/kg for 72.5 kg = 36.25 mg; at 1 mg/mL over 55 min that is 39.55 mL/h, on
    # the pump's 0.1 mL/h resolution 39.5 mL/h.
    assert _quantity(ordered["rateQuantity"]) == (39.5, UCUM, "mL/h")
    assert _quantity(calculated["doseQuantity"]) == (36.25, UCUM, "mg")
    assert dosage["timing"]["repeat"] == {"duration": 55, "durationUnit": "min"}


def test_the_administration_gives_what_the_pump_record_says(course: CourseRecord) -> None:
    order = current_order(course.infused)
    assert order is not None
    devices = _devices_by_visit([course.infused])[course.infused.pk]
    record = _infusion_record(course.infused, [d for d in devices if d.kind == "pump"])
    assert record is not None
    parsed = validated(
        MedicationAdministration,
        build_medication_administration(record, order_id=order.pk).model_dump_json(),
    )
    # Independent of the pump replay: 39.5 mL/h from start to stop at 1 mg/mL.
    start, stop = PumpEvent.objects.filter(visit=course.infused).order_by("at")
    expected_mg = 39.5 * (stop.at - start.at).total_seconds() / 3600 * 1.0
    assert parsed["status"] == "completed"
    assert _codes(parsed["medicationCodeableConcept"]) == [(RXNORM, "6130")]
    dosage = parsed["dosage"]
    assert _codes(dosage["route"]) == [(SNOMED, "47625008")]
    assert dosage["dose"]["value"] == pytest.approx(expected_mg, abs=0.005)
    assert _quantity(dosage["dose"]) == (36.21, UCUM, "mg")
    assert _quantity(dosage["rateQuantity"]) == (39.5, UCUM, "mL/h")
    assert "0.499 mg/kg" in dosage["text"]  # 36.21 mg / 72.5 kg
    assert parsed["effectivePeriod"] == {"start": fhir_time(start.at), "end": fhir_time(stop.at)}
    assert parsed["request"] == {"reference": f"MedicationRequest/{order.pk}"}
    assert parsed["device"] == [{"reference": f"Device/{course.pump.pk}"}]


def test_the_procedure_is_the_infusion_as_text_with_its_period(course: CourseRecord) -> None:
    record = _infusion_record(course.infused, [course.pump])
    assert record is not None
    parsed = validated(Procedure, build_procedure(record).model_dump_json())
    assert parsed["status"] == "completed"
    assert parsed["code"] == {"text": "Intravenous infusion of ketamine"}
    start, stop = PumpEvent.objects.filter(visit=course.infused).order_by("at")
    assert parsed["performedPeriod"] == {"start": fhir_time(start.at), "end": fhir_time(stop.at)}


def test_devices_carry_model_type_and_eui64(course: CourseRecord) -> None:
    monitor = validated(FhirDevice, build_device(course.monitor).model_dump_json())
    assert [(i["system"], i["value"]) for i in monitor["identifier"]] == [
        ("urn:ketamine-clinic:device-eui64", "00A0C91E6BF04A01")
    ]
    assert monitor["modelNumber"] == "Acme VS-900"
    assert _codes(monitor["type"]) == [("urn:iso:std:iso:11073:10101", "69965")]
    assert monitor["deviceName"] == [
        {"name": "Acme VS-900", "type": "model-name"},
        {"name": "Monitor 3", "type": "user-friendly-name"},
    ]
    pump = validated(FhirDevice, build_device(course.pump).model_dump_json())
    assert _codes(pump["type"]) == [("urn:iso:std:iso:11073:10101", "69985")]
    assert pump["status"] == "active"


# R4 (4.0.1) Encounter.status, a required binding.
R4_ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}


def test_every_visit_state_has_an_r4_encounter_status() -> None:
    assert set(ENCOUNTER_STATUS) == set(VisitState)
    assert set(ENCOUNTER_STATUS.values()) <= R4_ENCOUNTER_STATUSES
    assert ENCOUNTER_STATUS[VisitState.DID_NOT_ATTEND] == "cancelled"  # R4 has no no-show
    assert ENCOUNTER_STATUS[VisitState.DISCHARGED] == "finished"
