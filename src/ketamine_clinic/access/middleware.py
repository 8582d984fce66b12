"""Enforces each view's declared access policy before the view runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template.loader import render_to_string

from ketamine_clinic.access.policy import declared_policy
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

logger = logging.getLogger(__name__)

# Views that enforce policies themselves, per operation (the JSON API).
DELEGATED_ATTRIBUTE = "access_delegated"


class AccessPolicyMiddleware:
    """Deny by default: a view that declares no policy is refused to everyone."""

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
        if getattr(view_func, DELEGATED_ATTRIBUTE, False):
            return None
        policy = declared_policy(view_func)
        if policy is None:
            logger.error("view %s declares no access policy; refused", view_func)
            return forbidden(request, "This page has no access rule and is closed to everyone.")
        if policy.allows(request.user):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        audit_record(
            action=AuditAction.ACCESS_DENIED,
            actor=request.user,
            object_type="url",
            object_id=request.path[:64],
        )
        return forbidden(request, "Your role does not give access to this page.")


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    body = render_to_string("web/forbidden.html", {"message": message}, request=request)
    return HttpResponseForbidden(body)
