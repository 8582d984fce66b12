"""Enrolling, confirming and resetting a TOTP authenticator."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device
from ketamine_clinic.accounts.services.sign_in import SignInRefused, sign_in_check_code
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.web.events import StaffEvent, staff_event_send

DEVICE_NAME = "Authenticator app"
SESSION_ENDED_SECOND_FACTOR_RESET = (
    "An administrator reset your second factor; sign in again to set up a new one."
)
ALREADY_ENROLLED = (
    "This account already has an authenticator. Enter a code from it, or ask an "
    "administrator to reset your second factor if the phone is lost."
)


@transaction.atomic
def second_factor_enrolment_begin(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows.

    Reused until confirmed, so reloading the page does not invalidate a QR code the
    person has already scanned. Nothing is audited yet: an unconfirmed device opens
    nothing; the confirmation is the event. Refused (SignInRefused) once a device is
    confirmed: knowing the password must never be enough to add another authenticator;
    only an administrator's reset makes room for a new one.
    """
    if confirmed_device(user=user) is not None:
        raise SignInRefused(ALREADY_ENROLLED)
    device: TOTPDevice | None = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("id")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def second_factor_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the device being enrolled with a code from it; SignInRefused if wrong.

    A wrong code counts towards the account lock like any other failed sign-in step.
    """
    device = second_factor_enrolment_begin(user=user)
    sign_in_check_code(user=user, token=token, device=device)
    return _confirm(user=user, device=device)


@transaction.atomic
def _confirm(*, user: User, device: TOTPDevice) -> TOTPDevice:
    # Lock the person, then look again: two tabs confirming at once end with one device.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if confirmed_device(user=user) is not None:
        raise SignInRefused(ALREADY_ENROLLED)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        action=AuditAction.MFA_ENROLLED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        detail={"device": device.name},
    )
    return device


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> int:
    """Remove every authenticator of `user`; they enrol a new one at next sign-in.

    For a lost or replaced phone. A session that passed with the old device stops
    working at its next request (the session middleware sees it unverified).
    Returns how many devices were removed.
    """
    removed: int = TOTPDevice.objects.filter(user=user).delete()[0]
    audit_record(
        action=AuditAction.MFA_RESET,
        actor=by,
        object_type="user",
        object_id=user.pk,
        detail={"devices_removed": removed},
    )
    staff_event_send(
        user_id=user.pk, event=StaffEvent.SESSION_ENDED, message=SESSION_ENDED_SECOND_FACTOR_RESET
    )
    return removed
