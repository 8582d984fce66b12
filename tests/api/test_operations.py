"""What the read operations return: me, the staff directory, the audit chain's state."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from tests.api.helpers import bearer_for
from tests.conftest import make_staff


def test_me_lists_every_role_a_person_holds(db: None) -> None:
    from ketamine_clinic.accounts.enums import Role

    both = make_staff("dual", Role.NURSE, Role.CLINIC_LEAD)
    both.credentials = "RN"
    both.save(update_fields=["credentials"])
    response = Client().get("/api/v1/me", headers=bearer_for(both))
    assert response.json() == {
        "username": "dual",
        "display_name": "Dual Test, RN",
        "roles": ["clinic_lead", "nurse"],
    }


def test_the_staff_directory_shows_roles_and_who_is_active(personas: dict[str, User]) -> None:
    User.objects.filter(pk=personas["custodian"].pk).update(is_active=False)
    response = Client().get("/api/v1/staff", headers=bearer_for(personas["administrator"]))
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()}
    assert set(rows) == {user.username for user in personas.values()}
    assert rows["p_nurse"]["roles"] == ["nurse"]
    assert rows["p_nurse"]["is_active"] is True
    assert rows["p_no_role"]["roles"] == []
    assert rows["p_custodian"]["is_active"] is False
    assert rows["p_administrator"]["id"] == personas["administrator"].pk


def test_audit_verify_reports_an_intact_chain_with_its_length(
    personas: dict[str, User],
) -> None:
    headers = bearer_for(personas["clinic_lead"])
    entries = AuditEntry.objects.count()
    response = Client().get("/api/v1/audit/verify", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"intact": True, "entries": entries, "first_break": None}


def test_audit_verify_names_the_first_altered_entry(personas: dict[str, User]) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the update itself (tested in tests/audit)")
    headers = bearer_for(personas["clinic_lead"])
    victim = AuditEntry.objects.order_by("seq")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(reason="edited by hand")
    response = Client().get("/api/v1/audit/verify", headers=headers)
    body = response.json()
    assert body["intact"] is False
    assert body["first_break"].startswith(f"audit entry seq {victim.seq} (id {victim.pk})")


@pytest.mark.parametrize("who", ["anonymous", "nurse"])
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("delete", "/api/v1/patients", "GET, POST"), ("put", "/api/v1/me", "GET")],
)
def test_a_method_the_path_lacks_is_a_json_405_naming_the_allowed_ones(
    personas: dict[str, User], who: str, method: str, path: str, allowed: str
) -> None:
    headers = bearer_for(personas["nurse"]) if who == "nurse" else {}
    response = getattr(Client(), method)(path, headers=headers)
    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f"Method not allowed here; allowed: {allowed}."}
