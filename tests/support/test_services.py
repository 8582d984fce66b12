"""The rule CI rests on: a missing service skips a test, or fails it under REQUIRE_<NAME>=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import chromium_available, need, required, sqlite_pass_only

REPO = Path(__file__).resolve().parents[2]


def test_a_missing_service_skips_without_the_require_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium at /nowhere is not available"):
        need("BROWSER", False, "Chromium at /nowhere")


def test_a_missing_service_fails_under_the_require_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_BROWSER", "1")
    with pytest.raises(
        pytest.fail.Exception,
        match=r"^REQUIRE_BROWSER=1 but Chromium at /nowhere is not available$",
    ):
        need("BROWSER", False, "Chromium at /nowhere")


def test_a_present_service_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_REDIS", "1")
    need("REDIS", True, "Redis")


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), ("", False)])
def test_only_require_equal_to_1_makes_a_service_required(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("REQUIRE_POSTGRES", value)
    assert required("POSTGRES") is expected


def test_chromium_is_unavailable_where_there_is_no_binary(tmp_path: Path) -> None:
    assert chromium_available(str(tmp_path / "chromium")) is False


def test_chromium_is_unavailable_where_the_file_cannot_run(tmp_path: Path) -> None:
    not_executable = tmp_path / "chromium"
    not_executable.write_text("#!/bin/sh\n", encoding="utf-8")
    not_executable.chmod(0o644)
    assert chromium_available(str(not_executable)) is False


def test_chromium_is_available_where_an_executable_is(tmp_path: Path) -> None:
    executable = tmp_path / "chromium"
    executable.write_text("#!/bin/sh\n", encoding="utf-8")
    executable.chmod(0o755)
    assert chromium_available(str(executable)) is True


def run_browser_test(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """One browser test in a separate pytest run, with Chromium "missing"."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REQUIRE_") and name != "DATABASE_URL"
    }
    env.update(KC_TEST_CHROMIUM=str(tmp_path / "no-chromium-here"), **environment)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "tests/browser/test_sign_in.py::test_a_nurse_signs_in_sees_my_rooms_and_signs_out",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@sqlite_pass_only("runs pytest on the browser tests, which are SQLite-only")
def test_under_require_browser_a_browser_test_without_chromium_fails(tmp_path: Path) -> None:
    # The whole path, as CI would meet it: fixture, need(), the REQUIRE flag, exit code.
    result = run_browser_test(tmp_path, REQUIRE_BROWSER="1")
    assert result.returncode == 1, result.stdout + result.stderr
    missing = f"Chromium at {tmp_path / 'no-chromium-here'} is not available"
    assert f"REQUIRE_BROWSER=1 but {missing}" in result.stdout
    assert "1 error" in result.stdout
