"""Reading API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.models import ApiToken
from ketamine_clinic.api.services import TOKEN_PREFIX, token_hash


def api_token_for_secret(*, secret: str) -> ApiToken | None:
    """The live token with this secret, if its user is still active; else None.

    A deactivated user's tokens stop working here, without being revoked one by one,
    and start again only if the account is reactivated (history is kept, as for users).
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """A user's own tokens, revoked ones included, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
