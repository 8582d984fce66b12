"""Every read of a chart and every write to it is in the audit trail, and the chain holds."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.patients.models import Allergy, Diagnosis, Medication, WeightMeasurement
from tests.conftest import client_for
from tests.patients.factories import make_patient


def test_each_page_read_and_each_write_through_the_pages_leaves_an_entry(
    personas: dict[str, User],
) -> None:
    patient = make_patient("Avery", "Testpatient", born=date(1984, 3, 7))
    base = f"/patients/{patient.pk}"
    nurse, prescriber, desk = (
        client_for(personas["nurse"]),
        client_for(personas["prescriber"]),
        client_for(personas["front_desk"]),
    )
    today = timezone.localdate().isoformat()
    before = AuditEntry.objects.count()

    nurse.get(f"{base}/")
    nurse.post(f"{base}/weights/new/", {"value": "70", "unit": "kg", "measured_on": today})
    nurse.post(f"{base}/allergies/new/", {"substance": "Latex", "severity": "mild"})
    nurse.post(f"{base}/medications/new/", {"name": "Lorazepam"})
    medication = Medication.objects.get()
    nurse.post(f"{base}/medications/{medication.pk}/stop/", {"stopped_on": today})
    nurse.post(f"{base}/pregnancy-potential/", {
        "pregnancy_potential": "no", "pregnancy_potential_asked_on": today,
    })  # fmt: skip
    prescriber.post(f"{base}/diagnoses/new/", {"code": "F33.1"})
    diagnosis = Diagnosis.objects.get()
    prescriber.post(f"{base}/diagnoses/{diagnosis.pk}/entered-in-error/", {"reason": "Typo"})
    weight = WeightMeasurement.objects.get()
    nurse.post(f"{base}/weights/{weight.pk}/entered-in-error/", {"reason": "Wrong scale"})
    allergy = Allergy.objects.get()
    nurse.post(f"{base}/allergies/{allergy.pk}/entered-in-error/", {"reason": "Wrong chart"})
    nurse.post(f"{base}/allergies/none/")
    desk.post(f"{base}/details/", {
        "legal_first_name": "Avery", "legal_last_name": "Testpatient",
        "date_of_birth": "1984-03-07", "sex_at_birth": "female", "phone": "555-0100",
    })  # fmt: skip

    new = AuditEntry.objects.order_by("seq")[before:]
    writes = Counter(
        (e.action, e.object_type) for e in new if e.action in (AuditAction.CREATE, "update")
    )
    assert writes == {
        (AuditAction.CREATE, "weight"): 1,
        (AuditAction.CREATE, "allergy"): 1,
        (AuditAction.CREATE, "medication"): 1,
        (AuditAction.CREATE, "diagnosis"): 1,
        (AuditAction.UPDATE, "medication"): 1,
        (AuditAction.UPDATE, "pregnancy_potential"): 1,
        (AuditAction.UPDATE, "diagnosis"): 1,
        (AuditAction.UPDATE, "weight"): 1,
        (AuditAction.UPDATE, "allergy"): 1,
        (AuditAction.UPDATE, "no_known_allergies"): 1,
        (AuditAction.UPDATE, "patient"): 1,
    }
    # One read per page: the chart, and each form page the POSTs above went through.
    reads = [e for e in new if e.action == AuditAction.READ]
    assert len(reads) == 12
    assert all(e.patient_id == str(patient.pk) for e in new)
    assert {e.actor_username for e in new} == {"p_nurse", "p_prescriber", "p_front_desk"}
    assert audit_chain_verify()[1] is None
