"""Checks on every signed-in request before the access policy runs.

One place for what a staff session must satisfy beyond "logged in":
- idle (KC_SESSION_IDLE_MINUTES) and absolute (KC_SESSION_ABSOLUTE_HOURS) timeouts;
- a verified second factor when the user's roles need one, which also catches a role
  gained mid-session and an authenticator reset by an administrator;
- a password change first, after an administrator's reset.

It works in `process_view`, after every middleware's request phase, so messages and
the resolved view are available, and before AccessPolicyMiddleware (listed after it),
which then sees an ended session as an anonymous visitor and sends them to sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.accounts.services.sessions import (
    SESSION_LAST_SEEN_KEY,
    SESSION_SIGNED_IN_KEY,
    session_end_expired,
)

SECOND_FACTOR_MISSING = "your account now needs a second-factor code"
PASSWORD_CHANGE_REQUIRED = "Choose a new password before you continue."  # noqa: S105 - a message
# The pages a person who must change their password can still reach.
PASSWORD_CHANGE_EXEMPT = frozenset({"accounts:password_change", "accounts:sign_out"})


# The last request's time is written to the session at most this often. Written on every
# request, it made every page a database write (BEGIN, UPDATE of the session, COMMIT) on
# top of what the page does. The idle timeout reads the time written, so it can end a
# session up to this much before the idle limit, never after it; short beside the minute's
# warning the page gives (`web/static/web/app.js`).
LAST_SEEN_EVERY_S: Final = 15.0


def session_expiry_reason(*, now_s: float, signed_in_s: float, last_seen_s: float) -> str:
    """Why a session has lapsed at `now_s`, or "" if it has not (timestamps in seconds)."""
    idle_minutes = settings.KC_SESSION_IDLE_MINUTES
    absolute_hours = settings.KC_SESSION_ABSOLUTE_HOURS
    if now_s - last_seen_s > idle_minutes * 60:
        return f"no activity for {idle_minutes} minutes"
    if now_s - signed_in_s > absolute_hours * 3600:
        return f"signed in for more than {absolute_hours} hours"
    return ""


class StaffSessionMiddleware:
    """Timeouts, second factor and forced password change for signed-in staff."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        session = request.session
        now_s = timezone.now().timestamp()
        # A session begun outside session_start (tests' force_login) starts its clocks
        # when first seen, rather than never timing out.
        signed_in_s = float(session.setdefault(SESSION_SIGNED_IN_KEY, now_s))
        last_seen_s = float(session.get(SESSION_LAST_SEEN_KEY, now_s))
        reason = session_expiry_reason(
            now_s=now_s, signed_in_s=signed_in_s, last_seen_s=last_seen_s
        )
        if not reason and second_factor_required(user) and not _verified(user):
            reason = SECOND_FACTOR_MISSING
        if reason:
            session_end_expired(request=request, reason=reason)
            messages.info(request, f"You were signed out: {reason}. Please sign in again.")
            # Carry on as an anonymous visitor: the access policy sends them to sign in
            # (or the API answers 401), and a public page still opens.
            return None
        if now_s - last_seen_s >= LAST_SEEN_EVERY_S or SESSION_LAST_SEEN_KEY not in session:
            session[SESSION_LAST_SEEN_KEY] = now_s
        if user.must_change_password and _view_name(request) not in PASSWORD_CHANGE_EXEMPT:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": PASSWORD_CHANGE_REQUIRED}, status=403)
            # The password page itself says why they are there.
            return redirect("accounts:password_change")
        return None


# The name settings.MIDDLEWARE has used since the skeleton; the class now does more
# than timeouts.
SessionTimeoutMiddleware = StaffSessionMiddleware


def _verified(user: User) -> bool:
    # OTPMiddleware (earlier in settings.MIDDLEWARE) installs is_verified on the user.
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def _view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else ""
