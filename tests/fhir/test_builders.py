"""Each builder's output, serialised and parsed back with fhir.resources (R4B models),
with the exact codes, units and values of the known visit in tests/fhir/support.py."""

from __future__ import annotations

from decimal import Decimal

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
from ketamine_clinic.visits.models import VitalsReading
from tests.fhir.support import GAD7_ANSWERS, CourseRecord
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _codes(concept: object) -> list[tuple[str, str]]:
    return [(c.system, c.code) for c in concept.coding]  # type: ignore[attr-defined]


def test_the_patient_carries_the_mrn_name_birth_date_and_gender_from_sex_at_birth() -> None:
    patient = make_patient("Robin", "Example", preferred="Rob", sex=SexAtBirth.INTERSEX)
    parsed = FhirPatient.model_validate_json(build_patient(patient).model_dump_json())
    assert [(i.system, i.value) for i in parsed.identifier] == [
        ("urn:ketamine-clinic:mrn", patient.mrn)
    ]
    assert parsed.identifier[0].type.coding[0].code == "MR"
    assert [(n.use, n.family, n.given) for n in parsed.name] == [
        ("official", "Example", ["Robin"]),
        ("usual", "Example", ["Rob"]),
    ]
    assert str(parsed.birthDate) == "1984-03-07"
    # Intersex is neither male nor female: administrative gender "other"; the exact
    # value travels in the clinic's extension.
    assert parsed.gender == "other"
    assert [(e.url, e.valueCode) for e in parsed.extension] == [
        ("urn:ketamine-clinic:extension:sex-at-birth", "intersex")
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
    infused = Encounter.model_validate_json(build_encounter(course.infused).model_dump_json())
    assert infused.status == "in-progress"  # in recovery
    assert (infused.class_fhir.system, infused.class_fhir.code) == (
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "AMB",
    )
    assert infused.subject.reference == f"Patient/{course.patient.pk}"
    assert infused.period.start == course.infused.checked_in_at
    assert infused.period.end is None
    booked = Encounter.model_validate_json(build_encounter(course.booked[0]).model_dump_json())
    assert booked.status == "planned"
    assert booked.period.start == course.booked[0].scheduled_start


def test_vitals_are_loinc_coded_in_ucum_with_the_blood_pressure_panel(course: CourseRecord) -> None:
    found = {
        o.id: Observation.model_validate_json(o.model_dump_json())
        for o in build_vitals(course.reading)
    }
    prefix = f"vitals-{course.reading.pk}-"
    assert sorted(found) == [prefix + s for s in ("bp", "hr", "rr", "spo2")]
    for observation in found.values():
        assert observation.status == "final"
        assert _codes(observation.category[0]) == [
            ("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")
        ]
        assert observation.encounter.reference == f"Encounter/{course.infused.pk}"
        assert observation.effectiveDateTime == course.reading.taken_at

    def value(key: str) -> tuple[str, Decimal, str, str]:
        o = found[prefix + key]
        return (
            o.code.coding[0].code,
            o.valueQuantity.value,
            o.valueQuantity.system,
            o.valueQuantity.code,
        )

    assert value("hr") == ("8867-4", Decimal(88), UCUM, "/min")
    assert value("spo2") == ("59408-5", Decimal(96), UCUM, "%")
    assert value("rr") == ("9279-1", Decimal(16), UCUM, "/min")
    panel = found[prefix + "bp"]
    assert _codes(panel.code) == [(LOINC, "85354-9")]
    assert panel.valueQuantity is None
    assert [
        (
            c.code.coding[0].system,
            c.code.coding[0].code,
            c.valueQuantity.value,
            c.valueQuantity.code,
        )
        for c in panel.component
    ] == [
        (LOINC, "8480-6", Decimal(128), "mm[Hg]"),
        (LOINC, "8462-4", Decimal(82), "mm[Hg]"),
    ]


def test_a_reading_without_a_respiratory_rate_has_no_respiratory_observation(
    course: CourseRecord,
) -> None:
    reading = VitalsReading.objects.get(pk=course.reading.pk)
    reading.respiratory_rate_per_min = None  # not saved: the builder reads only the object
    assert [o.id.rsplit("-", 1)[1] for o in build_vitals(reading)] == ["hr", "spo2", "bp"]


def test_score_totals_are_survey_observations_with_loinc_where_known(course: CourseRecord) -> None:
    gad7 = build_score(course.gad7)
    assert gad7 is not None
    parsed = Observation.model_validate_json(gad7.model_dump_json())
    assert _codes(parsed.category[0]) == [
        ("http://terminology.hl7.org/CodeSystem/observation-category", "survey")
    ]
    assert _codes(parsed.code) == [(LOINC, "70274-6")]
    assert parsed.valueInteger == sum(GAD7_ANSWERS) == 8
    assert parsed.derivedFrom[0].reference == f"QuestionnaireResponse/{course.gad7.pk}"
    phq9 = course.patient.questionnaire_responses.get(instrument_key="phq9")
    built = build_score(phq9)
    assert built is not None
    assert _codes(built.code) == [(LOINC, "44261-6")]
    assert built.valueInteger == 8


def test_a_total_whose_loinc_the_reference_marks_verify_gets_the_local_code(
    course: CourseRecord,
) -> None:
    pcl5 = build_score(course.pcl5)
    assert pcl5 is not None
    parsed = Observation.model_validate_json(pcl5.model_dump_json())
    assert _codes(parsed.code) == [("urn:ketamine-clinic:instrument-total", "pcl5")]
    assert parsed.valueInteger == 20


def test_the_questionnaire_response_carries_each_answer(course: CourseRecord) -> None:
    parsed = QuestionnaireResponse.model_validate_json(
        build_questionnaire_response(course.gad7).model_dump_json()
    )
    assert parsed.status == "completed"
    assert (
        parsed.questionnaire
        == f"urn:ketamine-clinic:questionnaire:gad7|{course.gad7.instrument_version}"
    )
    assert [item.answer[0].valueInteger for item in parsed.item] == GAD7_ANSWERS
    assert len({item.linkId for item in parsed.item}) == 7


def test_the_medication_request_is_ketamine_iv_in_mg_per_kg_with_total_and_rate(
    course: CourseRecord,
) -> None:
    order = current_order(course.infused)
    assert order is not None
    built = build_medication_request(
        order, patient_id=course.patient.pk, visit_state=course.infused.state
    )
    parsed = MedicationRequest.model_validate_json(built.model_dump_json())
    assert parsed.status == "completed"
    assert parsed.intent == "order"
    assert _codes(parsed.medicationCodeableConcept) == [(RXNORM, "6130")]
    dosage = parsed.dosageInstruction[0]
    assert _codes(dosage.route) == [(SNOMED, "47625008")]
    ordered, calculated = dosage.doseAndRate
    assert (ordered.doseQuantity.value, ordered.doseQuantity.code) == (Decimal("0.5"), "mg/kg")
    # 0.5 mg/kg for 72.5 kg = 36.25 mg; the pump's rate at 1 mg/mL over 55 min, on its
    # 0.1 mL/h resolution: 36.25 / (55/60) = 39.55 -> 39.5 mL/h.
    assert (ordered.rateQuantity.value, ordered.rateQuantity.code) == (Decimal("39.5"), "mL/h")
    assert (calculated.doseQuantity.value, calculated.doseQuantity.code) == (Decimal("36.25"), "mg")
    assert dosage.timing.repeat.duration == 55


def test_the_administration_gives_what_the_pump_record_says(course: CourseRecord) -> None:
    order = current_order(course.infused)
    assert order is not None
    pumps = [d for d in _devices_by_visit([course.infused])[course.infused.pk] if d.kind == "pump"]
    record = _infusion_record(course.infused, pumps)
    assert record is not None
    parsed = MedicationAdministration.model_validate_json(
        build_medication_administration(record, order_id=order.pk).model_dump_json()
    )
    # Independent of the pump replay: 39.5 mL/h for 55 min at 1 mg/mL.
    start, stop = PumpEvent.objects.filter(visit=course.infused).order_by("at")
    expected_mg = 39.5 * (stop.at - start.at).total_seconds() / 3600 * 1.0
    assert parsed.status == "completed"
    assert _codes(parsed.medicationCodeableConcept) == [(RXNORM, "6130")]
    assert _codes(parsed.dosage.route) == [(SNOMED, "47625008")]
    assert parsed.dosage.dose.code == "mg"
    assert float(parsed.dosage.dose.value) == pytest.approx(expected_mg, abs=0.005)
    assert float(parsed.dosage.dose.value) == 36.21
    assert (parsed.dosage.rateQuantity.value, parsed.dosage.rateQuantity.code) == (
        Decimal("39.5"),
        "mL/h",
    )
    assert "0.499 mg/kg" in parsed.dosage.text  # 36.21 mg / 72.5 kg
    assert (parsed.effectivePeriod.start, parsed.effectivePeriod.end) == (start.at, stop.at)
    assert parsed.request.reference == f"MedicationRequest/{order.pk}"
    assert [d.reference for d in parsed.device] == [f"Device/{course.pump.pk}"]


def test_the_procedure_is_the_infusion_as_text_with_its_period(course: CourseRecord) -> None:
    record = _infusion_record(course.infused, [course.pump])
    assert record is not None
    parsed = Procedure.model_validate_json(build_procedure(record).model_dump_json())
    assert parsed.status == "completed"
    assert parsed.code.coding is None
    assert parsed.code.text == "Intravenous infusion of ketamine"
    start, stop = PumpEvent.objects.filter(visit=course.infused).order_by("at")
    assert (parsed.performedPeriod.start, parsed.performedPeriod.end) == (start.at, stop.at)


def test_devices_carry_model_type_and_eui64(course: CourseRecord) -> None:
    monitor = FhirDevice.model_validate_json(build_device(course.monitor).model_dump_json())
    assert [(i.system, i.value) for i in monitor.identifier] == [
        ("urn:ketamine-clinic:device-eui64", "00A0C91E6BF04A01")
    ]
    assert monitor.modelNumber == "Acme VS-900"
    assert _codes(monitor.type) == [("urn:iso:std:iso:11073:10101", "69965")]
    assert [(n.name, n.type) for n in monitor.deviceName] == [
        ("Acme VS-900", "model-name"),
        ("Monitor 3", "user-friendly-name"),
    ]
    pump = FhirDevice.model_validate_json(build_device(course.pump).model_dump_json())
    assert _codes(pump.type) == [("urn:iso:std:iso:11073:10101", "69985")]
    assert pump.status == "active"
