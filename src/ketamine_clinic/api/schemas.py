"""Shapes of what the API accepts and returns (pydantic, via ninja), for the schema too."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.api.services import TOKEN_NAME_PATTERN


class ErrorOut(Schema):
    """Every refusal: one sentence naming the field (where there is one) and the reason."""

    detail: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[Role]


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[Role]
    is_active: bool


class AuditVerifyOut(Schema):
    intact: bool
    entries: int
    first_break: str | None = Field(
        description="The first entry that was altered, deleted or inserted out of order."
    )


class TokenIn(Schema):
    # The pattern is documented, not enforced by pydantic: the service checks the same
    # rules and answers with a sentence a person understands, not a regular expression.
    name: str = Field(
        min_length=1,
        max_length=80,
        description="What the token is for; not blank, no control characters.",
        json_schema_extra={"pattern": TOKEN_NAME_PATTERN},
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown only in this response: store it now.")
