"""The URL walker: every view and API operation, with the policy and parameters it has."""

from __future__ import annotations

from django.test import Client, override_settings

from ketamine_clinic.access.matrix import ANONYMOUS, allowed_personas, endpoints
from ketamine_clinic.access.policy import ANY_STAFF, PUBLIC, roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from tests.role_matrix_expected import EXPECTED


def test_it_walks_into_included_urlconfs_with_their_namespaces() -> None:
    found = {endpoint.key: endpoint for endpoint in endpoints()}
    sign_in = found["accounts:sign_in"]
    assert sign_in.route == "/accounts/sign-in/"
    assert sign_in.policy == PUBLIC
    assert sign_in.is_api is False
    assert found["home"].policy == ANY_STAFF


def test_it_lists_each_method_of_an_api_path_once_with_its_own_policy() -> None:
    keys = [endpoint.key for endpoint in endpoints() if endpoint.is_api]
    assert len(keys) == len(set(keys))
    # Two methods on one path are two endpoints, each with its own policy.
    assert {"api GET /api/v1/tokens", "api POST /api/v1/tokens"} <= set(keys)
    assert {"api GET /api/v1/patients", "api POST /api/v1/patients"} <= set(keys)
    # ... and every one of them is in the expected role matrix, and nothing else is.
    assert set(keys) == {key for key in EXPECTED if key.startswith("api ")}
    found = {endpoint.key: endpoint for endpoint in endpoints()}
    assert found["api GET /api/v1/staff"].policy == roles(Role.ADMINISTRATOR)
    assert found["api POST /api/v1/tokens"].method == "POST"
    assert found["api POST /api/v1/tokens"].origin == (
        "ketamine_clinic.api.routers.tokens.token_create"
    )


def test_it_fills_url_parameters_from_samples() -> None:
    found = {endpoint.key: endpoint for endpoint in endpoints()}
    revoke = found["api DELETE /api/v1/tokens/<token_id>"]
    assert revoke.params == ("token_id",)
    assert revoke.url({"token_id": 42}) == "/api/v1/tokens/42"


@override_settings(ROOT_URLCONF="tests.access.urls_undeclared")
def test_a_public_api_operation_is_declared_public_and_open(db: None) -> None:
    found = {endpoint.key: endpoint for endpoint in endpoints()}
    assert found["api GET /api/forgotten/open-door"].policy == PUBLIC
    response = Client().get("/api/forgotten/open-door")
    assert response.json() == {"status": "anyone may ask"}


def test_allowed_personas_of_a_policy_include_anonymous_only_when_public(
    personas: dict[str, User],
) -> None:
    assert ANONYMOUS in allowed_personas(PUBLIC, personas)
    assert allowed_personas(ANY_STAFF, personas) == frozenset(personas)
    assert allowed_personas(roles(Role.NURSE, Role.PRESCRIBER), personas) == {
        "nurse",
        "prescriber",
    }
