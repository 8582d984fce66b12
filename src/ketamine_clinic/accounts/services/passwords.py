"""Changing a password: by its owner, or reset by an administrator."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.web.events import StaffEvent, staff_event_send

# Messages, not passwords (ruff's S105 looks only at the names).
OLD_PASSWORD_WRONG = "That is not your current password."  # noqa: S105
NEW_PASSWORD_SAME = "Choose a new password, not the one you have now."  # noqa: S105
SESSION_ENDED_PASSWORD_RESET = "An administrator reset your password; sign in with the new one."  # noqa: S105
RESET_OWN_PASSWORD = "To change your own password use “Change my password”."  # noqa: S105


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str, by: User) -> User:
    """The owner chooses a new password (also the end of an administrator's reset).

    Raises ValidationError keyed "old_password" or "new_password". Other sessions of
    the account end, because Django ties each session to the password hash; the
    caller keeps the current one with update_session_auth_hash.
    """
    if by.pk != user.pk:
        raise ValueError("only the account's owner changes its password this way")
    if not user.check_password(old_password):
        raise ValidationError({"old_password": [OLD_PASSWORD_WRONG]})
    if old_password == new_password:
        raise ValidationError({"new_password": [NEW_PASSWORD_SAME]})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": list(exc.error_list)}) from exc
    was_forced = user.must_change_password
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        action=AuditAction.PASSWORD_CHANGED,
        actor=by,
        object_type="user",
        object_id=user.pk,
        detail={"after_reset": was_forced},
    )
    return user


@transaction.atomic
def user_reset_password(*, user: User, password: str, by: User) -> User:
    """An administrator sets a temporary password the person must change at sign-in.

    Every session of the account ends (the session auth hash no longer matches).
    Raises ValidationError keyed "password".
    """
    if by.pk == user.pk:
        raise ValidationError({"password": [RESET_OWN_PASSWORD]})
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.error_list)}) from exc
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(action=AuditAction.PASSWORD_RESET, actor=by, object_type="user", object_id=user.pk)
    staff_event_send(
        user_id=user.pk, event=StaffEvent.SESSION_ENDED, message=SESSION_ENDED_PASSWORD_RESET
    )
    return user
