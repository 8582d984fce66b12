"""Creating, using and revoking API tokens.

Tokens for holders of second-factor roles (prescriber, custodian, administrator) are
allowed: a token is only ever minted by a signed-in user who has passed their second
factor (the session API refuses an unverified session), by an existing token of that
same user, or by the clinic's IT person at the command line for a device. The token
then stands in for the second factor, as a device cannot type a TOTP code; revoking it
or deactivating the user stops it at once.
"""

# S105 reads every *TOKEN* constant below as a hard-coded password; they are messages
# and the public "kc_" marker. No secret is ever written in this module.
# ruff: noqa: S105

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.models import ApiToken
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

TOKEN_PREFIX = "kc_"
# Characters of the secret kept in clear to identify it: "kc_" plus 8 of 43 random ones.
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# last_used_at is a hint for people reviewing their tokens, not an audit record: write it
# at most once a minute, not on every request a pump sends.
LAST_USED_RESOLUTION = timedelta(minutes=1)

TOKEN_NAME_REQUIRED = "name: give the token a name, e.g. the device it is for."
TOKEN_NAME_TOO_LONG = "name: at most 80 characters."
TOKEN_NAME_CONTROL_CHARACTERS = "name: must not contain control characters."
TOKEN_USER_INACTIVE = "user: a deactivated account cannot be given a token."
TOKEN_NOT_FOUND = "token_id: you have no API token with this id."
TOKEN_ALREADY_REVOKED = "token_id: this token is already revoked."


class ApiTokenError(Exception):
    """A refused token operation; the message is one of the constants above."""


class ApiTokenNotFound(ApiTokenError):
    pass


class ApiTokenAlreadyRevoked(ApiTokenError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret, which exists only here and is shown once."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    """SHA-256 is enough: the secret has 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# What a name must match, for the OpenAPI schema: a non-space, and no control characters
# (Unicode category Cc). The service checks the same rules below, with a message each.
TOKEN_NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"


def clean_token_name(name: str, *, required: str = TOKEN_NAME_REQUIRED) -> str:
    """The name of a token's holder as stored (an API token's, a FHIR client's), or a
    ValidationError on ``name``; ``required`` says what to name when it is empty."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": required})
    if len(name) > 80:
        raise ValidationError({"name": TOKEN_NAME_TOO_LONG})
    # NUL and lone surrogates would be refused by PostgreSQL with a 500; refuse them here.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise ValidationError({"name": TOKEN_NAME_CONTROL_CHARACTERS})
    return name


@transaction.atomic
def api_token_create(*, user: User, name: str, by: User | None) -> IssuedToken:
    """Issue a token acting as `user`. `by` is None only for the command line."""
    clean_name = clean_token_name(name)
    if not user.is_active:
        raise ValidationError({"user": TOKEN_USER_INACTIVE})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=clean_name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=token_hash(secret),
        created_at=timezone.now(),
        created_by=by,
    )
    audit_record(
        action=AuditAction.API_TOKEN_CREATED,
        actor=by,
        object_type="api_token",
        object_id=token.pk,
        detail={"user": user.username, "name": clean_name, "prefix": token.prefix},
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, token_id: int, by: User) -> ApiToken:
    """Revoke one of `by`'s own tokens; it stops working at once."""
    # Lock the row: two revocations at once must not both be recorded.
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=by).first()
    if token is None:
        raise ApiTokenNotFound(TOKEN_NOT_FOUND)
    if token.revoked_at is not None:
        raise ApiTokenAlreadyRevoked(TOKEN_ALREADY_REVOKED)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.API_TOKEN_REVOKED,
        actor=by,
        object_type="api_token",
        object_id=token.pk,
        detail={"user": token.user.username, "name": token.name, "prefix": token.prefix},
    )
    return token


def api_token_mark_used(*, token: ApiToken) -> None:
    """Note that `token` was used now, at most once per LAST_USED_RESOLUTION.

    Not audited: the requests a token makes are themselves audited where they touch
    data; a row per request here would only drown the trail.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
