"""Calling the API as a test: tokens for users, and the Authorization header."""

from __future__ import annotations

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.services import api_token_create


def issue_token(user: User, name: str = "test token") -> str:
    """A fresh token's secret for `user`, created as if by the CLI."""
    return api_token_create(user=user, name=name, by=None).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def bearer_for(user: User) -> dict[str, str]:
    return bearer(issue_token(user))
