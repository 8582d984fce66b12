"""Checking a sign-in attempt: password, second-factor code, failures and the lock.

The person at the screen reads the same message whatever was wrong with a username
and password, so names cannot be probed; the audit trail records the real reason.
Failures of either step count towards one lock, so a stolen password does not give
unlimited tries at the code.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.enums import SignInFailure, SignInStep
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device, is_locked
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

SIGN_IN_FAILED = (
    "Those details did not sign you in. Check your username and password; after repeated "
    "failures an account is locked for a while, and an administrator can unlock it."
)
CODE_WRONG = "That code is not right. Enter the newest 6-digit code from your authenticator app."
CODE_TOO_SOON = "Wait a few seconds after a wrong code, then enter the newest code."
ACCOUNT_LOCKED = (
    "Too many failed attempts: this account is locked for a while. "
    "An administrator can unlock it sooner."
)
NO_DEVICE = "This account has no authenticator enrolled. Sign in again to enrol one."

# Failures that were real guesses, and so count towards the lock. Attempts on a locked
# or deactivated account are refused without checking anything that could count.
_COUNTED = frozenset(
    {SignInFailure.WRONG_PASSWORD, SignInFailure.WRONG_CODE, SignInFailure.TOO_SOON}
)


class SignInRefused(Exception):
    """A sign-in step failed; `message` is what the person at the screen reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sign_in_check_password(*, username: str, password: str) -> User:
    """The account `username` names, if `password` opens it; else SignInRefused.

    The password is hashed whatever happens, so an unknown, locked or deactivated
    account answers in the same time as a wrong password.
    """
    user = User.objects.filter(username=username).first()
    if user is None:
        make_password(password)  # same cost as a real check: timing tells nothing
        _record_failure(
            user=None,
            username=username,
            failure=SignInFailure.UNKNOWN_USERNAME,
            step=SignInStep.PASSWORD,
        )
        raise SignInRefused(SIGN_IN_FAILED)
    password_ok = user.check_password(password)
    failure: SignInFailure | None = None
    if not user.is_active:
        failure = SignInFailure.INACTIVE
    elif is_locked(user):
        failure = SignInFailure.LOCKED
    elif not password_ok:
        failure = SignInFailure.WRONG_PASSWORD
    if failure is not None:
        _record_failure(user=user, username=username, failure=failure, step=SignInStep.PASSWORD)
        raise SignInRefused(SIGN_IN_FAILED)
    return user


def sign_in_check_code(*, user: User, token: str, device: TOTPDevice | None = None) -> TOTPDevice:
    """The device that accepts `token` for `user`, or SignInRefused.

    `device` is the unconfirmed one being enrolled; by default the user's confirmed
    device. django-otp's verify_token locks the device row, refuses a code already used
    (replay) and throttles rapid guesses; our own count locks the account.
    """
    step = SignInStep.SECOND_FACTOR if device is None else SignInStep.ENROLMENT
    user.refresh_from_db(fields=["is_active", "locked_until"])
    if not user.is_active:
        _record_failure(
            user=user, username=user.username, failure=SignInFailure.INACTIVE, step=step
        )
        raise SignInRefused(SIGN_IN_FAILED)
    if is_locked(user):
        _record_failure(user=user, username=user.username, failure=SignInFailure.LOCKED, step=step)
        raise SignInRefused(ACCOUNT_LOCKED)
    target = device if device is not None else confirmed_device(user=user)
    if target is None or target.user_id != user.pk:
        raise SignInRefused(NO_DEVICE)
    allowed, _ = target.verify_is_allowed()
    verified = verify_token(user, target.persistent_id, token.strip()) if allowed else None
    if verified is not None:
        return target
    failure = SignInFailure.WRONG_CODE if allowed else SignInFailure.TOO_SOON
    locked = _record_failure(user=user, username=user.username, failure=failure, step=step)
    if locked:
        raise SignInRefused(ACCOUNT_LOCKED)
    raise SignInRefused(CODE_WRONG if allowed else CODE_TOO_SOON)


@transaction.atomic
def sign_in_record_success(*, user: User, second_factor: bool) -> None:
    """A full sign-in: clear the failure count and any lapsed lock, and audit it."""
    User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
    user.failed_sign_ins = 0
    user.locked_until = None
    audit_record(
        action=AuditAction.SIGN_IN,
        actor=user,
        object_type="user",
        object_id=user.pk,
        detail={"second_factor": second_factor},
    )


@transaction.atomic
def _record_failure(
    *, user: User | None, username: str, failure: SignInFailure, step: SignInStep
) -> bool:
    """Audit one failure, count it if it was a guess, and lock at the limit.

    Returns whether this failure locked the account. Its own transaction, committed
    before the caller raises, so a refused attempt still leaves its trace.
    """
    locked_until = None
    if user is not None and failure in _COUNTED:
        now = timezone.now()
        # Increment in the database, not in Python: concurrent failures all count.
        User.objects.filter(pk=user.pk).update(failed_sign_ins=F("failed_sign_ins") + 1)
        until = now + timedelta(minutes=settings.KC_SIGN_IN_LOCKOUT_MINUTES)
        # One conditional update takes the lock: of two failures crossing the limit at
        # once, only one sees the count still high and no lock yet, so it is audited
        # once. The count restarts, giving a fresh allowance once the lock lapses.
        claimed = (
            User.objects.filter(pk=user.pk, failed_sign_ins__gte=settings.KC_SIGN_IN_MAX_FAILURES)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(locked_until=until, failed_sign_ins=0)
        )
        if claimed:
            locked_until = until
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        actor=user,
        actor_username=username[:150] if user is None else None,
        object_type="user" if user is not None else "",
        object_id=user.pk if user is not None else "",
        reason=str(failure.label),
        detail={"step": str(step), "failure": str(failure)},
    )
    if user is not None and locked_until is not None:
        audit_record(
            action=AuditAction.ACCOUNT_LOCKED,
            actor=user,
            object_type="user",
            object_id=user.pk,
            reason=f"{settings.KC_SIGN_IN_MAX_FAILURES} failed sign-in attempts in a row",
            detail={
                "locked_until": locked_until.isoformat(),
                "minutes": settings.KC_SIGN_IN_LOCKOUT_MINUTES,
            },
        )
    return locked_until is not None


@transaction.atomic
def user_unlock(*, user: User, by: User) -> User:
    """Lift a lock before it lapses (the person called the administrator)."""
    User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
    user.refresh_from_db()
    audit_record(
        action=AuditAction.ACCOUNT_UNLOCKED, actor=by, object_type="user", object_id=user.pk
    )
    return user
