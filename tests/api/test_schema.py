"""The OpenAPI schema is public and true: generated requests never crash the API.

schemathesis reads /api/v1/openapi.json from the app itself and sends requests it
generates from it (valid and invalid) straight into the WSGI app in this process,
inside the test's database transaction, as a user holding every role. Each response
must be below 500 and match what the schema promises for its status code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from ketamine_clinic.accounts.enums import Role
from tests.api.helpers import bearer_for
from tests.conftest import make_staff


def test_the_schema_is_public_and_describes_version_1(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == {
        "/api/v1/me",
        "/api/v1/staff",
        "/api/v1/audit/verify",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/patients",
        "/api/v1/patients/{patient_id}",
        "/api/v1/instruments",
        "/api/v1/instruments/{instrument_key}",
        "/api/v1/patients/{patient_id}/scores",
        "/api/v1/patients/{patient_id}/questionnaires",
        "/api/v1/risk-flags",
        "/api/v1/risk-flags/{flag_id}/assessment",
    }
    assert set(schema["components"]["securitySchemes"]) == {"BearerToken", "StaffSession"}
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_every_operation_in_the_schema_requires_credentials(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"BearerToken": []}, {"StaffSession": []}], (
                f"{method.upper()} {path}"
            )


def test_the_interactive_docs_page_is_not_served(db: None) -> None:
    # Its page needs inline script, which the Content-Security-Policy forbids.
    assert Client().get("/api/v1/docs").status_code == 404


def test_the_api_root_says_where_the_schema_is(db: None) -> None:
    response = Client().get("/api/v1/")
    assert response.json() == {"version": "1", "openapi": "/api/v1/openapi.json"}


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """Keep the database connection open across the app's requests.

    Django closes it as a request starts and as it finishes (`close_old_connections`
    on both signals), which would end the test's transaction on PostgreSQL; its own
    test Client disconnects the handler the same way.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def every_role_headers(db: None) -> Callable[[], dict[str, str]]:
    """A fresh token per generated request for a user holding every role.

    Fresh each time because DELETE /tokens/{id} with a generated id may well revoke
    the very token the run is using.
    """
    user = make_staff("schemathesis", *Role)
    return lambda: bearer_for(user)


# Loaded when the module is collected, from the app itself: reading the schema touches
# no database. (schemathesis.pytest.from_fixture would load it per test, but its lazy
# runner uses pytest internals that pytest 9 removed.)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
RULES_BEYOND_SCHEMA = {
    "POST /api/v1/patients",
    "POST /api/v1/patients/{patient_id}/questionnaires",
}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_get_no_server_error_and_match_the_schema(
    case: Any, every_role_headers: Callable[[], dict[str, str]], keep_the_test_connection: None
) -> None:
    # Their bodies carry rules a JSON Schema cannot state (a date of birth not in the
    # future; a questionnaire taken no later than now, its answers fitting the chosen
    # instrument and its skip logic): a body the schema allows may rightly be refused
    # with a 422 that names the field. Every other check still runs on them.
    excluded = [positive_data_acceptance] if case.operation.label in RULES_BEYOND_SCHEMA else []
    response = case.call_and_validate(headers=every_role_headers(), excluded_checks=excluded)
    if "Authorization" not in (case.headers or {}):
        # Our token went out (schemathesis's own cases try missing and empty ones, which
        # must get 401): its holder has every role, so a refusal would mean the run never
        # got past authentication and proved nothing.
        assert response.status_code not in (401, 403), response.text
