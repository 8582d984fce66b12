"""How an API request proves who it is, and the role check each operation declares.

Two ways in, tried in this order:

* `Authorization: Bearer kc_...`: a per-user API token (devices, integrations, scripts).
  A request that sends the header is judged on the token alone: a bad token is a 401
  even if a session cookie came along, so a misconfigured device fails loudly.
* The staff session cookie (the browser's own pages calling the API). Unsafe methods
  must then carry the CSRF token, as a form post would; and a user whose roles need a
  second factor must have passed it in this session.

Each operation states who may call it with `auth=api_access(policy)`, using the same
`AccessPolicy` objects the HTML views declare with `@access(...)`. The NinjaAPI's
default auth is `UNDECLARED`, which refuses every request, so an operation that declares
nothing is closed (and the role-matrix test names it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ketamine_clinic.access.policy import POLICY_ATTRIBUTE, PUBLIC, AccessPolicy
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.api.selectors import api_token_for_secret
from ketamine_clinic.api.services import api_token_mark_used
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record

NOT_AUTHENTICATED = (
    "Authentication required: send 'Authorization: Bearer <token>' or sign in to the clinic."
)
MALFORMED_AUTHORIZATION = "Authorization: expected 'Bearer <token>'."
# A message, not a secret (S105 is set off by the name).
INVALID_TOKEN = (
    "Authorization: this token is not valid (unknown, revoked, or its user is deactivated)."  # noqa: S105
)
SECOND_FACTOR_NOT_PASSED = (
    "Your roles need a second factor, and this session has not passed it. Sign in again."
)
CSRF_FAILED = "CSRF check failed: a session-authenticated request must send the X-CSRFToken header."
ROLE_DENIED = "Your role does not give access to this operation."
UNDECLARED_OPERATION = "This operation has no access rule and is closed to everyone."


def _admit(request: HttpRequest, user: User, policy: AccessPolicy) -> User:
    """The user if `policy` lets them in; otherwise audit the refusal and answer 403."""
    if policy.allows(user):
        return user
    audit_record(
        action=AuditAction.ACCESS_DENIED,
        actor=user,
        object_type="url",
        object_id=request.path[:64],
        detail={"method": str(request.method)},
    )
    raise AuthorizationError(403, ROLE_DENIED)


class BearerToken(HttpBearer):
    """A per-user API token in the Authorization header."""

    def __init__(self, policy: AccessPolicy) -> None:
        setattr(self, POLICY_ATTRIBUTE, policy)
        self.policy = policy
        super().__init__()

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get("Authorization")
        if not header:
            return None  # not this way in; try the session
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError(401, MALFORMED_AUTHORIZATION)
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_for_secret(secret=token)
        if found is None:
            raise AuthenticationError(401, INVALID_TOKEN)
        api_token_mark_used(token=found)
        request.api_token = found  # type: ignore[attr-defined]
        return _admit(request, found.user, self.policy)


class StaffSession(APIKeyCookie):
    """The signed-in staff member's session cookie, with CSRF on unsafe methods."""

    # For the OpenAPI document; the session itself is read by Django's middleware.
    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, policy: AccessPolicy) -> None:
        setattr(self, POLICY_ATTRIBUTE, policy)
        self.policy = policy
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        user = request.user
        if not isinstance(user, User) or not user.is_active:
            # The last way in: answer with what to do rather than ninja's bare 401.
            raise AuthenticationError(401, NOT_AUTHENTICATED)
        if second_factor_required(user) and not _second_factor_passed(user):
            raise AuthenticationError(401, SECOND_FACTOR_NOT_PASSED)
        if check_csrf(request) is not None:
            raise HttpError(403, CSRF_FAILED)
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return _admit(request, request.user, self.policy)  # type: ignore[arg-type]


def _second_factor_passed(user: User) -> bool:
    """django-otp's OTPMiddleware marks a session whose device was verified."""
    is_verified: Callable[[], bool] | None = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


class PublicAccess:
    """Anyone, with or without credentials (there is no such operation yet)."""

    def __init__(self) -> None:
        setattr(self, POLICY_ATTRIBUTE, PUBLIC)
        self.policy = PUBLIC

    def __call__(self, request: HttpRequest) -> bool:
        return True


class Undeclared:
    """The API's default: an operation that declared no policy refuses everyone."""

    def __call__(self, request: HttpRequest) -> Any:
        raise AuthorizationError(403, UNDECLARED_OPERATION)


UNDECLARED = Undeclared()


def api_access(policy: AccessPolicy) -> Sequence[Callable[[HttpRequest], Any]]:
    """The `auth=` of an operation that `policy` governs: `auth=api_access(ANY_STAFF)`."""
    if policy.public:
        return [PublicAccess()]
    return [BearerToken(policy), StaffSession(policy)]


def api_user(request: HttpRequest) -> User:
    """The staff member an operation's auth admitted (token or session).

    Reaching it without one is a wiring error (a staff operation declared public),
    answered with 403 rather than a crash.
    """
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthorizationError(403, ROLE_DENIED)
    return user
