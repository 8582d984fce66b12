"""Reads of staff accounts: who needs a second factor, the staff list, one account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User


def second_factor_roles() -> frozenset[Role]:
    """The roles whose holders must pass a TOTP code (settings.KC_MFA_REQUIRED_ROLES).

    Read on every call, not at import, so a clinic's setting (and a test's override)
    takes effect without a restart of this module.
    """
    return frozenset(Role(value) for value in settings.KC_MFA_REQUIRED_ROLES)


def second_factor_required(user: User) -> bool:
    """Whether `user` must pass a second factor before any staff page opens."""
    return bool(user.roles & second_factor_roles())


def confirmed_device(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled one."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    )
    return device


def is_locked(user: User, *, at: datetime | None = None) -> bool:
    """Whether repeated failures have locked the account at `at` (now by default)."""
    moment = at or timezone.now()
    return user.locked_until is not None and user.locked_until > moment


@dataclass(frozen=True)
class StaffRow:
    """One account as the administrator's pages show it."""

    user: User
    roles: tuple[Role, ...]
    second_factor_required: bool
    second_factor_enrolled: bool
    # Set only while the lock holds; a lapsed lock is not worth showing.
    locked_until: datetime | None

    @property
    def role_labels(self) -> list[str]:
        return [role.label for role in self.roles]


def _staff_queryset() -> QuerySet[User]:
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.prefetch_related("role_grants").annotate(
        has_confirmed_device=Exists(enrolled)
    )


def _row(user: User, *, now: datetime, mfa_roles: frozenset[Role]) -> StaffRow:
    # Roles from the prefetched grants: one query for the whole list, not one per row.
    held = tuple(
        sorted(
            (Role(grant.role) for grant in user.role_grants.all()),
            key=list(Role).index,
        )
    )
    return StaffRow(
        user=user,
        roles=held,
        second_factor_required=bool(set(held) & mfa_roles),
        second_factor_enrolled=bool(getattr(user, "has_confirmed_device", False)),
        locked_until=user.locked_until if is_locked(user, at=now) else None,
    )


def staff_rows() -> list[StaffRow]:
    """Every account, active ones first, then by username."""
    now = timezone.now()
    mfa_roles = second_factor_roles()
    users = _staff_queryset().order_by("-is_active", "username")
    return [_row(user, now=now, mfa_roles=mfa_roles) for user in users]


def staff_member(*, user_id: int) -> StaffRow:
    """One account for the administrator's pages; raises User.DoesNotExist."""
    user = _staff_queryset().get(pk=user_id)
    return _row(user, now=timezone.now(), mfa_roles=second_factor_roles())


def active_administrator_ids() -> set[int]:
    """Ids of active accounts holding the administrator role."""
    return set(
        User.objects.filter(is_active=True, role_grants__role=Role.ADMINISTRATOR).values_list(
            "pk", flat=True
        )
    )
