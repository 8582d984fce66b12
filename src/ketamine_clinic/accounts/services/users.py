"""Creating staff accounts, changing their details and roles, deactivating them."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import RoleGrant, User
from ketamine_clinic.accounts.selectors import active_administrator_ids
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.web.events import StaffEvent, staff_event_send

LAST_ADMINISTRATOR = (
    "The clinic must keep at least one active administrator: give someone else the "
    "administrator role first."
)
CANNOT_DEACTIVATE_SELF = "You cannot deactivate your own account; another administrator can do it."
ALREADY_DEACTIVATED = "This account is already deactivated."
ALREADY_ACTIVE = "This account is already active."
# Shown on every open page of the person, which then leaves for the sign-in page.
SESSION_ENDED_DEACTIVATED = "An administrator deactivated your account."

# Fields an administrator may edit on the account page, in the audit detail's order.
EDITABLE_FIELDS = ("first_name", "last_name", "email", "credentials")


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
    the password-strength rules, for the demo's printed passwords only. Raises
    ValidationError keyed by field ("username", "password", ...) so a form or the CLI
    can say which input was wrong.
    """
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        credentials=credentials,
        must_change_password=must_change_password,
    )
    errors: dict[str, list[ValidationError]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update({field: list(errs) for field, errs in exc.error_dict.items()})
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.error_list)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    audit_record(
        action=AuditAction.USER_CREATED,
        actor=by,
        object_type="user",
        object_id=user.pk,
        detail={"username": user.username, "must_change_password": must_change_password},
    )
    user_set_roles(user=user, roles=roles, by=by)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    credentials: str,
    roles: Iterable[Role],
    by: User,
) -> User:
    """Change an account's names, contact, credentials and roles in one audited step."""
    before = {field: getattr(user, field) for field in EDITABLE_FIELDS}
    user.first_name = first_name
    user.last_name = last_name
    user.email = email
    user.credentials = credentials
    user.full_clean(exclude=["password"])
    changed = {
        field: str(getattr(user, field))
        for field in EDITABLE_FIELDS
        if getattr(user, field) != before[field]
    }
    if changed:
        user.save(update_fields=list(changed))
        audit_record(
            action=AuditAction.USER_UPDATED,
            actor=by,
            object_type="user",
            object_id=user.pk,
            detail=changed,
        )
    return user_set_roles(user=user, roles=roles, by=by)


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role], by: User | None) -> User:
    """Make `user` hold exactly `roles`; each grant and revocation is audited.

    Refuses (ValidationError on "roles") to take the administrator role from the last
    active administrator: nobody could then manage accounts from the site.
    """
    wanted = {Role(role) for role in roles}
    held = {Role(r) for r in RoleGrant.objects.filter(user=user).values_list("role", flat=True)}
    if Role.ADMINISTRATOR in held - wanted and user.is_active:
        _refuse_if_last_administrator(user=user)
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


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """Stop an account from signing in, keeping it and its history.

    Its sessions stop working at their next request: the authentication backend
    refuses inactive users, and every access policy requires an active one.
    """
    if user.pk == by.pk:
        raise ValidationError(CANNOT_DEACTIVATE_SELF)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError(ALREADY_DEACTIVATED)
    if Role.ADMINISTRATOR in user.roles:
        _refuse_if_last_administrator(user=user)
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.deactivated_by = by
    user.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
    audit_record(
        action=AuditAction.USER_DEACTIVATED, actor=by, object_type="user", object_id=user.pk
    )
    staff_event_send(
        user_id=user.pk, event=StaffEvent.SESSION_ENDED, message=SESSION_ENDED_DEACTIVATED
    )
    return user


@transaction.atomic
def user_reactivate(*, user: User, by: User) -> User:
    """Let a deactivated account sign in again, with a clean failure count."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise ValidationError(ALREADY_ACTIVE)
    previously = user.deactivated_at
    user.is_active = True
    user.deactivated_at = None
    user.deactivated_by = None
    user.failed_sign_ins = 0
    user.locked_until = None
    user.save(
        update_fields=[
            "is_active",
            "deactivated_at",
            "deactivated_by",
            "failed_sign_ins",
            "locked_until",
        ]
    )
    audit_record(
        action=AuditAction.USER_REACTIVATED,
        actor=by,
        object_type="user",
        object_id=user.pk,
        detail={"deactivated_at": previously.isoformat() if previously else ""},
    )
    return user


def _refuse_if_last_administrator(*, user: User) -> None:
    """ValidationError unless another active administrator remains besides `user`.

    Locks every administrator grant first, so two administrators removing each other
    at the same moment are serialised and the second one is refused.
    """
    list(
        RoleGrant.objects.select_for_update()
        .filter(role=Role.ADMINISTRATOR)
        .values_list("pk", flat=True)
    )
    if not active_administrator_ids() - {user.pk}:
        raise ValidationError({"roles": [LAST_ADMINISTRATOR]})
