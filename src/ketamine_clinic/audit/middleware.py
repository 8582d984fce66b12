"""Gives each request an id and records where it came from, for audit entries."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ketamine_clinic.audit.context import AuditContext, audit_context, new_request_id

# A caller-supplied id (from a proxy) is kept only if it looks like one: it is copied into
# the audit trail and the response, so nothing else may pass.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# Machine callers by URL prefix; everything else is a person at a browser.
MACHINE_CHANNELS = (("/api/", "api"), ("/fhir/", "fhir"))


def channel_of(path: str) -> str:
    """Which door a request came in by, as the audit trail records it."""
    return next((channel for prefix, channel in MACHINE_CHANNELS if path.startswith(prefix)), "web")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else new_request_id()
        channel = channel_of(request.path)
        # REMOTE_ADDR is the peer; behind a proxy the operator sets it from the proxy's
        # header at the proxy (we do not trust X-Forwarded-For from clients).
        context = AuditContext(
            request_id=request_id,
            client_address=str(request.META.get("REMOTE_ADDR", ""))[:64],
            channel=channel,
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit_context(context):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
