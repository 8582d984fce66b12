"""A staff member's own API tokens: create (secret shown once), list, revoke."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import P, PathEx, Router
from ninja.responses import Status

from ketamine_clinic.access.policy import ANY_STAFF
from ketamine_clinic.api.auth import api_access, api_user
from ketamine_clinic.api.models import ApiToken
from ketamine_clinic.api.routers import AUTH_ERRORS, BODY_ERRORS, INPUT_ERRORS
from ketamine_clinic.api.schemas import ErrorOut, TokenCreatedOut, TokenIn, TokenOut
from ketamine_clinic.api.selectors import api_tokens_of
from ketamine_clinic.api.services import api_token_create, api_token_revoke

router = Router(tags=["tokens"])

# Django's BigAutoField range: a larger id cannot exist, and PostgreSQL refuses it.
MAX_ID = 2**63 - 1


def _out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get("/tokens", response={200: list[TokenOut], **AUTH_ERRORS}, auth=api_access(ANY_STAFF))
def token_list(request: HttpRequest) -> list[TokenOut]:
    """Your own tokens, revoked ones included, newest first. Secrets are never shown."""
    return [_out(token) for token in api_tokens_of(user=api_user(request))]


@router.post("/tokens", response={201: TokenCreatedOut, **BODY_ERRORS}, auth=api_access(ANY_STAFF))
def token_create(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """Create a token acting as you, with your roles. The secret is in this response only."""
    user = api_user(request)
    issued = api_token_create(user=user, name=payload.name, by=user)
    return Status(201, TokenCreatedOut(**_out(issued.token).model_dump(), token=issued.secret))


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut, **INPUT_ERRORS},
    auth=api_access(ANY_STAFF),
)
def token_revoke(request: HttpRequest, token_id: PathEx[int, P(ge=1, le=MAX_ID)]) -> HttpResponse:
    """Revoke one of your tokens; it stops working at once."""
    api_token_revoke(token_id=token_id, by=api_user(request))
    # An empty 204 (ninja would render `null` as the body of a None result).
    return HttpResponse(status=204)
