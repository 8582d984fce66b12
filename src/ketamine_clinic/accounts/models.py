"""Staff users and their roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from ketamine_clinic.accounts.enums import Role


class User(AbstractUser):
    """A member of staff. Never deleted: deactivation keeps the person's history."""

    credentials = models.CharField(
        max_length=40, blank=True, help_text="Professional credentials, e.g. MD, NP, CRNA, RN."
    )
    must_change_password = models.BooleanField(
        default=False,
        help_text="Set by an administrator's reset; cleared when the user chooses one.",
    )
    failed_sign_ins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def roles(self) -> frozenset[Role]:
        """The user's roles, read once per object (a request reuses its user object)."""
        cached: frozenset[Role] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            if self.pk is None:
                cached = frozenset()
            else:
                cached = frozenset(
                    Role(value) for value in self.role_grants.values_list("role", flat=True)
                )
            self._roles_cache = cached
        return cached

    def forget_cached_roles(self) -> None:
        self.__dict__.pop("_roles_cache", None)


class RoleGrant(models.Model):
    """One role held by one user. Grants and revocations are in the audit trail."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_rolegrant_unique_role"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_rolegrant_known_role"
            ),
        ]
        ordering = ["user_id", "role"]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


# The columns ``display_name`` reads: a list that names its actors (the chart's timeline)
# loads these through ``QuerySet.only`` instead of every column of every user.
DISPLAY_NAME_FIELDS = ("first_name", "last_name", "username", "credentials")


def display_name_fields(relation: str) -> tuple[str, ...]:
    """``DISPLAY_NAME_FIELDS`` through ``relation`` (``"by"`` -> ``"by__first_name"``, ...)."""
    return tuple(f"{relation}__{name}" for name in DISPLAY_NAME_FIELDS)
