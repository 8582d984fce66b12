"""Every accounts page against every persona: who gets in, who is refused, who must sign in."""

from __future__ import annotations

import pytest
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import entries
from tests.conftest import client_for

PERSONAS = [
    "front_desk",
    "nurse",
    "prescriber",
    "custodian",
    "clinic_lead",
    "administrator",
    "no_role",
]
ADMIN_ONLY = {"administrator"}
EVERY_STAFF = set(PERSONAS)

# (method, path with {id} for the target account, who may use it)
PAGES = [
    ("get", "/accounts/password/", EVERY_STAFF),
    ("get", "/accounts/staff/", ADMIN_ONLY),
    ("get", "/accounts/staff/new/", ADMIN_ONLY),
    ("get", "/accounts/staff/{id}/", ADMIN_ONLY),
    ("get", "/accounts/staff/{id}/edit/", ADMIN_ONLY),
    ("get", "/accounts/staff/{id}/reset-password/", ADMIN_ONLY),
    ("post", "/accounts/staff/{id}/reset-second-factor/", ADMIN_ONLY),
    ("post", "/accounts/staff/{id}/unlock/", ADMIN_ONLY),
    ("post", "/accounts/staff/{id}/deactivate/", ADMIN_ONLY),
    ("post", "/accounts/staff/{id}/reactivate/", ADMIN_ONLY),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "path", "allowed"), PAGES)
def test_each_staff_page_opens_only_for_its_roles(
    personas: dict[str, User], persona: str, method: str, path: str, allowed: set[str]
) -> None:
    url = path.format(id=personas["front_desk"].pk)
    response = getattr(client_for(personas[persona]), method)(url)
    if persona in allowed:
        assert response.status_code in {200, 302}, (persona, url)
        if response.status_code == 302:
            assert not response["Location"].startswith("/accounts/sign-in/")
    else:
        assert response.status_code == 403, (persona, url)


@pytest.mark.parametrize(("method", "path", "allowed"), PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    personas: dict[str, User], method: str, path: str, allowed: set[str]
) -> None:
    url = path.format(id=personas["front_desk"].pk)
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next={url}"


@pytest.mark.parametrize(
    "path", ["/accounts/sign-in/", "/accounts/second-factor/", "/accounts/second-factor/enrol/"]
)
def test_the_sign_in_steps_are_open_to_anonymous_visitors(db: None, path: str) -> None:
    assert Client().get(path).status_code == 200


def test_a_refused_staff_page_is_audited_as_access_denied(personas: dict[str, User]) -> None:
    client_for(personas["nurse"]).get("/accounts/staff/")
    [denied] = entries(AuditAction.ACCESS_DENIED)
    assert (denied.actor_username, denied.object_id) == ("p_nurse", "/accounts/staff/")
