"""Creating, listing and revoking one's own API tokens, through the API and the service."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.models import ApiToken
from ketamine_clinic.api.services import (
    TOKEN_ALREADY_REVOKED,
    TOKEN_NAME_CONTROL_CHARACTERS,
    TOKEN_NAME_REQUIRED,
    TOKEN_NOT_FOUND,
    TOKEN_USER_INACTIVE,
    api_token_create,
    api_token_revoke,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from tests.api.helpers import bearer, bearer_for, issue_token


def test_creating_a_token_returns_its_secret_once_and_stores_only_its_hash(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False):
        response = Client().post(
            "/api/v1/tokens",
            {"name": "Room 2 pump"},
            content_type="application/json",
            headers=bearer_for(nurse),
        )
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("kc_")
    assert len(secret) == 46  # "kc_" and 43 characters of token_urlsafe(32)
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.user == nurse
    assert stored.name == "Room 2 pump"
    assert stored.prefix == secret[:11]
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.token_hash, stored.prefix, stored.name}
    assert body["created_at"] == "2026-03-02T09:30:00Z"
    assert body["revoked_at"] is None
    # The new token works.
    assert Client().get("/api/v1/me", headers=bearer(secret)).json()["username"] == "p_nurse"


def test_creating_a_token_is_audited_with_who_and_which(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    issued = api_token_create(user=nurse, name="Tablet", by=nurse)
    entry = AuditEntry.objects.filter(action=AuditAction.API_TOKEN_CREATED).get()
    assert entry.actor_id == nurse.pk
    assert entry.object_type == "api_token"
    assert entry.object_id == str(issued.token.pk)
    assert entry.detail == {"user": "p_nurse", "name": "Tablet", "prefix": issued.token.prefix}
    assert issued.secret not in str(entry.detail)


def test_the_token_list_shows_only_my_tokens_and_never_a_secret(
    personas: dict[str, User],
) -> None:
    nurse, lead = personas["nurse"], personas["clinic_lead"]
    secret = issue_token(nurse, "Laptop")
    issue_token(lead, "Lead's script")
    response = Client().get("/api/v1/tokens", headers=bearer(secret))
    assert response.status_code == 200
    tokens = response.json()
    assert [t["name"] for t in tokens] == ["Laptop"]
    assert "token" not in tokens[0]
    assert secret not in response.content.decode()


def test_a_blank_name_is_refused_naming_the_field(personas: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/tokens",
        {"name": "   "},
        content_type="application/json",
        headers=bearer_for(personas["nurse"]),
    )
    assert response.status_code == 422
    assert response.json() == {"detail": TOKEN_NAME_REQUIRED}
    assert ApiToken.objects.count() == 1  # only the caller's own


def test_a_missing_name_is_refused_naming_the_field(personas: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/tokens", {}, content_type="application/json", headers=bearer_for(personas["nurse"])
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "body.payload.name: Field required"}


def test_a_name_with_a_nul_character_is_refused(personas: dict[str, User]) -> None:
    response = Client().post(
        "/api/v1/tokens",
        {"name": "pump\x00"},
        content_type="application/json",
        headers=bearer_for(personas["nurse"]),
    )
    assert response.status_code == 422
    assert response.json() == {"detail": TOKEN_NAME_CONTROL_CHARACTERS}


def test_revoking_my_token_is_audited_and_stamps_the_time(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    issued = api_token_create(user=nurse, name="Tablet", by=nurse)
    at = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        response = Client().delete(
            f"/api/v1/tokens/{issued.token.pk}", headers=bearer(issued.secret)
        )
    assert response.status_code == 204
    assert response.content == b""
    issued.token.refresh_from_db()
    assert issued.token.revoked_at == at
    entry = AuditEntry.objects.filter(action=AuditAction.API_TOKEN_REVOKED).get()
    assert entry.actor_id == nurse.pk
    assert entry.object_id == str(issued.token.pk)


def test_i_cannot_revoke_someone_elses_token(personas: dict[str, User]) -> None:
    theirs = api_token_create(user=personas["clinic_lead"], name="Report", by=None).token
    response = Client().delete(
        f"/api/v1/tokens/{theirs.pk}", headers=bearer_for(personas["administrator"])
    )
    assert response.status_code == 404
    assert response.json() == {"detail": TOKEN_NOT_FOUND}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_twice_is_refused_and_audited_once(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    headers = bearer_for(nurse)
    spare = api_token_create(user=nurse, name="Spare", by=nurse).token
    assert Client().delete(f"/api/v1/tokens/{spare.pk}", headers=headers).status_code == 204
    again = Client().delete(f"/api/v1/tokens/{spare.pk}", headers=headers)
    assert again.status_code == 409
    assert again.json() == {"detail": TOKEN_ALREADY_REVOKED}
    assert AuditEntry.objects.filter(action=AuditAction.API_TOKEN_REVOKED).count() == 1


def test_a_token_id_beyond_any_row_is_a_clear_404_not_a_crash(personas: dict[str, User]) -> None:
    response = Client().delete(f"/api/v1/tokens/{2**63 - 1}", headers=bearer_for(personas["nurse"]))
    assert response.status_code == 404
    assert response.json() == {"detail": TOKEN_NOT_FOUND}


def test_a_token_id_too_large_for_the_database_is_refused_naming_the_parameter(
    personas: dict[str, User],
) -> None:
    response = Client().delete(f"/api/v1/tokens/{2**63}", headers=bearer_for(personas["nurse"]))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("path.token_id: ")


def test_the_service_refuses_a_token_for_a_deactivated_account(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    nurse.is_active = False
    with pytest.raises(ValidationError) as refused:
        api_token_create(user=nurse, name="Old laptop", by=None)
    assert refused.value.messages == [TOKEN_USER_INACTIVE]


def test_the_service_refuses_to_revoke_for_anyone_but_the_owner(
    personas: dict[str, User],
) -> None:
    token = api_token_create(user=personas["nurse"], name="Tablet", by=None).token
    from ketamine_clinic.api.services import ApiTokenNotFound

    with pytest.raises(ApiTokenNotFound, match=TOKEN_NOT_FOUND):
        api_token_revoke(token_id=token.pk, by=personas["administrator"])
