"""Creating staff accounts and changing their roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import RoleGrant, User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: Iterable[Role],
    by: User | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    credentials: str = "",
    must_change_password: bool = False,
    validate: bool = True,
) -> User:
    """Create an active staff account holding `roles`.

    `by` is None only for the CLI bootstrap and the demo seed. `validate=False` skips
    the password-strength rules, for the demo's printed passwords only.
    """
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        credentials=credentials,
        must_change_password=must_change_password,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(action=AuditAction.USER_CREATED, actor=by, object_type="user", object_id=user.pk)
    user_set_roles(user=user, roles=roles, by=by)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role], by: User | None) -> User:
    """Make `user` hold exactly `roles`; each grant and revocation is audited."""
    wanted = {Role(role) for role in roles}
    held = {Role(r) for r in RoleGrant.objects.filter(user=user).values_list("role", flat=True)}
    now = timezone.now()
    for role in sorted(wanted - held):
        RoleGrant.objects.create(user=user, role=role, granted_at=now, granted_by=by)
        audit_record(
            action=AuditAction.ROLE_GRANTED,
            actor=by,
            object_type="user",
            object_id=user.pk,
            detail={"role": str(role)},
        )
    for role in sorted(held - wanted):
        RoleGrant.objects.filter(user=user, role=role).delete()
        audit_record(
            action=AuditAction.ROLE_REVOKED,
            actor=by,
            object_type="user",
            object_id=user.pk,
            detail={"role": str(role)},
        )
    user.forget_cached_roles()
    return user
