"""The staff pages of consent: versions, publishing, a patient's consent, a signature."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.consent.models import ConsentDocument
from ketamine_clinic.consent.services import PUBLISH_UNCHANGED, consent_seed
from tests.conftest import client_for
from tests.consent.support import make_signature, png_bytes
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
READERS = ["front_desk", "nurse", "prescriber", "clinic_lead"]


def test_the_versions_page_lists_each_version_and_offers_publishing_to_the_lead(
    personas: dict[str, User],
) -> None:
    consent_seed()
    lead_page = client_for(personas["clinic_lead"]).get(reverse("consent:documents"))
    assert lead_page.status_code == 200
    assert b"Version 1" in lead_page.content
    assert b"Current" in lead_page.content
    assert reverse("consent:publish").encode() in lead_page.content
    nurse_page = client_for(personas["nurse"]).get(reverse("consent:documents"))
    assert reverse("consent:publish").encode() not in nurse_page.content


def test_the_lead_publishes_a_new_version_from_the_current_text(personas: dict[str, User]) -> None:
    current = consent_seed()
    client = client_for(personas["clinic_lead"])
    form = client.get(reverse("consent:publish"))
    assert form.status_code == 200
    assert b"Version 1 is current" in form.content
    assert current.title.encode() in form.content
    response = client.post(
        reverse("consent:publish"),
        {
            "title": "Consent to IV ketamine",
            "body": f"## New\n{HOSTILE}\n",
            "effective_on": timezone.localdate().isoformat(),
        },
    )
    latest = ConsentDocument.objects.get(version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:document", args=[latest.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Version 2 published" in page
    assert "<script>alert" not in page  # the body is text, never markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    current.refresh_from_db()
    assert not current.is_current


def test_publishing_the_same_text_again_shows_why_and_changes_nothing(
    personas: dict[str, User],
) -> None:
    current = consent_seed()
    response = client_for(personas["clinic_lead"]).post(
        reverse("consent:publish"),
        {
            "title": current.title,
            "body": current.body,
            "effective_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert PUBLISH_UNCHANGED.format(version=1).encode() in response.content
    assert ConsentDocument.objects.count() == 1


@pytest.mark.parametrize("role", READERS)
def test_a_signature_page_shows_the_text_as_signed_and_escapes_the_typed_name(
    personas: dict[str, User], role: str
) -> None:
    signature = make_signature(typed_name=HOSTILE, witness=personas["nurse"])
    response = client_for(personas[role]).get(reverse("consent:signature", args=[signature.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "<script>alert(" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "What you may feel and the risks" in body  # the document text as signed
    assert f'src="{reverse("consent:signature_image", args=[signature.pk])}"' in body
    entry = AuditEntry.objects.filter(object_type="consent_signature", action="read").get()
    assert (entry.actor, entry.patient_id, entry.detail) == (
        personas[role],
        str(signature.patient_id),
        {"part": "page"},
    )


def test_the_signature_image_is_the_png_uncached_and_its_read_audited(
    personas: dict[str, User],
) -> None:
    signature = make_signature(witness=personas["nurse"])
    response = client_for(personas["prescriber"]).get(
        reverse("consent:signature_image", args=[signature.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == png_bytes()
    entry = AuditEntry.objects.get(object_type="consent_signature", action="read")
    assert (entry.actor, entry.detail) == (personas["prescriber"], {"part": "image"})


@pytest.mark.parametrize("role", ["custodian", "administrator", "no_role"])
def test_other_roles_see_no_signature(personas: dict[str, User], role: str) -> None:
    signature = make_signature(witness=personas["nurse"])
    for name in ("consent:signature", "consent:signature_image"):
        response = client_for(personas[role]).get(reverse(name, args=[signature.pk]))
        assert response.status_code == 403
    assert not AuditEntry.objects.filter(object_type="consent_signature", action="read").exists()


def test_an_unknown_signature_is_a_404_and_reads_nothing(personas: dict[str, User]) -> None:
    response = client_for(personas["nurse"]).get(reverse("consent:signature_image", args=[999]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(object_type="consent_signature", action="read").exists()


def test_a_patients_consent_page_says_when_re_consent_is_needed(personas: dict[str, User]) -> None:
    patient = make_patient()
    client = client_for(personas["front_desk"])
    url = reverse("consent:patient", args=[patient.pk])
    assert b"No consent document has been published" in client.get(url).content
    consent_seed()
    assert b"Consent needed before the next infusion" in client.get(url).content
    make_signature(patient=patient, typed_name=HOSTILE, witness=personas["nurse"])
    page = client.get(url)
    assert page["Cache-Control"] == "no-store"
    assert b"Signed the current version" in page.content
    assert b"&lt;script&gt;" in page.content
    assert b"<script>alert" not in page.content
    assert AuditEntry.objects.filter(
        action="read", object_type="patient", patient_id=str(patient.pk)
    ).exists()
