"""The demo clinic's synthetic patients (src/ketamine_clinic/demo/patients.py).

Kept with the registry's tests because the registry is what they exercise.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.demo.patients import DEMO_PATIENTS, seed_demo_patients
from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.patients.models import Patient


def test_it_registers_eight_obviously_synthetic_patients_once(db: None) -> None:
    assert seed_demo_patients() == 14
    assert seed_demo_patients() == 0

    patients = list(Patient.objects.all())
    assert len(patients) == len(DEMO_PATIENTS) == 14
    assert {patient.legal_name for patient in patients} >= {
        "Avery Testpatient",
        "Rowan Exampleby",
    }
    assert all(date(1960, 1, 1) <= p.date_of_birth <= date(2000, 12, 31) for p in patients)
    assert all(p.mrn.startswith("KC") and p.created_by is None for p in patients)
    creates = AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="patient")
    assert sorted(int(entry.patient_id) for entry in creates) == sorted(p.pk for p in patients)
    assert audit_chain_verify()[1] is None


def test_seeding_the_demo_clinic_seeds_its_patients(db: None) -> None:
    seed_demo_clinic()
    seed_demo_clinic()

    assert Patient.objects.count() == 14


def test_no_demo_chart_has_a_record_from_before_its_patient_was_registered(db: None) -> None:
    seed_demo_clinic()
    for patient in Patient.objects.all():
        registered = patient.created_at
        earliest = [
            *(r.taken_at for r in patient.questionnaire_responses.all()),
            *(s.signed_at for s in patient.consent_signatures.all()),
            *(v.scheduled_start for v in patient.visits.all()),
        ]
        assert all(moment >= registered for moment in earliest), patient.legal_name
        assert all(
            w.measured_on >= timezone.localdate(registered) for w in patient.weights.all()
        ), patient.legal_name
