"""Whether PostgreSQL, Redis and Chromium are here, and what to do when they are not.

Without REQUIRE_<NAME>=1 a test needing a missing service is skipped; with it (as
.ci/run sets) the test fails, so CI can never pass by silently skipping.
"""

from __future__ import annotations

import os
import socket

import pytest

TEST_POSTGRES_URL = os.environ.get(
    "KC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
TEST_REDIS_URL = os.environ.get("KC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM_PATH = os.environ.get("KC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def required(name: str) -> bool:
    return os.environ.get(f"REQUIRE_{name}", "") == "1"


def need(name: str, available: bool, what: str) -> None:
    """Skip, or fail under REQUIRE_<name>=1, when `available` is false."""
    if available:
        return
    if required(name):
        pytest.fail(f"REQUIRE_{name}=1 but {what} is not available", pytrace=False)
    pytest.skip(f"{what} is not available (set REQUIRE_{name}=1 to make this a failure)")


def tcp_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def redis_available() -> bool:
    return tcp_open("127.0.0.1", 6379)


def chromium_available(path: str = CHROMIUM_PATH) -> bool:
    """Whether the Chromium the browser tests launch (exactly that binary) is there."""
    return os.path.isfile(path) and os.access(path, os.X_OK)


def sqlite_pass_only(reason: str) -> pytest.MarkDecorator:
    """A mark that skips, in the PostgreSQL pass, a test the SQLite pass already covers.

    A mark rather than a call in the test, so the skip comes before any database
    fixture is set up (and torn down). Not a missing service, so no REQUIRE_ flag
    applies: `make test` runs both passes.
    """
    from django.db import connection

    return pytest.mark.skipif(
        connection.vendor == "postgresql", reason=f"runs in the SQLite pass: {reason}"
    )
