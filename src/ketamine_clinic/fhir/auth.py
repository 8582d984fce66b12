"""How a FHIR request proves it comes from a registered client, and its scopes.

The endpoint is for client applications, not staff: the reads are declared with
`FHIR_CLIENTS_ONLY`, a policy that admits no staff persona (the role matrix lists them
with an empty set), and are marked delegated, as the JSON API's operations are, so the
access middleware hands them to `fhir_read`, which checks the client's own token:

* no Authorization header: 401, or 403 for a signed-in staff member (their session is
  not enough, and is not asked for either);
* a header that is not "Bearer <token>", an unknown or revoked client token: 401;
* a staff API token: 403 (a known person, but not a client of this endpoint);
* a client token without a scope for the resource type: 403.

Each refusal of a known person or client is audited as ACCESS_DENIED. Only GET exists,
so CSRF (a browser-session concern) does not arise.
"""

# S105 reads the *TOKEN* constants below as passwords; they are messages.
# ruff: noqa: S105

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from ketamine_clinic.access.matrix import OPERATIONS_ATTRIBUTE, DelegatedOperation
from ketamine_clinic.access.middleware import DELEGATED_ATTRIBUTE
from ketamine_clinic.access.policy import POLICY_ATTRIBUTE, AccessPolicy
from ketamine_clinic.api.selectors import api_token_for_secret
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.fhir.build_server import FHIR_JSON, build_operation_outcome
from ketamine_clinic.fhir.clients import (
    fhir_client_for_secret,
    fhir_client_mark_used,
    scopes_allow,
)
from ketamine_clinic.fhir.models import FhirClient
from ketamine_clinic.fhir.selectors import reader_name

# Admits no staff member and no anonymous visitor: only a client token opens these.
FHIR_CLIENTS_ONLY = AccessPolicy(name="fhir_client_token")

NO_TOKEN = "Authentication required: send 'Authorization: Bearer <client token>'."
MALFORMED = "Authorization: expected 'Bearer <client token>'."
INVALID_TOKEN = "Authorization: this client token is not valid (unknown or revoked)."
STAFF_SESSION = (
    "A staff session does not open the FHIR endpoint: it serves registered client "
    "applications, each with its own token (ketamine-clinic fhir client add)."
)
STAFF_TOKEN = (
    "A staff API token does not open the FHIR endpoint: register a client application "
    "(ketamine-clinic fhir client add) and use its token."
)
SCOPE_MISSING = "This client's scopes ({granted}) do not include system/{resource_type}.read."
METHOD_NOT_ALLOWED = "This endpoint is read-only: only GET is supported."

FhirView = Callable[..., HttpResponse]  # (request, client, **url parameters)


def fhir_response(resource: Any, *, status: int = 200) -> HttpResponse:
    """A resource as application/fhir+json."""
    return HttpResponse(resource.model_dump_json(), content_type=FHIR_JSON, status=status)


def outcome_response(status: int, code: str, diagnostics: str) -> HttpResponse:
    response = fhir_response(
        build_operation_outcome(code=code, diagnostics=diagnostics), status=status
    )
    if status == 401:
        error = ' error="invalid_token"' if diagnostics != NO_TOKEN else ""
        response["WWW-Authenticate"] = f'Bearer realm="fhir"{error}'
    return response


def _refuse_staff(request: HttpRequest, actor: Any, message: str) -> HttpResponse:
    audit_record(
        action=AuditAction.ACCESS_DENIED,
        actor=actor,
        object_type="url",
        object_id=request.path[:64],
        detail={"method": str(request.method), "reason": "not a FHIR client"},
    )
    return outcome_response(403, "forbidden", message)


def authenticate(request: HttpRequest, resource_type: str) -> FhirClient | HttpResponse:
    """The client this request comes from, or the response that refuses it."""
    header = request.headers.get("Authorization")
    if not header:
        if request.user.is_authenticated:
            return _refuse_staff(request, request.user, STAFF_SESSION)
        return outcome_response(401, "login", NO_TOKEN)
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return outcome_response(401, "login", MALFORMED)
    client = fhir_client_for_secret(secret=secret)
    if client is None:
        staff_token = api_token_for_secret(secret=secret)
        if staff_token is not None:
            return _refuse_staff(request, staff_token.user, STAFF_TOKEN)
        return outcome_response(401, "login", INVALID_TOKEN)
    fhir_client_mark_used(client=client)
    if not scopes_allow(client.scope_list, resource_type):
        audit_record(
            action=AuditAction.ACCESS_DENIED,
            actor=None,
            actor_username=reader_name(client),
            object_type="url",
            object_id=request.path[:64],
            detail={"client_id": client.pk, "scopes": client.scopes, "needs": resource_type},
        )
        return outcome_response(
            403,
            "forbidden",
            SCOPE_MISSING.format(granted=client.scopes, resource_type=resource_type),
        )
    return client


def fhir_read(resource_type: str) -> Callable[[FhirView], Callable[..., HttpResponse]]:
    """Declare a read of `resource_type` for clients with a scope for it."""

    def wrap(view: FhirView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET":
                response = outcome_response(405, "not-supported", METHOD_NOT_ALLOWED)
                response["Allow"] = "GET"
                return response
            found = authenticate(request, resource_type)
            if isinstance(found, HttpResponse):
                return found
            return view(request, found, *args, **kwargs)

        origin = f"{view.__module__}.{view.__qualname__}"
        setattr(checked, POLICY_ATTRIBUTE, FHIR_CLIENTS_ONLY)
        setattr(checked, DELEGATED_ATTRIBUTE, True)
        setattr(
            checked,
            OPERATIONS_ATTRIBUTE,
            lambda: [DelegatedOperation("GET", FHIR_CLIENTS_ONLY, origin)],
        )
        return checked

    return wrap
