"""Access policies and the decorator that declares one on a view.

Every view and API operation states its policy; the middleware refuses any view that
states none, and tests/test_role_matrix.py walks every URL against every role to prove
that what is declared is what happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ketamine_clinic.accounts.enums import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ketamine_clinic.accounts.models import User

POLICY_ATTRIBUTE = "access_policy"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use a view.

    `public`: anyone, signed in or not (the sign-in page, the OpenAPI schema).
    `any_staff`: any signed-in, active staff member whatever their roles.
    `roles`: signed-in staff holding at least one of these roles.
    """

    name: str
    roles: frozenset[Role] = frozenset()
    public: bool = False
    any_staff: bool = False

    def allows(self, user: User | AnonymousUser) -> bool:
        if self.public:
            return True
        if not user.is_authenticated or not user.is_active:
            return False
        if self.any_staff:
            return True
        return bool(self.roles & user.roles)

    def describe(self) -> str:
        if self.public:
            return "anyone"
        if self.any_staff:
            return "any signed-in staff"
        return ", ".join(sorted(role.label for role in self.roles))


PUBLIC = AccessPolicy(name="public", public=True)
ANY_STAFF = AccessPolicy(name="any_staff", any_staff=True)


def roles(*allowed: Role) -> AccessPolicy:
    """A policy for holders of any of `allowed`."""
    if not allowed:
        raise ValueError("roles() needs at least one role; use ANY_STAFF or PUBLIC otherwise")
    return AccessPolicy(name="roles", roles=frozenset(allowed))


def access(policy: AccessPolicy) -> Callable[[ViewFunc], ViewFunc]:
    """Declare who may use a function view: `@access(roles(Role.NURSE))`."""

    def declare(view: ViewFunc) -> ViewFunc:
        setattr(view, POLICY_ATTRIBUTE, policy)
        return view

    return declare


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member of a request that a policy has already admitted.

    A view with a staff policy calls this instead of casting `request.user`; reaching
    it anonymously is a wiring error, answered with 403 rather than a crash.
    """
    from ketamine_clinic.accounts.models import User

    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied("signed-in staff only")
    return user


def declared_policy(view: Callable[..., Any]) -> AccessPolicy | None:
    """The policy a view declares, looking through class-based views' `view_class`."""
    policy = getattr(view, POLICY_ATTRIBUTE, None)
    if policy is None:
        view_class = getattr(view, "view_class", None)
        policy = getattr(view_class, POLICY_ATTRIBUTE, None)
    return policy if isinstance(policy, AccessPolicy) else None
