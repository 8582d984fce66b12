"""Starting and ending staff sessions, and the half-way state between two factors.

A person is signed in (Django's `login`) only after every factor their roles need has
passed. Between the password and the code the session holds just a pending user id
and the time, which open nothing: every staff view still sees an anonymous visitor.
"""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.enums import SignInStep
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device, second_factor_required
from ketamine_clinic.accounts.services.second_factor import second_factor_enrolment_confirm
from ketamine_clinic.accounts.services.sign_in import (
    sign_in_check_code,
    sign_in_check_password,
    sign_in_record_success,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

SESSION_SIGNED_IN_KEY = "kc_signed_in_at"
SESSION_LAST_SEEN_KEY = "kc_last_seen"
SESSION_PENDING_USER_KEY = "kc_pending_user_id"
SESSION_PENDING_AT_KEY = "kc_pending_at"
SESSION_PENDING_NEXT_KEY = "kc_pending_next"

# Time from a correct password to the code: enough to find a phone, short enough that a
# walked-away half sign-in on a shared tablet does not linger.
PENDING_SECOND_FACTOR_MINUTES = 5

PENDING_EXPIRED = (
    "No sign-in is waiting for a code here, or it was not finished within "
    f"{PENDING_SECOND_FACTOR_MINUTES} minutes. Enter your username and password again."
)


def session_sign_in_password(
    *, request: HttpRequest, username: str, password: str, next_url: str = ""
) -> SignInStep | None:
    """The password step. Returns the step still needed, or None once signed in.

    Raises SignInRefused when the password does not open the account. A user whose
    roles need a second factor is not signed in here: the session remembers who passed
    the password (and where they were going) for PENDING_SECOND_FACTOR_MINUTES.
    """
    user = sign_in_check_password(username=username, password=password)
    if request.user.is_authenticated:
        # Someone else's session on a shared tablet ends (audited) before this one starts.
        session_end(request=request)
    if not second_factor_required(user):
        session_start(request=request, user=user)
        return None
    # A new session key before anything is stored: no fixation of a half sign-in.
    request.session.cycle_key()
    request.session[SESSION_PENDING_USER_KEY] = user.pk
    request.session[SESSION_PENDING_AT_KEY] = timezone.now().timestamp()
    request.session[SESSION_PENDING_NEXT_KEY] = next_url
    return SignInStep.SECOND_FACTOR if confirmed_device(user=user) else SignInStep.ENROLMENT


def session_pending_user(*, request: HttpRequest) -> User | None:
    """Who passed the password step on this session, if it was recent enough."""
    user_id = request.session.get(SESSION_PENDING_USER_KEY)
    started = request.session.get(SESSION_PENDING_AT_KEY)
    if user_id is None or started is None:
        return None
    age_s = timezone.now().timestamp() - float(started)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not 0 <= age_s <= PENDING_SECOND_FACTOR_MINUTES * 60:
        session_pending_clear(request=request)
        return None
    return user


def session_pending_clear(*, request: HttpRequest) -> None:
    for key in (SESSION_PENDING_USER_KEY, SESSION_PENDING_AT_KEY, SESSION_PENDING_NEXT_KEY):
        request.session.pop(key, None)


def session_sign_in_code(*, request: HttpRequest, user: User, token: str) -> None:
    """The code step for an enrolled user; signs in, or raises SignInRefused."""
    device = sign_in_check_code(user=user, token=token)
    session_start(request=request, user=user, device=device)


def session_sign_in_enrol(*, request: HttpRequest, user: User, token: str) -> None:
    """Confirm a new authenticator with its first code, then sign in."""
    device = second_factor_enrolment_confirm(user=user, token=token)
    session_start(request=request, user=user, device=device)


def session_start(*, request: HttpRequest, user: User, device: TOTPDevice | None = None) -> None:
    """Sign `user` in on this request, every factor their roles need having passed.

    The only place a staff session begins: the second factor is enforced here (and
    re-checked on every request by the session middleware), not in each view.
    """
    if second_factor_required(user) and device is None:
        raise ValueError(f"{user.username} needs a verified second factor to sign in")
    session_pending_clear(request=request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    now = timezone.now().timestamp()
    request.session[SESSION_SIGNED_IN_KEY] = now
    request.session[SESSION_LAST_SEEN_KEY] = now
    sign_in_record_success(user=user, second_factor=device is not None)


def session_next_url(*, request: HttpRequest, wanted: str) -> str:
    """Where to go after signing in: `wanted` if it is a page of this site, else home."""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "/"


def session_pending_next(*, request: HttpRequest) -> str:
    return str(request.session.get(SESSION_PENDING_NEXT_KEY, "") or "")


def session_end(*, request: HttpRequest) -> None:
    """Sign out on request of the user."""
    user = request.user if request.user.is_authenticated else None
    if isinstance(user, User):
        audit_record(action=AuditAction.SIGN_OUT, actor=user, object_type="user", object_id=user.pk)
    logout(request)


def session_end_expired(*, request: HttpRequest, reason: str) -> None:
    """Sign out because a timeout lapsed or a factor is missing; the reason is audited."""
    user = request.user if isinstance(request.user, User) else None
    audit_record(
        action=AuditAction.SESSION_EXPIRED,
        actor=user,
        object_type="user" if user is not None else "",
        object_id=user.pk if user is not None else "",
        reason=reason,
    )
    logout(request)
