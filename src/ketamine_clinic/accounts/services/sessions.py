"""Starting and ending staff sessions."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

SESSION_SIGNED_IN_KEY = "kc_signed_in_at"
SESSION_LAST_SEEN_KEY = "kc_last_seen"


def session_start(*, request: HttpRequest, user: User) -> None:
    """Sign `user` in on this request (password and, where needed, second factor checked)."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = timezone.now().timestamp()
    request.session[SESSION_SIGNED_IN_KEY] = now
    request.session[SESSION_LAST_SEEN_KEY] = now
    audit_record(action=AuditAction.SIGN_IN, actor=user)


def session_end(*, request: HttpRequest) -> None:
    """Sign out on request of the user."""
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit_record(action=AuditAction.SIGN_OUT, actor=user)
    logout(request)


def session_end_expired(*, request: HttpRequest, reason: str) -> None:
    """Sign out because a timeout lapsed; the reason goes to the audit trail."""
    audit_record(action=AuditAction.SESSION_EXPIRED, actor=request.user, reason=reason)  # type: ignore[arg-type]
    logout(request)
