"""Whether PostgreSQL, Redis and Chromium are here, and what to do when they are not.

Without REQUIRE_<NAME>=1 a test needing a missing service is skipped; with it (as
.ci/run sets) the test fails, so CI can never pass by silently skipping.
"""

from __future__ import annotations

import os
import shutil
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


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM_PATH) or shutil.which("chromium") is not None
