"""Synthetic patients for the demo clinic. Every one of them is made up.

The surnames say so ("Testpatient", "Sampleton") so that a screenshot of the demo can
never be mistaken for a real person's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services import patient_create
from ketamine_clinic.patients.services.allergies import allergy_add, allergy_record_none
from ketamine_clinic.patients.services.diagnoses import diagnosis_add
from ketamine_clinic.patients.services.medications import medication_add, medication_stop
from ketamine_clinic.patients.services.registry import (
    PatientDetails,
    patient_record_pregnancy_potential,
    patient_update_details,
)
from ketamine_clinic.patients.services.weights import weight_record

# legal first, legal last, preferred, date of birth, sex at birth
DEMO_PATIENTS: list[tuple[str, str, str, date, SexAtBirth]] = [
    ("Avery", "Testpatient", "", date(1984, 3, 7), SexAtBirth.FEMALE),
    ("Jordan", "Sampleton", "Jordy", date(1971, 11, 23), SexAtBirth.MALE),
    ("Riley", "Demowitz", "", date(1990, 6, 14), SexAtBirth.FEMALE),
    ("Casey", "Fakename", "", date(1965, 1, 30), SexAtBirth.MALE),
    ("Quinn", "Mockford", "", date(1998, 9, 2), SexAtBirth.INTERSEX),
    ("Taylor", "Notreal", "Tay", date(1979, 4, 18), SexAtBirth.FEMALE),
    ("Harper", "Synthetica", "", date(1962, 12, 5), SexAtBirth.UNKNOWN),
    # A leap-day birthday, so the demo shows ages computed across 29 February.
    ("Rowan", "Exampleby", "", date(2000, 2, 29), SexAtBirth.MALE),
    # More for the demo day (demo/day.py), so that it has a visit in every state.
    ("Emerson", "Dummyfield", "Em", date(1974, 8, 11), SexAtBirth.FEMALE),
    ("Jesse", "Madeupson", "", date(1969, 5, 27), SexAtBirth.MALE),
    ("Kai", "Pretendwell", "", date(1993, 10, 3), SexAtBirth.MALE),
    ("Remy", "Imaginary", "", date(1987, 1, 16), SexAtBirth.MALE),
    ("Sage", "Facsimile", "", date(1981, 7, 9), SexAtBirth.FEMALE),
    ("Dakota", "Mockup", "", date(1976, 3, 22), SexAtBirth.FEMALE),
]


@dataclass(frozen=True)
class DemoMedication:
    name: str
    dose: str
    started_days_ago: int | None = None
    stopped_days_ago: int | None = None


@dataclass(frozen=True)
class DemoChart:
    """The synthetic clinical details of one demo patient. Phone numbers are in the
    555-0100..0199 range reserved for fiction; e-mail addresses end in .test."""

    details: dict[str, Any]
    # (value, unit, days ago): the last is the latest, what dosing uses.
    weights: list[tuple[str, str, int]]
    diagnoses: list[str]
    medications: list[DemoMedication] = field(default_factory=list)
    # (substance, reaction, severity); None: "no known allergies" recorded; []: not asked.
    allergies: list[tuple[str, str, str]] | None = None
    pregnancy_potential: str = ""


DEMO_CHARTS: dict[tuple[str, str], DemoChart] = {
    ("Avery", "Testpatient"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0101",
            "email": "avery@example.test", "address": "1 Example Street\nSpringfield",
            "escort_name": "Sam Testpatient", "escort_relationship": "Partner",
            "escort_phone": "555-0111", "emergency_contact_name": "Sam Testpatient",
            "emergency_contact_relationship": "Partner", "emergency_contact_phone": "555-0111",
            "referrer_name": "Dr Lee Referton", "referrer_practice": "Example Family Practice",
            "referrer_phone": "555-0190",
        },
        weights=[("152", "lb", 40), ("150", "lb", 3)],
        diagnoses=["F33.1", "F41.1"],
        medications=[
            DemoMedication("Sertraline", "100 mg every morning", 400),
            DemoMedication("Lorazepam", "0.5 mg at night as needed", 120),
        ],
        allergies=[("Penicillin", "Hives", "moderate")],
        pregnancy_potential="no",
    ),
    ("Jordan", "Sampleton"): DemoChart(
        details={
            "gender_identity": "man", "pronouns": "he/him", "phone": "555-0102",
            "escort_name": "Casey Sampleton", "escort_relationship": "Spouse",
            "escort_phone": "555-0112", "referrer_name": "Dr Ana Mockwell",
            "referrer_practice": "Sample Psychiatry Group",
        },
        weights=[("92.5", "kg", 10)],
        diagnoses=["F31.81", "I10"],
        medications=[
            DemoMedication("Lamotrigine", "100 mg twice daily", 700),
            DemoMedication("Lisinopril", "10 mg daily", 900),
        ],
        allergies=None,
        pregnancy_potential="not_applicable",
    ),
    ("Riley", "Demowitz"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0103",
            "escort_name": "Jamie Demowitz", "escort_relationship": "Sister",
            "escort_phone": "555-0113",
        },
        weights=[("61.0", "kg", 5)],
        diagnoses=["F43.12", "F33.2", "R45.851"],
        medications=[DemoMedication("Methylphenidate ER", "36 mg every morning", 300)],
        allergies=[("Sulfonamide antibiotics", "Rash", "mild")],
        pregnancy_potential="yes",
    ),
    ("Casey", "Fakename"): DemoChart(
        details={
            "gender_identity": "man", "phone": "555-0104", "escort_name": "Robin Fakename",
            "escort_relationship": "Son", "escort_phone": "555-0114",
        },
        weights=[("224", "lb", 14)],
        diagnoses=["F33.1", "G47.33"],
        medications=[
            DemoMedication("Phenelzine", "15 mg three times daily", 500),
            DemoMedication("Pseudoephedrine", "60 mg as needed", 200, stopped_days_ago=30),
        ],
        allergies=[("Codeine", "Nausea and vomiting", "mild")],
        pregnancy_potential="not_applicable",
    ),
    ("Quinn", "Mockford"): DemoChart(
        details={
            "gender_identity": "non_binary", "pronouns": "they/them", "phone": "555-0105",
            "escort_name": "Drew Mockford", "escort_relationship": "Friend",
            "escort_phone": "555-0115",
        },
        weights=[("55.4", "kg", 2)],
        diagnoses=["F41.0", "F32.1"],
        medications=[DemoMedication("Escitalopram", "10 mg daily", 150)],
        allergies=None,
        pregnancy_potential="no",
    ),
    ("Taylor", "Notreal"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0106",
            "escort_name": "Morgan Notreal", "escort_relationship": "Partner",
            "escort_phone": "555-0116",
        },
        weights=[("74.0", "kg", 21)],
        diagnoses=["F33.2"],
        medications=[
            DemoMedication("Venlafaxine XR", "150 mg daily", 800),
            DemoMedication("Clonazepam", "0.5 mg twice daily", 600),
        ],
        allergies=[("Latex", "Contact dermatitis", "moderate")],
        pregnancy_potential="no",
    ),
    ("Harper", "Synthetica"): DemoChart(
        details={
            "gender_identity": "self_described", "gender_identity_self_described": "Genderfluid",
            "pronouns": "they/them", "phone": "555-0107", "escort_name": "Reese Synthetica",
            "escort_relationship": "Sibling", "escort_phone": "555-0117",
        },
        weights=[("80.2", "kg", 30)],
        diagnoses=["F41.1"],
        medications=[DemoMedication("Buspirone", "10 mg twice daily", 250)],
        # Allergies not yet asked: the chart shows that state too.
        allergies=[],
    ),
    ("Rowan", "Exampleby"): DemoChart(
        # No escort yet: the chart warns, as it should before a first visit.
        details={"gender_identity": "man", "pronouns": "he/him", "phone": "555-0108"},
        weights=[("70.3", "kg", 1)],
        diagnoses=["F32.A"],
        allergies=None,
        pregnancy_potential="not_applicable",
    ),
    ("Emerson", "Dummyfield"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0121",
            "escort_name": "Alex Dummyfield", "escort_relationship": "Husband",
            "escort_phone": "555-0131",
        },
        weights=[("68.0", "kg", 12)],
        diagnoses=["F33.1"],
        medications=[DemoMedication("Bupropion XL", "300 mg every morning", 365)],
        allergies=None,
        pregnancy_potential="no",
    ),
    ("Jesse", "Madeupson"): DemoChart(
        details={
            "gender_identity": "man", "pronouns": "he/him", "phone": "555-0122",
            "escort_name": "Pat Madeupson", "escort_relationship": "Brother",
            "escort_phone": "555-0132",
        },
        weights=[("88.0", "kg", 9)],
        diagnoses=["F33.2", "I10"],
        medications=[DemoMedication("Amlodipine", "5 mg daily", 600)],
        allergies=None,
        pregnancy_potential="not_applicable",
    ),
    ("Kai", "Pretendwell"): DemoChart(
        # No escort on file: the patient who did not come this morning.
        details={"gender_identity": "man", "pronouns": "he/him", "phone": "555-0123"},
        weights=[("70.0", "kg", 20)],
        diagnoses=["F32.1"],
        allergies=None,
        pregnancy_potential="not_applicable",
    ),
    ("Remy", "Imaginary"): DemoChart(
        details={
            "gender_identity": "man", "pronouns": "he/him", "phone": "555-0124",
            "escort_name": "Charlie Imaginary", "escort_relationship": "Partner",
            "escort_phone": "555-0134",
        },
        weights=[("83.0", "kg", 6)],
        diagnoses=["F43.12"],
        medications=[DemoMedication("Prazosin", "2 mg at night", 180)],
        allergies=None,
        pregnancy_potential="not_applicable",
    ),
    ("Sage", "Facsimile"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0125",
            "escort_name": "Robin Facsimile", "escort_relationship": "Mother",
            "escort_phone": "555-0135",
        },
        weights=[("59.0", "kg", 4)],
        diagnoses=["F33.1"],
        medications=[DemoMedication("Fluoxetine", "20 mg daily", 500)],
        allergies=[("Adhesive tape", "Skin irritation", "mild")],
        pregnancy_potential="no",
    ),
    ("Dakota", "Mockup"): DemoChart(
        details={
            "gender_identity": "woman", "pronouns": "she/her", "phone": "555-0126",
            "escort_name": "Jamie Mockup", "escort_relationship": "Friend",
            "escort_phone": "555-0136",
        },
        weights=[("77.0", "kg", 8)],
        diagnoses=["F41.1", "F33.1"],
        allergies=None,
        pregnancy_potential="no",
    ),
}  # fmt: skip


def _seed_chart(patient: Patient, chart: DemoChart) -> None:
    """Fill in one demo patient's chart through the services (so it is audited as the
    system's work). Called only for a patient with no weight yet: the marker of a chart
    the seed has not filled, which keeps a second run from adding anything."""
    today = timezone.localdate()
    details = replace(PatientDetails.of(patient), **chart.details)
    patient = patient_update_details(patient=patient, details=details, by=None)
    for value, unit, days_ago in chart.weights:
        weight_record(
            patient=patient,
            value=Decimal(value),
            unit=unit,
            measured_on=today - timedelta(days=days_ago),
            by=None,
        )
    for code in chart.diagnoses:
        diagnosis_add(patient=patient, code=code, by=None)
    for medication in chart.medications:
        started = (
            today - timedelta(days=medication.started_days_ago)
            if medication.started_days_ago is not None
            else None
        )
        row = medication_add(
            patient=patient, name=medication.name, dose_text=medication.dose, started_on=started,
            by=None,
        )  # fmt: skip
        if medication.stopped_days_ago is not None:
            medication_stop(
                medication=row, stopped_on=today - timedelta(days=medication.stopped_days_ago),
                by=None,
            )  # fmt: skip
    if chart.allergies is None:
        allergy_record_none(patient=patient, by=None)
    else:
        for substance, reaction, severity in chart.allergies:
            allergy_add(
                patient=patient, substance=substance, reaction=reaction, severity=severity,
                by=None,
            )  # fmt: skip
    if chart.pregnancy_potential:
        patient_record_pregnancy_potential(
            patient=patient, potential=chart.pregnancy_potential, asked_on=today, by=None
        )


@transaction.atomic
def seed_demo_charts() -> int:
    """Fill in the charts of demo patients that have none yet; return how many."""
    filled = 0
    for (first, last), chart in DEMO_CHARTS.items():
        patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
        if patient is None or patient.weights.exists():
            continue
        _seed_chart(patient, chart)
        filled += 1
    return filled


# The demo charts carry a history (questionnaires up to three weeks back, weights up
# to 40 days, consents); the patients are shown as registered before all of it, so no
# chart reads "registered" after its own first answers. The audit entry keeps the
# seed's real time.
REGISTERED_DAYS_AGO = 45


@transaction.atomic
def seed_demo_patients() -> int:
    """Register the demo patients that are not there yet; return how many were added.

    A patient counts as there when one with the same legal name and date of birth
    exists, so running the seed again adds nobody and writes no audit entries.
    """
    added = 0
    for first, last, preferred, born, sex in DEMO_PATIENTS:
        exists = Patient.objects.filter(
            legal_first_name=first, legal_last_name=last, date_of_birth=born
        ).exists()
        if exists:
            continue
        patient = patient_create(
            legal_first_name=first,
            legal_last_name=last,
            preferred_name=preferred,
            date_of_birth=born,
            sex_at_birth=sex,
            by=None,
        )
        registered = patient.created_at - timedelta(days=REGISTERED_DAYS_AGO)
        Patient.objects.filter(pk=patient.pk).update(created_at=registered)
        added += 1
    seed_demo_charts()
    return added
