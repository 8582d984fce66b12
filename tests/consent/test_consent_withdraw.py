"""Withdrawing consent: a new record with a reason; the patient signs again before treatment."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.consent.models import ConsentSignature, ConsentWithdrawal
from ketamine_clinic.consent.selectors import current_consent, needs_consent, timeline_entries
from ketamine_clinic.consent.services import (
    WITHDRAW_NOTHING,
    WITHDRAW_REASON_REQUIRED,
    WITHDRAW_STAFF_ONLY,
    consent_withdraw,
)
from tests.conftest import client_for
from tests.consent.support import make_signature
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> changed my mind"


def test_a_withdrawal_voids_the_consent_and_keeps_the_signature(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    signature = make_signature(patient=patient, witness=personas["nurse"])
    withdrawal = consent_withdraw(patient=patient, reason=f"  {HOSTILE} ", by=personas["nurse"])
    assert (withdrawal.signature, withdrawal.reason) == (signature, HOSTILE)
    assert needs_consent(patient)
    assert current_consent(patient) is None
    assert ConsentSignature.objects.filter(pk=signature.pk).exists()
    entry = AuditEntry.objects.get(object_type="consent_withdrawal")
    assert (entry.actor, entry.patient_id, entry.detail["signature"]) == (
        personas["nurse"],
        str(patient.pk),
        signature.pk,
    )
    titles = [entry.title for entry in timeline_entries(patient)]
    assert (
        "Consent withdrawn: Consent to intravenous ketamine treatment (sample text), version 1"
        in titles
    )


def test_signing_again_after_a_withdrawal_restores_consent(personas: dict[str, User]) -> None:
    patient = make_patient()
    make_signature(patient=patient, witness=personas["nurse"])
    consent_withdraw(patient=patient, reason="Wants to think it over.", by=personas["front_desk"])
    again = make_signature(patient=patient, witness=personas["nurse"])
    assert current_consent(patient) == again
    assert not needs_consent(patient)


def test_there_must_be_a_consent_to_withdraw_and_a_reason(personas: dict[str, User]) -> None:
    patient = make_patient()
    with pytest.raises(ValidationError) as info:
        consent_withdraw(
            patient=patient, reason="No longer wishes to continue.", by=personas["nurse"]
        )
    assert info.value.message_dict == {"reason": [WITHDRAW_NOTHING]}
    make_signature(patient=patient, witness=personas["nurse"])
    with pytest.raises(ValidationError) as info:
        consent_withdraw(patient=patient, reason="  ", by=personas["nurse"])
    assert info.value.message_dict == {"reason": [WITHDRAW_REASON_REQUIRED]}
    assert not ConsentWithdrawal.objects.exists()


@pytest.mark.parametrize("role", ["custodian", "administrator", "no_role"])
def test_only_patient_facing_staff_record_a_withdrawal(
    personas: dict[str, User], role: str
) -> None:
    patient = make_patient()
    make_signature(patient=patient, witness=personas["nurse"])
    with pytest.raises(PermissionDenied, match=WITHDRAW_STAFF_ONLY):
        consent_withdraw(patient=patient, reason="Stop.", by=personas[role])


def test_a_withdrawal_is_recorded_from_the_patients_consent_page(personas: dict[str, User]) -> None:
    patient = make_patient()
    make_signature(patient=patient, witness=personas["nurse"])
    client = client_for(personas["prescriber"])
    page = client.get(reverse("consent:patient", args=[patient.pk]))
    assert reverse("consent:withdraw", args=[patient.pk]).encode() in page.content
    refused = client.post(reverse("consent:withdraw", args=[patient.pk]), {"reason": ""})
    assert refused.status_code == 200
    assert not ConsentWithdrawal.objects.exists()
    done = client.post(reverse("consent:withdraw", args=[patient.pk]), {"reason": HOSTILE})
    assert done["Location"] == reverse("consent:patient", args=[patient.pk])
    after = client.get(done["Location"]).content.decode()
    assert "Consent needed before the next infusion" in after
    assert "&lt;script&gt;alert(1)&lt;/script&gt; changed my mind" in after
    assert "<script>alert(1)" not in after
