"""The chart's links to other apps (tablet intake, consent) and its consent card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.consent.synthetic import synthetic_signature_png
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "shown"),
    [("front_desk", True), ("nurse", True), ("prescriber", True), ("clinic_lead", False)],
)
def test_start_tablet_intake_is_offered_to_whoever_may_open_it(
    personas: dict[str, User], role: str, shown: bool
) -> None:
    patient = make_patient()
    html = client_for(personas[role]).get(reverse("patients:chart", args=[patient.pk])).content
    assert (reverse("intake:open", args=[patient.pk]).encode() in html) is shown


def test_the_consent_card_says_not_signed_then_the_version_signed(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    client = client_for(personas["nurse"])
    url = reverse("patients:chart", args=[patient.pk])
    assert b"No infusion until the current version is signed." in client.get(url).content
    document = consent_seed()
    consent_sign(
        patient=patient,
        document=document,
        typed_name="Avery Testpatient",
        signature_png=synthetic_signature_png(1),
        witness=personas["nurse"],
    )
    html = client.get(url).content.decode()
    assert f"Version {document.version}" in html
    assert "No infusion until" not in html
