"""Writes of tablet intake: open a kiosk, keep drafts, take a form, lock, release.

Every state change is audited on the patient's record. The kiosk acts for the patient,
so entries written from the tablet have no staff actor; the session is named instead.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device, second_factor_roles
from ketamine_clinic.accounts.services.sign_in import (
    SignInRefused,
    sign_in_check_code,
    sign_in_check_password,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.intake.enums import KioskState, LockReason
from ketamine_clinic.intake.kiosk_forms import available_forms
from ketamine_clinic.intake.models import KioskDraft, KioskSession, KioskSubmission
from ketamine_clinic.patients.models import Patient

# Who may hand a tablet to a patient, and take it back.
KIOSK_STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER})
# A draft larger than this is not a patient typing: refuse it rather than store it.
MAX_DRAFT_FIELDS = 200
MAX_DRAFT_VALUE_LENGTH = 4000


class KioskError(ValueError):
    """A kiosk request that cannot be done; ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def _audit(
    session: KioskSession, action: AuditAction, *, actor: User | None, **detail: str
) -> None:
    audit_record(
        action=action,
        actor=actor,
        actor_username=None if actor is not None else f"kiosk:{session.pk}",
        object_type="kiosk_session",
        object_id=session.pk,
        patient_id=session.patient_id,
        detail=dict(detail),
    )


@dataclass(frozen=True)
class OpenedKiosk:
    session: KioskSession
    raw_token: str  # goes into the tablet's cookie; never stored


def kiosk_open(*, patient: Patient, form_keys: Sequence[str], actor: User) -> OpenedKiosk:
    """Start a patient's turn on a tablet with the forms a staff member assigned."""
    if not (actor.roles & KIOSK_STAFF_ROLES):
        raise KioskError("actor", "only front desk, nurses and prescribers open tablet intake")
    forms = available_forms()
    keys = list(dict.fromkeys(form_keys))
    if not keys:
        raise KioskError("form_keys", "choose at least one form for the patient")
    unknown = [key for key in keys if key not in forms]
    if unknown:
        raise KioskError("form_keys", f"unknown form {unknown[0]!r}")
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        session = KioskSession.objects.create(
            patient=patient,
            token_sha256=token_digest(raw),
            form_keys=keys,
            opened_by=actor,
            opened_at=now,
            last_activity_at=now,
        )
        _audit(session, AuditAction.CREATE, actor=actor, forms=",".join(keys))
    return OpenedKiosk(session=session, raw_token=raw)


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.KC_KIOSK_IDLE_MINUTES)


def kiosk_lock(session: KioskSession, *, reason: LockReason, actor: User | None = None) -> None:
    """Lock the tablet: only staff can unlock it; the patient's drafts are kept."""
    if session.state != KioskState.ACTIVE:
        return
    with transaction.atomic():
        session.state = KioskState.LOCKED
        session.locked_at = timezone.now()
        session.lock_reason = reason
        session.save(update_fields=["state", "locked_at", "lock_reason"])
        _audit(session, AuditAction.UPDATE, actor=actor, change="locked", reason=str(reason))


def kiosk_touch(session: KioskSession, *, now: datetime | None = None) -> bool:
    """Record activity, or lock the session that has been idle too long.

    Returns whether the session is still active. Checked on every kiosk request, so a
    tablet left alone is locked the next time anyone touches it even if its own timer
    (the page's script) never fired.
    """
    now = now or timezone.now()
    if session.state != KioskState.ACTIVE:
        return False
    if now - session.last_activity_at > idle_limit():
        kiosk_lock(session, reason=LockReason.IDLE)
        return False
    KioskSession.objects.filter(pk=session.pk).update(last_activity_at=now)
    session.last_activity_at = now
    return True


def kiosk_save_draft(session: KioskSession, form_key: str, data: Mapping[str, object]) -> None:
    """Keep what the patient has entered so far (autosave), replacing the last draft."""
    if session.state != KioskState.ACTIVE:
        raise KioskError("session", "this tablet is locked")
    if form_key not in pending_form_keys(session):
        raise KioskError("form_key", "this form is not waiting on this tablet")
    if len(data) > MAX_DRAFT_FIELDS:
        raise KioskError("data", "too many fields")
    clean: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str) or len(value) > MAX_DRAFT_VALUE_LENGTH:
            raise KioskError(f"data.{key}", "must be text of reasonable length")
        clean[str(key)[:64]] = value
    KioskDraft.objects.update_or_create(
        session=session,
        form_key=form_key,
        defaults={"data": clean, "updated_at": timezone.now()},
    )


def pending_form_keys(session: KioskSession) -> list[str]:
    done = set(session.submissions.values_list("form_key", flat=True))
    return [key for key in session.form_keys if key not in done]


def kiosk_submit(session: KioskSession, form_key: str, answers: Mapping[str, str]) -> bool:
    """Hand a completed form to its owner; lock the tablet when nothing is left.

    All or nothing: answers the form refuses (KioskFormInvalid) change nothing. Returns
    whether forms remain.
    """
    if session.state != KioskState.ACTIVE:
        raise KioskError("session", "this tablet is locked")
    if form_key not in pending_form_keys(session):
        raise KioskError("form_key", "this form is not waiting on this tablet")
    form = available_forms()[form_key]
    clean = form.check(answers)
    with transaction.atomic():
        if form.submit_in_session is not None:
            created = form.submit_in_session(session, clean)
        else:
            created = form.submit(session.patient, clean)
        KioskSubmission.objects.create(
            session=session,
            form_key=form_key,
            submitted_at=timezone.now(),
            object_type=created.object_type,
            object_id=created.object_id,
        )
        KioskDraft.objects.filter(session=session, form_key=form_key).delete()
        _audit(session, AuditAction.CREATE, actor=None, form=form_key, created=created.object_type)
        remaining = pending_form_keys(session)
        if not remaining:
            kiosk_lock(session, reason=LockReason.FINISHED)
    return bool(remaining)


def kiosk_release(session: KioskSession, *, username: str, password: str, code: str = "") -> User:
    """A staff member takes the tablet back: check who they are, then close the session.

    The same checks as signing in (failures count towards the account's lock), and a
    second factor where the person's roles require one or they have enrolled one.
    Drafts of forms never sent are deleted with the session.
    """
    if session.state == KioskState.CLOSED:
        raise KioskError("session", "this tablet session is already closed")
    try:
        user = sign_in_check_password(username=username, password=password)
        if user.roles & second_factor_roles() or confirmed_device(user=user) is not None:
            if not code.strip():
                raise KioskError("code", "enter the code from your authenticator app")
            sign_in_check_code(user=user, token=code)
    except SignInRefused as refused:
        raise KioskError("password", refused.message) from refused
    if not (user.roles & KIOSK_STAFF_ROLES):
        raise KioskError("username", "only front desk, nurses and prescribers can release a tablet")
    with transaction.atomic():
        session.state = KioskState.CLOSED
        session.closed_by = user
        session.closed_at = timezone.now()
        session.save(update_fields=["state", "closed_by", "closed_at"])
        session.drafts.all().delete()
        _audit(session, AuditAction.UPDATE, actor=user, change="closed")
    return user
