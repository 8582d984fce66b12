"""The demo patients' synthetic charts: plausible, flagged where it matters, seeded once."""

from __future__ import annotations

from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.demo.patients import DEMO_CHARTS, DEMO_PATIENTS, seed_demo_patients
from ketamine_clinic.patients.models import (
    Allergy,
    Diagnosis,
    Medication,
    Patient,
    WeightMeasurement,
)
from ketamine_clinic.patients.selectors import latest_weight


def test_every_demo_patient_has_a_chart(db: None) -> None:
    assert set(DEMO_CHARTS) == {(first, last) for first, last, *_ in DEMO_PATIENTS}

    seed_demo_patients()

    for patient in Patient.objects.all():
        weight = latest_weight(patient=patient)
        assert weight is not None and 40 < weight.weight_kg < 150, patient
        assert patient.diagnoses.exists(), patient
        assert patient.phone.startswith("555-01"), patient
    assert Patient.objects.exclude(escort_name="").count() == 12
    assert Medication.objects.exclude(flags=[]).count() >= 4
    assert Allergy.objects.count() >= 3
    assert Patient.objects.exclude(no_known_allergies_at=None).count() >= 2
    assert Medication.objects.exclude(stopped_on=None).count() == 1
    assert Diagnosis.objects.filter(code__startswith="F31").exists()


def test_the_flags_come_from_the_table(db: None) -> None:
    seed_demo_patients()

    flags = {m.name: m.flags for m in Medication.objects.all()}
    assert flags["Lorazepam"] == ["benzodiazepine"]
    assert flags["Lamotrigine"] == ["lamotrigine"]
    assert flags["Phenelzine"] == ["maoi"]
    assert flags["Methylphenidate ER"] == ["stimulant"]
    assert flags["Sertraline"] == []


def test_seeding_twice_adds_nothing_and_the_trail_verifies(db: None) -> None:
    seed_demo_patients()
    counts = (
        WeightMeasurement.objects.count(),
        Medication.objects.count(),
        AuditEntry.objects.count(),
    )

    assert seed_demo_patients() == 0

    assert (
        WeightMeasurement.objects.count(),
        Medication.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    assert audit_chain_verify()[1] is None
