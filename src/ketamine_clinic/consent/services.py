"""Writes of consent: publish a version, sign it, seed the sample text.

Each write validates everything first (a ``ValidationError`` names the field, and
nothing is written), then writes its row and its audit entry in one transaction.
Messages a person reads are the constants below, so tests assert them exactly.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import TYPE_CHECKING, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.context import current_audit_context
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.consent.data import SEED_BODY, SEED_TITLE, TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature, ConsentWithdrawal
from ketamine_clinic.consent.selectors import current_consent
from ketamine_clinic.consent.signature_image import SignatureImageError, check_signature_png
from ketamine_clinic.patients.models import Patient

if TYPE_CHECKING:
    from ketamine_clinic.intake.models import KioskSession

TITLE_MAX_LENGTH: Final = 200
BODY_MAX_LENGTH: Final = 50_000
TYPED_NAME_MAX_LENGTH: Final = 200
WITHDRAWAL_REASON_MAX_LENGTH: Final = 1000

PUBLISH_LEAD_ONLY: Final = "Only an active clinic lead may publish a consent document."
PUBLISH_KEY_INVALID: Final = (
    "The document key is lower-case letters, digits and hyphens (e.g. ketamine-treatment)."
)
PUBLISH_TITLE_REQUIRED: Final = "Give the document a title."
PUBLISH_TITLE_TOO_LONG: Final = f"Keep the title under {TITLE_MAX_LENGTH} characters."
PUBLISH_BODY_REQUIRED: Final = "Write the text the patient reads and signs."
PUBLISH_BODY_TOO_LONG: Final = f"Keep the text under {BODY_MAX_LENGTH} characters."
PUBLISH_UNSTORABLE: Final = "The text contains a character that cannot be stored."
PUBLISH_FUTURE_DATE: Final = (
    "A version takes effect when it is published: the effective date cannot be in the future."
)
PUBLISH_UNCHANGED: Final = (
    "This title and text are the same as version {version}: nothing new to publish."
)
PUBLISH_RACE: Final = "Someone published a version at the same moment. Reload and try again."

SIGN_NAME_REQUIRED: Final = "Please type your full name."
SIGN_NAME_TOO_LONG: Final = f"Please keep your name under {TYPED_NAME_MAX_LENGTH} characters."
SIGN_NAME_UNSTORABLE: Final = "Your name contains a character that cannot be stored."
SIGN_NOT_CURRENT: Final = (
    "This consent was updated while you were reading it. Please read the new version."
)
SIGN_SESSION_OR_WITNESS: Final = (
    "A signature is given either on the patient's tablet or in front of a staff witness."
)
SIGN_WRONG_PATIENT: Final = "This tablet session belongs to another patient."
SIGN_WITNESS_INACTIVE: Final = "A deactivated account cannot witness a signature."
SIGN_WITNESS_ROLE: Final = "Only front desk, nurses, prescribers and clinic leads witness consent."

WITHDRAW_REASON_REQUIRED: Final = (
    "Write the patient's reason, in their words if they gave one (or that they gave none)."
)
WITHDRAW_REASON_TOO_LONG: Final = (
    f"Keep the reason under {WITHDRAWAL_REASON_MAX_LENGTH} characters."
)
WITHDRAW_NOTHING: Final = "There is no consent in force to withdraw."
WITHDRAW_STAFF_ONLY: Final = (
    "Only active front desk, nurses, prescribers and clinic leads record a withdrawal."
)

# Who may stand witness when a patient signs on a staff device.
WITNESS_ROLES: Final = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD})

_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# NUL cannot be stored in PostgreSQL text; other C0 controls have no place in a name.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def document_fingerprint(*, title: str, body: str) -> str:
    """SHA-256 of what the patient reads: the title, a newline, and the body."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def _clean_document(key: str, title: str, body: str, effective_on: date) -> tuple[str, str]:
    errors: dict[str, str] = {}
    if not _KEY.match(key) or len(key) > 64:
        errors["key"] = PUBLISH_KEY_INVALID
    title = title.strip()
    body = body.replace("\r\n", "\n").strip()
    if not title:
        errors["title"] = PUBLISH_TITLE_REQUIRED
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = PUBLISH_TITLE_TOO_LONG
    elif _CONTROL.search(title):
        errors["title"] = PUBLISH_UNSTORABLE
    if not body:
        errors["body"] = PUBLISH_BODY_REQUIRED
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = PUBLISH_BODY_TOO_LONG
    elif "\x00" in body:
        errors["body"] = PUBLISH_UNSTORABLE
    if effective_on > timezone.localdate(timezone.now()):
        errors["effective_on"] = PUBLISH_FUTURE_DATE
    if errors:
        raise ValidationError(errors)
    return title, body


def consent_publish(
    *, key: str, title: str, body: str, effective_on: date, by: User | None
) -> ConsentDocument:
    """Publish the next version of a consent; the one before it is superseded at once.

    Superseding is what makes every patient re-consent before their next infusion
    (``selectors.needs_consent``), so publishing a text identical to the current one is
    refused. ``by`` is None only for the system's seed (``consent_seed``).
    """
    if by is not None and not (by.is_active and Role.CLINIC_LEAD in by.roles):
        raise PermissionDenied(PUBLISH_LEAD_ONLY)
    title, body = _clean_document(key, title, body, effective_on)
    now = timezone.now()
    try:
        with transaction.atomic():
            # Lock the current version: two leads publishing at once must not both
            # supersede it (the unique (key, version) constraint backs this up).
            current = (
                ConsentDocument.objects.select_for_update()
                .filter(key=key, superseded_at__isnull=True)
                .order_by("-version")
                .first()
            )
            if current is not None and (current.title, current.body) == (title, body):
                raise ValidationError({"body": PUBLISH_UNCHANGED.format(version=current.version)})
            last = ConsentDocument.objects.filter(key=key).order_by("-version").first()
            document = ConsentDocument(
                key=key,
                version=(last.version + 1) if last is not None else 1,
                title=title,
                body=body,
                body_sha256=document_fingerprint(title=title, body=body),
                effective_on=effective_on,
                created_at=now,
                created_by=by,
            )
            document.full_clean()
            document.save()
            superseded = ConsentDocument.objects.filter(
                key=key, superseded_at__isnull=True
            ).exclude(pk=document.pk)
            previous = list(superseded.values_list("version", flat=True))
            superseded.update(superseded_at=now, superseded_by=document)
            audit_record(
                action=AuditAction.CREATE,
                actor=by,
                actor_username=None if by is not None else "system:consent-seed",
                object_type="consent_document",
                object_id=document.pk,
                detail={
                    "key": key,
                    "version": document.version,
                    "supersedes": previous,
                    "sha256": document.body_sha256,
                },
            )
    except IntegrityError:
        raise ValidationError({"body": PUBLISH_RACE}) from None
    return document


def consent_seed() -> ConsentDocument:
    """The treatment consent's current version, publishing the sample text if none exists.

    Idempotent: the demo seed (and tests) call it as often as they like; once any
    version of the treatment consent exists, it changes nothing.
    """
    existing = (
        ConsentDocument.objects.filter(key=TREATMENT_CONSENT_KEY, superseded_at__isnull=True)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    return consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title=SEED_TITLE,
        body=SEED_BODY,
        effective_on=timezone.localdate(timezone.now()),
        by=None,
    )


def _clean_typed_name(typed_name: str) -> str:
    name = typed_name.strip()
    if not name:
        raise ValidationError({"typed_name": SIGN_NAME_REQUIRED})
    if len(name) > TYPED_NAME_MAX_LENGTH:
        raise ValidationError({"typed_name": SIGN_NAME_TOO_LONG})
    if _CONTROL.search(name):
        raise ValidationError({"typed_name": SIGN_NAME_UNSTORABLE})
    return name


def consent_sign(
    *,
    patient: Patient,
    document: ConsentDocument,
    typed_name: str,
    signature_png: bytes,
    kiosk_session: KioskSession | None = None,
    witness: User | None = None,
) -> ConsentSignature:
    """Record that the patient signed this version: typed name, drawn image, time.

    Given on the patient's own tablet session (``kiosk_session``) or in front of a staff
    ``witness``, never both. Only the current version can be signed: a patient who read
    a version that was superseded while they read must read the new one. The typed name
    is stored verbatim (trimmed); the image must pass ``check_signature_png``.
    """
    if (kiosk_session is None) == (witness is None):
        raise ValidationError({"witness": SIGN_SESSION_OR_WITNESS})
    if kiosk_session is not None and kiosk_session.patient_id != patient.pk:
        raise ValidationError({"kiosk_session": SIGN_WRONG_PATIENT})
    if witness is not None:
        if not witness.is_active:
            raise ValidationError({"witness": SIGN_WITNESS_INACTIVE})
        if not (witness.roles & WITNESS_ROLES):
            raise ValidationError({"witness": SIGN_WITNESS_ROLE})
    errors: dict[str, str] = {}
    try:
        name = _clean_typed_name(typed_name)
    except ValidationError as invalid:
        errors.update({k: "; ".join(v) for k, v in invalid.message_dict.items()})
    try:
        check_signature_png(signature_png)
    except SignatureImageError as refused:
        errors["signature"] = refused.message
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        # Lock the document row: a version published now must not slip in between
        # the check that this one is current and the signature.
        locked = ConsentDocument.objects.select_for_update().get(pk=document.pk)
        if not locked.is_current:
            raise ValidationError({"document": SIGN_NOT_CURRENT})
        signature = ConsentSignature(
            patient=patient,
            document=locked,
            typed_name=name,
            signature_png=bytes(signature_png),
            signature_sha256=hashlib.sha256(signature_png).hexdigest(),
            signed_at=now,
            channel=SignatureChannel.KIOSK if kiosk_session is not None else SignatureChannel.STAFF,
            kiosk_session=kiosk_session,
            witness=witness,
            client_address=current_audit_context().client_address[:64],
        )
        signature.save()
        audit_record(
            action=AuditAction.CREATE,
            actor=witness,
            # The kiosk acts for the patient: no staff actor, the session is named.
            actor_username=f"kiosk:{kiosk_session.pk}" if kiosk_session is not None else None,
            object_type="consent_signature",
            object_id=signature.pk,
            patient_id=patient.pk,
            detail={
                "document_key": locked.key,
                "version": locked.version,
                "channel": str(signature.channel),
                "signature_sha256": signature.signature_sha256,
            },
        )
    return signature


def consent_withdraw(
    *, patient: Patient, reason: str, by: User, key: str = TREATMENT_CONSENT_KEY
) -> ConsentWithdrawal:
    """Record that the patient withdrew their consent; they sign again before any infusion.

    The signatures stay as they were (a record of what happened); the withdrawal is a
    new row that makes every earlier signature of ``key`` stop counting
    (``selectors.current_consent``). Refused when no consent is in force.
    """
    if not (by.is_active and by.roles & WITNESS_ROLES):
        raise PermissionDenied(WITHDRAW_STAFF_ONLY)
    text = reason.strip()
    if not text:
        raise ValidationError({"reason": WITHDRAW_REASON_REQUIRED})
    if len(text) > WITHDRAWAL_REASON_MAX_LENGTH:
        raise ValidationError({"reason": WITHDRAW_REASON_TOO_LONG})
    if "\x00" in text:
        raise ValidationError({"reason": PUBLISH_UNSTORABLE})
    with transaction.atomic():
        # Lock the patient's row: a signature and a withdrawal recorded at once must
        # land in one order or the other.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        in_force = current_consent(patient, key)
        if in_force is None:
            raise ValidationError({"reason": WITHDRAW_NOTHING})
        withdrawal = ConsentWithdrawal(
            patient=patient,
            key=key,
            signature=in_force,
            reason=text,
            recorded_at=timezone.now(),
            recorded_by=by,
        )
        withdrawal.save()
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            object_type="consent_withdrawal",
            object_id=withdrawal.pk,
            patient_id=patient.pk,
            detail={"key": key, "signature": in_force.pk, "version": in_force.document.version},
        )
    return withdrawal
