"""Tests of the role-matrix test: it fails when a view forgets, or lies about, its policy."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from ketamine_clinic.access.matrix import behaviour_mismatches, endpoints, undeclared
from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.auth import UNDECLARED_OPERATION
from tests import test_role_matrix
from tests.api.helpers import bearer_for
from tests.conftest import client_for

UNDECLARED_URLS = "tests.access.urls_undeclared"
WRONG_POLICY_URLS = "tests.access.urls_wrong_policy"


def test_the_walker_names_a_view_and_api_operations_that_declare_nothing() -> None:
    assert undeclared(UNDECLARED_URLS) == [
        "forgotten_page (tests.access.urls_undeclared.forgotten_page)",
        "api GET /api/forgotten/forgotten (tests.access.urls_undeclared.forgotten)",
        "api GET /api/forgotten/opened (tests.access.urls_undeclared.opened)",
    ]


def test_the_walker_finds_nothing_undeclared_in_the_project_itself() -> None:
    assert undeclared() == []


@override_settings(ROOT_URLCONF=UNDECLARED_URLS)
def test_the_matrix_test_fails_on_an_undeclared_view() -> None:
    with pytest.raises(AssertionError, match="forgotten_page"):
        test_role_matrix.test_every_view_and_api_operation_declares_an_access_policy()


@override_settings(ROOT_URLCONF=UNDECLARED_URLS)
def test_the_behaviour_check_reports_undeclared_endpoints(personas: dict[str, User]) -> None:
    found = [e for e in endpoints() if "forgotten" in e.route]
    mismatches = behaviour_mismatches(
        found,
        personas=personas,
        samples={},
        session_client=lambda user: client_for(user) if user else Client(),
        api_headers=bearer_for,
    )
    assert [str(m) for m in mismatches] == [
        "forgotten_page as everyone: expected a declared policy, got none",
        "api GET /api/forgotten/forgotten as everyone: expected a declared policy, got none",
        "api GET /api/forgotten/opened as everyone: expected a declared policy, got none",
    ]


@override_settings(ROOT_URLCONF=UNDECLARED_URLS)
def test_an_undeclared_view_is_closed_even_to_an_administrator(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["administrator"]).get("/forgotten/")
    assert response.status_code == 403
    assert b"patient list" not in response.content


@override_settings(ROOT_URLCONF=UNDECLARED_URLS)
@pytest.mark.parametrize("path", ["/api/forgotten/forgotten", "/api/forgotten/opened"])
def test_an_undeclared_api_operation_is_closed_to_everyone(
    personas: dict[str, User], path: str
) -> None:
    as_admin = Client().get(path, headers=bearer_for(personas["administrator"]))
    anonymous = Client().get(path)
    for response in (as_admin, anonymous):
        assert response.status_code == 403
        assert response.json() == {"detail": UNDECLARED_OPERATION}


@override_settings(ROOT_URLCONF=WRONG_POLICY_URLS)
def test_the_matrix_test_fails_when_a_declared_policy_differs_from_the_table(
    personas: dict[str, User],
) -> None:
    with pytest.raises(AssertionError) as failed:
        test_role_matrix.test_every_declared_policy_matches_the_expected_matrix(personas)
    assert "'home': {'declared': ['nurse']" in str(failed.value)


@override_settings(ROOT_URLCONF=WRONG_POLICY_URLS)
def test_the_behaviour_check_catches_a_view_that_does_not_do_what_it_declares(
    personas: dict[str, User],
) -> None:
    found = [e for e in endpoints() if e.key == "public_in_name_only"]
    mismatches = behaviour_mismatches(
        found,
        personas=personas,
        samples={},
        session_client=lambda user: client_for(user) if user else Client(),
        api_headers=bearer_for,
    )
    assert [str(m) for m in mismatches] == [
        "public_in_name_only as anonymous: expected allowed, got redirect to sign-in"
    ]


def test_the_behaviour_check_asks_for_a_sample_of_an_unknown_parameter(
    personas: dict[str, User],
) -> None:
    found = [e for e in endpoints() if e.key == "api DELETE /api/v1/tokens/<token_id>"]
    mismatches = behaviour_mismatches(
        found,
        personas=personas,
        samples={},
        session_client=lambda user: client_for(user) if user else Client(),
        api_headers=bearer_for,
    )
    assert [str(m) for m in mismatches] == [
        "api DELETE /api/v1/tokens/<token_id> as everyone: expected sample values for "
        "token_id, got none registered"
    ]
