"""Signing: what is stored, what is refused, what the audit trail says, re-consent."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.context import AuditContext, audit_context
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.consent.data import TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.selectors import current_consent, needs_consent, timeline_entries
from ketamine_clinic.consent.services import (
    SIGN_NAME_REQUIRED,
    SIGN_NAME_UNSTORABLE,
    SIGN_NOT_CURRENT,
    SIGN_SESSION_OR_WITNESS,
    SIGN_WITNESS_ROLE,
    SIGN_WRONG_PATIENT,
    consent_publish,
    consent_seed,
    consent_sign,
)
from ketamine_clinic.consent.signature_image import SIGNATURE_BLANK, SIGNATURE_NOT_PNG
from ketamine_clinic.intake.services import kiosk_open
from tests.consent.support import make_signature, png_bytes
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"><img src=x onerror=alert(2)> Robert'); DROP TABLE--"


def test_a_kiosk_signature_stores_the_name_the_image_the_time_and_the_session(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    session = kiosk_open(patient=patient, form_keys=["consent"], actor=personas["nurse"]).session
    png = png_bytes()
    with audit_context(AuditContext(request_id="r1", client_address="10.0.0.7", channel="web")):
        signature = consent_sign(
            patient=patient,
            document=consent_seed(),
            typed_name="  Avery Testpatient ",
            signature_png=png,
            kiosk_session=session,
        )
    signature.refresh_from_db()
    assert signature.typed_name == "Avery Testpatient"
    assert bytes(signature.signature_png) == png
    assert signature.signature_sha256 == hashlib.sha256(png).hexdigest()
    assert (signature.channel, signature.kiosk_session, signature.witness) == (
        SignatureChannel.KIOSK,
        session,
        None,
    )
    assert signature.client_address == "10.0.0.7"
    assert abs((timezone.now() - signature.signed_at).total_seconds()) < 60
    entry = AuditEntry.objects.get(object_type="consent_signature")
    assert (entry.action, entry.actor, entry.actor_username) == (
        "create",
        None,
        f"kiosk:{session.pk}",
    )
    assert (entry.patient_id, entry.object_id) == (str(patient.pk), str(signature.pk))
    assert entry.detail["version"] == 1
    assert entry.detail["document_key"] == TREATMENT_CONSENT_KEY


def test_a_witnessed_signature_names_the_witness_in_the_record_and_the_trail(
    personas: dict[str, User],
) -> None:
    signature = make_signature(witness=personas["nurse"])
    assert (signature.channel, signature.witness) == (SignatureChannel.STAFF, personas["nurse"])
    entry = AuditEntry.objects.get(object_type="consent_signature")
    assert entry.actor == personas["nurse"]


def test_a_hostile_typed_name_is_stored_verbatim(personas: dict[str, User]) -> None:
    signature = make_signature(typed_name=HOSTILE, witness=personas["front_desk"])
    signature.refresh_from_db()
    assert signature.typed_name == HOSTILE


@pytest.mark.parametrize(
    ("name", "png", "errors"),
    [
        ("", png_bytes(), {"typed_name": [SIGN_NAME_REQUIRED]}),
        ("   ", png_bytes(), {"typed_name": [SIGN_NAME_REQUIRED]}),
        ("Nul\x00Name", png_bytes(), {"typed_name": [SIGN_NAME_UNSTORABLE]}),
        ("Avery", png_bytes(ink=False), {"signature": [SIGNATURE_BLANK]}),
        ("Avery", b"GIF89a", {"signature": [SIGNATURE_NOT_PNG]}),
        (
            "",
            png_bytes(ink=False),
            {"typed_name": [SIGN_NAME_REQUIRED], "signature": [SIGNATURE_BLANK]},
        ),
    ],
    ids=["no-name", "blank-name", "nul-in-name", "blank-image", "not-png", "both"],
)
def test_a_missing_name_or_a_blank_or_bad_image_is_refused_and_nothing_written(
    personas: dict[str, User], name: str, png: bytes, errors: dict[str, list[str]]
) -> None:
    document = consent_seed()
    with pytest.raises(ValidationError) as info:
        consent_sign(
            patient=make_patient(),
            document=document,
            typed_name=name,
            signature_png=png,
            witness=personas["nurse"],
        )
    assert info.value.message_dict == errors
    assert not ConsentSignature.objects.exists()
    assert not AuditEntry.objects.filter(object_type="consent_signature").exists()


def test_a_signature_needs_a_session_or_a_witness_but_not_both(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(patient=patient, form_keys=["consent"], actor=personas["nurse"]).session
    for extra in ({}, {"kiosk_session": session, "witness": personas["nurse"]}):
        with pytest.raises(ValidationError) as info:
            consent_sign(
                patient=patient,
                document=consent_seed(),
                typed_name="Avery",
                signature_png=png_bytes(),
                **extra,  # type: ignore[arg-type]
            )
        assert info.value.message_dict == {"witness": [SIGN_SESSION_OR_WITNESS]}


def test_a_tablet_session_signs_only_for_its_own_patient(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient("Other", "Person"), form_keys=["consent"], actor=personas["nurse"]
    ).session
    with pytest.raises(ValidationError) as info:
        make_signature(patient=make_patient(), kiosk_session=session)
    assert info.value.message_dict == {"kiosk_session": [SIGN_WRONG_PATIENT]}


@pytest.mark.parametrize("role", ["custodian", "administrator", "no_role"])
def test_only_patient_facing_staff_witness(personas: dict[str, User], role: str) -> None:
    with pytest.raises(ValidationError) as info:
        make_signature(witness=personas[role])
    assert info.value.message_dict == {"witness": [SIGN_WITNESS_ROLE]}


def test_a_superseded_version_can_no_longer_be_signed(personas: dict[str, User]) -> None:
    old = consent_seed()
    consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title="Consent",
        body="New text.",
        effective_on=timezone.localdate(),
        by=personas["clinic_lead"],
    )
    with pytest.raises(ValidationError) as info:
        make_signature(document=old, witness=personas["nurse"])
    assert info.value.message_dict == {"document": [SIGN_NOT_CURRENT]}


def test_a_new_version_requires_re_consent(personas: dict[str, User]) -> None:
    patient = make_patient()
    assert needs_consent(patient)  # nothing published: no consent on record
    consent_seed()
    assert needs_consent(patient)
    first = make_signature(patient=patient, witness=personas["nurse"])
    assert current_consent(patient) == first
    assert not needs_consent(patient)

    second_version = consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title="Consent",
        body="Version two: a new risk is named.",
        effective_on=timezone.localdate(),
        by=personas["clinic_lead"],
    )
    assert needs_consent(patient)
    assert current_consent(patient) is None

    again = make_signature(patient=patient, document=second_version, witness=personas["nurse"])
    assert current_consent(patient) == again
    assert not needs_consent(patient)
    assert not needs_consent(patient, TREATMENT_CONSENT_KEY)
    assert needs_consent(make_patient("Someone", "Else"))


def test_the_latest_signature_of_the_current_version_is_the_current_consent(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    make_signature(patient=patient, witness=personas["nurse"])
    later = make_signature(patient=patient, witness=personas["prescriber"])
    assert current_consent(patient) == later


def test_the_chart_timeline_shows_which_version_was_signed_and_when(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    signature = make_signature(patient=patient, typed_name=HOSTILE, witness=personas["nurse"])
    consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title="Consent to treatment",
        body="Version two.",
        effective_on=timezone.localdate(),
        by=personas["clinic_lead"],
    )
    [entry] = timeline_entries(patient)
    assert entry.at == signature.signed_at
    assert entry.kind == "consent"
    assert entry.title == (
        "Consent signed: Consent to intravenous ketamine treatment (sample text), version 1"
    )
    assert entry.detail == (
        f'Typed name "{HOSTILE}"; signed in front of a staff witness (since superseded).'
    )
    assert entry.actor == personas["nurse"].display_name
    assert entry.url == f"/consent/signatures/{signature.pk}/"
    assert timeline_entries(make_patient("No", "Consent")) == []


def test_a_signature_is_never_edited(personas: dict[str, User]) -> None:
    signature = make_signature(witness=personas["nurse"])
    signature.typed_name = "Someone else"
    with pytest.raises(TypeError):
        signature.save()
