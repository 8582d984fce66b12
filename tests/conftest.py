"""Fixtures shared by the whole suite: personas (one user per role), clients, services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from hypothesis import settings

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.users import user_create
from ketamine_clinic.audit.context import AuditContext, audit_context
from tests.support.services import need

PERSONA_PASSWORD = "correct-horse-battery-staple-42"

# Property tests check behaviour, never speed (speed is measured in bench/): without a
# deadline, an example that runs slowly on a loaded machine is not reported as a failure.
settings.register_profile("clinic", deadline=None)
settings.load_profile("clinic")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need the PostgreSQL pass (DATABASE_URL=postgres://...)."""
    del config
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") is None:
        return
    if connection.vendor != "postgresql":
        # Not a missing service: this pass runs on SQLite, and `make test` runs the
        # PostgreSQL pass too (where REQUIRE_POSTGRES makes an unreachable server fail).
        pytest.skip("runs in the PostgreSQL pass of `make test`")


@pytest.fixture
def redis_required() -> None:
    from tests.support.services import redis_available

    need("REDIS", redis_available(), "Redis at 127.0.0.1:6379")


@pytest.fixture(autouse=True)
def _test_audit_context() -> Iterator[None]:
    with audit_context(AuditContext(request_id="test", client_address="", channel="test")):
        yield


def make_staff(username: str, *roles: Role, password: str = PERSONA_PASSWORD) -> User:
    return user_create(
        username=username,
        password=password,
        roles=roles,
        by=None,
        first_name=username.title(),
        last_name="Test",
        validate=False,
    )


@pytest.fixture
def personas(db: None) -> dict[str, User]:
    """One user per role, plus `no_role` (signed in, holds nothing)."""
    people = {role.value: make_staff(f"p_{role.value}", role) for role in Role}
    people["no_role"] = make_staff("p_no_role")
    return people


def client_for(user: User) -> Client:
    """A client signed in as `user`, second factor satisfied where required.

    For a role that needs a second factor the user gets a confirmed authenticator (if
    they have none) and the session is marked verified with it, as django_otp.login
    does after a real code; without that the session middleware would sign them out.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketamine_clinic.accounts.selectors import confirmed_device, second_factor_required

    client = Client()
    client.force_login(user)
    if second_factor_required(user):
        device = confirmed_device(user=user) or TOTPDevice.objects.create(
            user=user, name="Test authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
