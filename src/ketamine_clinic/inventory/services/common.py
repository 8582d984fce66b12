"""What every controlled-substance service shares: the role check and the audit line."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record


def require_role(by: User, allowed: Collection[Role], doing: str) -> None:
    if not by.is_active or not (by.roles & frozenset(allowed)):
        raise PermissionDenied(f"Only {who_may(allowed)} may {doing}.")


def who_may(allowed: Collection[Role]) -> str:
    """ "an inventory custodian or a prescriber": the roles as a sentence reads them."""
    names = sorted(Role(role).label.lower() for role in allowed)
    with_articles = [f"{'an' if name[0] in 'aeiou' else 'a'} {name}" for name in names]
    if len(with_articles) == 1:
        return with_articles[0]
    return ", ".join(with_articles[:-1]) + " or " + with_articles[-1]


def audit(
    action: AuditAction,
    by: User,
    object_type: str,
    object_id: int,
    *,
    patient_id: int | str = "",
    **detail: Any,
) -> None:
    audit_record(
        action=action,
        actor=by,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail={
            key: str(value) if not isinstance(value, (int, list, dict)) else value
            for key, value in detail.items()
        },
    )
