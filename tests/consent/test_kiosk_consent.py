"""Consent on the tablet, through the kiosk pages: read, type a name, sign."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.consent.data import TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.kiosk import CONSENT_FORM_KEY, NO_DOCUMENT
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature
from ketamine_clinic.consent.selectors import needs_consent
from ketamine_clinic.consent.services import (
    SIGN_NAME_REQUIRED,
    SIGN_NOT_CURRENT,
    consent_publish,
    consent_seed,
)
from ketamine_clinic.consent.signature_image import SIGNATURE_BLANK, SIGNATURE_MISSING
from ketamine_clinic.intake.models import KioskDraft, KioskSession, KioskSubmission
from tests.conftest import client_for
from tests.consent.support import data_url, png_bytes
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
FORM_URL = reverse("intake:kiosk_form", args=[CONSENT_FORM_KEY])


def open_consent_tablet(nurse: User) -> tuple[Client, KioskSession]:
    patient = make_patient()
    tablet = client_for(nurse)
    response = tablet.post(reverse("intake:open", args=[patient.pk]), {"forms": ["consent"]})
    assert response.status_code == 302
    return tablet, KioskSession.objects.get(patient=patient)


def sign(tablet: Client, document: ConsentDocument, name: str, png: bytes | None) -> str:
    response = tablet.post(
        FORM_URL,
        {
            "document_id": str(document.pk),
            "typed_name": name,
            "signature": data_url(png) if png is not None else "",
        },
    )
    return response["Location"] if response.status_code == 302 else response.content.decode()


def test_the_tablet_shows_the_current_document_with_a_name_field_and_a_signature_pad(
    personas: dict[str, User],
) -> None:
    document = consent_seed()
    tablet, _ = open_consent_tablet(personas["nurse"])
    page = tablet.get(FORM_URL)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert f"<h1>{document.title}</h1>" in html
    assert "What you may feel and the risks" in html
    assert f'name="document_id" value="{document.pk}"' in html
    assert 'id="signature-canvas"' in html
    assert '<script src="/static/intake/signature-pad.js" defer></script>' in html
    assert 'name="typed_name"' in html
    assert 'class="nav"' not in html  # still no staff navigation on the tablet


def test_signing_on_the_tablet_records_the_signature_and_finishes(
    personas: dict[str, User],
) -> None:
    document = consent_seed()
    tablet, session = open_consent_tablet(personas["nurse"])
    assert sign(tablet, document, HOSTILE, png_bytes()) == reverse("intake:kiosk_locked")
    signature = ConsentSignature.objects.get(patient=session.patient)
    assert not needs_consent(session.patient)
    assert signature.typed_name == HOSTILE
    assert (signature.channel, signature.kiosk_session_id, signature.document) == (
        SignatureChannel.KIOSK,
        session.pk,
        document,
    )
    submission = KioskSubmission.objects.get(session=session)
    assert (submission.object_type, submission.object_id) == (
        "consent_signature",
        str(signature.pk),
    )


@pytest.mark.parametrize(
    ("name", "png", "messages"),
    [
        ("", png_bytes(), [SIGN_NAME_REQUIRED]),
        ("Avery Testpatient", None, [SIGNATURE_MISSING]),
        ("Avery Testpatient", png_bytes(ink=False), [SIGNATURE_BLANK]),
        ("", None, [SIGN_NAME_REQUIRED, SIGNATURE_MISSING]),
    ],
    ids=["no-name", "no-signature", "blank-signature", "neither"],
)
def test_a_missing_name_or_signature_is_refused_with_a_clear_message(
    personas: dict[str, User], name: str, png: bytes | None, messages: list[str]
) -> None:
    document = consent_seed()
    tablet, _ = open_consent_tablet(personas["nurse"])
    html = sign(tablet, document, name, png)
    assert 'role="alert"' in html
    for message in messages:
        assert message.replace("'", "&#x27;") in html
    assert not ConsentSignature.objects.exists()


def test_the_typed_name_survives_a_reload_but_the_signature_is_never_drafted(
    personas: dict[str, User],
) -> None:
    document = consent_seed()
    tablet, session = open_consent_tablet(personas["nurse"])
    saved = tablet.post(
        reverse("intake:kiosk_draft", args=[CONSENT_FORM_KEY]),
        json.dumps({"typed_name": HOSTILE}),
        content_type="application/json",
    )
    assert saved.status_code == 204
    html = tablet.get(FORM_URL).content.decode()
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img' in html
    assert "<script>alert(1)" not in html
    # A refused send keeps the name, and never stores the drawn signature in a draft.
    sign(tablet, document, "Avery", png_bytes(ink=False))
    draft = KioskDraft.objects.get(session=session, form_key=CONSENT_FORM_KEY)
    assert draft.data["typed_name"] == "Avery"
    assert "signature" not in draft.data


def test_a_version_published_while_the_patient_reads_must_be_read_first(
    personas: dict[str, User],
) -> None:
    old = consent_seed()
    tablet, _ = open_consent_tablet(personas["nurse"])
    tablet.get(FORM_URL)
    new = consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title="Consent, revised",
        body="A revised text.",
        effective_on=timezone.localdate(),
        by=personas["clinic_lead"],
    )
    html = sign(tablet, old, "Avery", png_bytes())
    assert SIGN_NOT_CURRENT in html
    assert f'name="document_id" value="{new.pk}"' in html  # the new version is shown
    assert not ConsentSignature.objects.exists()


def test_without_a_published_document_the_tablet_says_so(personas: dict[str, User]) -> None:
    tablet, _ = open_consent_tablet(personas["nurse"])
    html = tablet.get(FORM_URL).content.decode()
    assert NO_DOCUMENT in html
    assert 'id="signature-canvas"' not in html
