"""Reads of consent: the current version, whether a patient must (re-)consent, the chart.

``needs_consent`` is what holds back a patient's next infusion: the visit checks call it.
Reads that show staff a patient's signature are audited here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.consent.data import TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature, ConsentWithdrawal
from ketamine_clinic.patients.chart_rows import shared_query
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User


def current_document(key: str = TREATMENT_CONSENT_KEY) -> ConsentDocument | None:
    """The version patients sign now (the one nothing has superseded), or None."""
    return (
        ConsentDocument.objects.filter(key=key, superseded_at__isnull=True)
        .order_by("-version")
        .first()
    )


def document_versions(key: str = TREATMENT_CONSENT_KEY) -> list[ConsentDocument]:
    """Every version of a consent, newest first, with who published it."""
    return list(
        ConsentDocument.objects.filter(key=key).select_related("created_by").order_by("-version")
    )


def current_consent(patient: Patient, key: str = TREATMENT_CONSENT_KEY) -> ConsentSignature | None:
    """The patient's latest signature of the current version, or None if they have none.

    None too when the patient withdrew consent after that signature: a withdrawal
    voids every signature before it, whatever version it was.
    """
    document = current_document(key)
    if document is None:
        return None
    # From the patient's signatures and withdrawals (a handful of rows each): the very
    # lists the chart's timeline reads, so a chart asks for them once (chart_rows), and
    # one reading of the rule for every caller.
    latest = next((s for s in signatures_of(patient) if s.document_id == document.pk), None)
    if latest is None:
        return None
    withdrawn = any(
        w.key == key and w.recorded_at >= latest.signed_at for w in withdrawals_of(patient)
    )
    return None if withdrawn else latest


def needs_consent(patient: Patient, key: str = TREATMENT_CONSENT_KEY) -> bool:
    """True when the patient has not signed the current version: no infusion until they do.

    Also True when no version has been published at all: without a consent document on
    record there is nothing the patient has agreed to.
    """
    return current_consent(patient, key) is None


def signatures_of(patient: Patient) -> list[ConsentSignature]:
    """The patient's signatures, newest first (not audited: callers read the chart)."""
    return shared_query(
        patient,
        "consent.signatures",
        ConsentSignature.objects.filter(patient=patient)
        .select_related("document", "witness")
        .defer("signature_png")
        .order_by("-signed_at", "-id"),
    )


def withdrawals_of(patient: Patient) -> list[ConsentWithdrawal]:
    """The patient's withdrawals of consent, newest first."""
    return shared_query(
        patient,
        "consent.withdrawals",
        ConsentWithdrawal.objects.filter(patient=patient)
        .select_related("recorded_by", "signature__document")
        .order_by("-recorded_at", "-id"),
    )


def signature_get(*, signature_id: int, by: User, part: str = "page") -> ConsentSignature:
    """One signature for a staff member to see; the read is audited against the patient.

    ``part`` says what was shown ("page": the signed text and details, "image": the
    drawn signature). Raises ConsentSignature.DoesNotExist (a 404) without an entry.
    """
    signature = ConsentSignature.objects.select_related(
        "patient", "document", "witness", "kiosk_session"
    ).get(pk=signature_id)
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="consent_signature",
        object_id=signature.pk,
        patient_id=signature.patient_id,
        detail={"part": part},
    )
    return signature


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Consent on the chart: which version was signed, when, and how."""
    entries: list[TimelineEntry] = []
    for signature in signatures_of(patient):
        document = signature.document
        actor: str | None
        if signature.channel == SignatureChannel.KIOSK:
            actor = "patient (kiosk)"
            how = "signed on the tablet"
        else:
            witness = signature.witness
            actor = witness.display_name if witness is not None else None
            how = "signed in front of a staff witness"
        state = "" if document.is_current else " (since superseded)"
        entries.append(
            TimelineEntry(
                at=signature.signed_at,
                kind="consent",
                title=f"Consent signed: {document.title}, version {document.version}",
                detail=f'Typed name "{signature.typed_name}"; {how}{state}.',
                actor=actor,
                url=reverse("consent:signature", args=[signature.pk]),
            )
        )
    for withdrawal in withdrawals_of(patient):
        signed = withdrawal.signature
        what = (
            f"{signed.document.title}, version {signed.document.version}"
            if signed is not None
            else withdrawal.key
        )
        entries.append(
            TimelineEntry(
                at=withdrawal.recorded_at,
                kind="consent",
                title=f"Consent withdrawn: {what}",
                detail=f"Reason: {withdrawal.reason}",
                actor=withdrawal.recorded_by.display_name,
                url=reverse("consent:patient", args=[patient.pk]),
            )
        )
    return entries
