"""The account services on their own: errors keyed by field, and no-op edits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import staff_member, staff_rows
from ketamine_clinic.accounts.services.users import user_create, user_set_roles, user_update
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import entries


def test_user_create_names_the_field_of_each_problem(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        user_create(username="p_nurse", password="123", roles=[Role.NURSE], by=None)
    errors = refused.value.message_dict
    assert errors["username"] == ["A user with that username already exists."]
    assert "This password is entirely numeric." in errors["password"]


def test_an_edit_that_changes_nothing_writes_no_audit_entry(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    role_entries = len(entries(AuditAction.ROLE_GRANTED)) + len(entries(AuditAction.ROLE_REVOKED))
    user_update(
        user=nurse,
        first_name=nurse.first_name,
        last_name=nurse.last_name,
        email=nurse.email,
        credentials=nurse.credentials,
        roles=[Role.NURSE],
        by=personas["administrator"],
    )
    assert entries(AuditAction.USER_UPDATED) == []
    assert role_entries == len(entries(AuditAction.ROLE_GRANTED)) + len(
        entries(AuditAction.ROLE_REVOKED)
    )


def test_the_staff_list_puts_active_accounts_first_with_roles_in_role_order(
    personas: dict[str, User],
) -> None:
    User.objects.filter(username="p_clinic_lead").update(is_active=False)
    user_set_roles(user=personas["nurse"], roles=[Role.ADMINISTRATOR, Role.NURSE], by=None)
    rows = staff_rows()
    assert rows[-1].user.username == "p_clinic_lead"
    assert staff_member(user_id=personas["nurse"].pk).roles == (Role.NURSE, Role.ADMINISTRATOR)
