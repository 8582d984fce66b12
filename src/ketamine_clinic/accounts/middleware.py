"""Idle and absolute session timeouts for staff sessions."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketamine_clinic.accounts.services.sessions import (
    SESSION_LAST_SEEN_KEY,
    SESSION_SIGNED_IN_KEY,
    session_end_expired,
)


class SessionTimeoutMiddleware:
    """Signs a user out after KC_SESSION_IDLE_MINUTES idle or KC_SESSION_ABSOLUTE_HOURS.

    The cookie age is a second line (it also lapses when idle), but only this check
    names the reason and writes it to the audit trail.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            signed_in_at = float(request.session.get(SESSION_SIGNED_IN_KEY, now))
            last_seen = float(request.session.get(SESSION_LAST_SEEN_KEY, now))
            idle_s = settings.KC_SESSION_IDLE_MINUTES * 60
            absolute_s = settings.KC_SESSION_ABSOLUTE_HOURS * 3600
            reason = ""
            if now - last_seen > idle_s:
                reason = f"no activity for {settings.KC_SESSION_IDLE_MINUTES} minutes"
            elif now - signed_in_at > absolute_s:
                reason = f"signed in for more than {settings.KC_SESSION_ABSOLUTE_HOURS} hours"
            if reason:
                path = request.get_full_path()
                session_end_expired(request=request, reason=reason)
                messages.info(request, f"You were signed out: {reason}. Please sign in again.")
                return redirect_to_login(path)
            request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)
