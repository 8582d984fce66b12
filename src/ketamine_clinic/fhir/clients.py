"""Registering, listing and revoking FHIR client applications; their tokens and scopes.

A client's token is made, hashed and shown once the way staff API tokens are
(`api.services`: the same SHA-256 of 256 random bits, the same once-a-minute
`last_used_at`), with its own "kcf_" marker so a staff token is never mistaken for one.

Scopes are SMART backend-services style, `system/<ResourceType>.read`, with `*` for
every resource type the endpoint serves: `system/*.read`. Only reads exist: the endpoint
has no write interaction, so a write scope is refused rather than stored as a promise.
"""

# S105 reads the *TOKEN* constants as passwords; they are a message and a public marker.
# ruff: noqa: S105

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketamine_clinic.api.services import LAST_USED_RESOLUTION, clean_token_name, token_hash
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.fhir.models import FhirClient

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

TOKEN_PREFIX = "kcf_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8

# What the endpoint serves, and so what a scope may name.
RESOURCE_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "QuestionnaireResponse",
    "MedicationRequest",
    "MedicationAdministration",
    "Procedure",
    "Device",
)
_SCOPE = re.compile(r"^system/(?P<type>[A-Za-z]+|\*)\.(?P<access>[a-z]+|\*)$")

CLIENT_NAME_REQUIRED = "name: give the client a name, e.g. the system that will read."
SCOPE_REQUIRED = "scope: give at least one scope, e.g. system/Patient.read."
SCOPE_MALFORMED = "scope: {scope!r} is not system/<ResourceType>.read."
SCOPE_UNKNOWN_TYPE = "scope: {scope!r} names {type}, which this endpoint does not serve ({known})."
SCOPE_NOT_READ = "scope: {scope!r} asks for {access}; this endpoint is read-only (use .read)."
CLIENT_NOT_FOUND = "client_id: no FHIR client has id {client_id}."
CLIENT_ALREADY_REVOKED = "client_id: FHIR client {client_id} is already revoked."


class FhirClientError(Exception):
    """A refused client operation; the message is one of the constants above."""


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its token's secret, which exists only here and is shown once."""

    client: FhirClient
    secret: str


def scope_problem(scope: str) -> str | None:
    match = _SCOPE.match(scope)
    if match is None:
        return SCOPE_MALFORMED.format(scope=scope)
    resource_type, access = match["type"], match["access"]
    if resource_type != "*" and resource_type not in RESOURCE_TYPES:
        return SCOPE_UNKNOWN_TYPE.format(
            scope=scope, type=resource_type, known=", ".join(RESOURCE_TYPES)
        )
    if access not in ("read", "*"):
        return SCOPE_NOT_READ.format(scope=scope, access=access)
    return None


def scopes_allow(scopes: list[str], resource_type: str) -> bool:
    """Whether granted `scopes` (each valid) let a client read `resource_type`."""
    for scope in scopes:
        match = _SCOPE.match(scope)
        if match is not None and match["type"] in ("*", resource_type):
            return True
    return False


def _clean_scopes(scopes: list[str]) -> list[str]:
    """Split, de-duplicate (keeping order) and check each scope."""
    found = list(dict.fromkeys(part for scope in scopes for part in scope.split()))
    if not found:
        raise ValidationError({"scope": SCOPE_REQUIRED})
    problems = [problem for problem in map(scope_problem, found) if problem is not None]
    if problems:
        raise ValidationError({"scope": problems})
    return found


@transaction.atomic
def fhir_client_create(*, name: str, scopes: list[str], by: User | None) -> IssuedClient:
    """Register a client. `by` is None only for the command line."""
    clean_name = clean_token_name(name, required=CLIENT_NAME_REQUIRED)
    clean_scopes = _clean_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = FhirClient.objects.create(
        name=clean_name,
        scopes=" ".join(clean_scopes),
        prefix=secret[:PREFIX_LENGTH],
        token_hash=token_hash(secret),
        created_at=timezone.now(),
        created_by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="fhir_client",
        object_id=client.pk,
        detail={"name": clean_name, "scopes": clean_scopes, "prefix": client.prefix},
    )
    return IssuedClient(client=client, secret=secret)


@transaction.atomic
def fhir_client_revoke(*, client_id: int, by: User | None) -> FhirClient:
    """Revoke a client's token; its next request is refused."""
    # Lock the row: two revocations at once must not both be recorded.
    client = FhirClient.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise FhirClientError(CLIENT_NOT_FOUND.format(client_id=client_id))
    if client.revoked_at is not None:
        raise FhirClientError(CLIENT_ALREADY_REVOKED.format(client_id=client_id))
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="fhir_client",
        object_id=client.pk,
        reason="revoked",
        detail={"name": client.name, "prefix": client.prefix},
    )
    return client


def fhir_clients() -> QuerySet[FhirClient]:
    """Every client, revoked ones included, newest first."""
    return FhirClient.objects.order_by("-created_at", "-id")


def fhir_client_for_secret(*, secret: str) -> FhirClient | None:
    """The live client holding this secret, or None (unknown or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return FhirClient.objects.filter(token_hash=token_hash(secret), revoked_at__isnull=True).first()


def fhir_client_mark_used(*, client: FhirClient) -> None:
    """Note the use, at most once per LAST_USED_RESOLUTION (each read is audited anyway)."""
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    FhirClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
