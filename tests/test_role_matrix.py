"""Every view and API operation, against every role and an anonymous visitor.

Three checks, each naming what is wrong:
(a) every view and operation declares an access policy;
(b) the policy it declares admits exactly the personas tests/role_matrix_expected.py
    lists for it (and that table has no line for a view that no longer exists);
(c) requesting it as each persona does what the policy says (see access/matrix.py).
"""

from __future__ import annotations

from django.test import Client

from ketamine_clinic.access.matrix import (
    allowed_personas,
    behaviour_mismatches,
    endpoints,
    undeclared,
)
from ketamine_clinic.accounts.models import User
from tests.access.url_samples import make_samples
from tests.api.helpers import bearer_for
from tests.conftest import client_for
from tests.role_matrix_expected import EXPECTED


def test_every_view_and_api_operation_declares_an_access_policy() -> None:
    assert undeclared() == []


def test_every_declared_policy_matches_the_expected_matrix(personas: dict[str, User]) -> None:
    found = endpoints()
    declared = {e.key: allowed_personas(e.policy, personas) for e in found if e.policy}
    wrong = {
        key: {"declared": sorted(admitted), "expected": sorted(EXPECTED.get(key, ()))}
        for key, admitted in declared.items()
        if EXPECTED.get(key) != admitted
    }
    assert wrong == {}, "declared policy differs from tests/role_matrix_expected.py"
    stale = set(EXPECTED) - {e.key for e in found}
    assert stale == set(), "tests/role_matrix_expected.py lists views that do not exist"


def _session_client(user: User | None) -> Client:
    client = client_for(user) if user is not None else Client()
    client.raise_request_exception = False  # a crash is reported as a mismatch
    return client


def test_every_view_behaves_as_declared_for_every_persona(personas: dict[str, User]) -> None:
    found = endpoints()
    samples = make_samples(personas, (name for e in found for name in e.params))
    tokens = {user.pk: bearer_for(user) for user in personas.values()}
    mismatches = behaviour_mismatches(
        found,
        personas=personas,
        samples=samples,
        session_client=_session_client,
        api_headers=lambda user: tokens[user.pk],
    )
    assert [str(m) for m in mismatches] == []


def test_every_api_operation_behaves_the_same_through_a_staff_session(
    personas: dict[str, User],
) -> None:
    found = [endpoint for endpoint in endpoints() if endpoint.is_api]
    samples = make_samples(personas, (name for e in found for name in e.params))
    mismatches = behaviour_mismatches(
        found,
        personas=personas,
        samples=samples,
        session_client=_session_client,
        api_headers=None,
    )
    assert [str(m) for m in mismatches] == []
