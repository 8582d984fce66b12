"""Running `ketamine-clinic` in-process (fast) or as a real subprocess (what an operator runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ketamine_clinic.cli import main

# A key long and random enough for check-deploy; synthetic, used only by these tests.
STRONG_TEST_SECRET = "Vq3xN8mT2rL7wK9pB4sD6fH1jG5zC0yA-tests-only-7Ue2Ri9Ow4Pa"


def operator_environment(**variables: str) -> dict[str, str]:
    """The environment of an operator's shell: none of the test run's settings, plus ours.

    pytest-django points DJANGO_SETTINGS_MODULE at the test settings and the PostgreSQL
    pass sets DATABASE_URL; a real `ketamine-clinic` sees neither.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KC_", "DJANGO_", "REQUIRE_"))
        and name not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment.update(variables)
    return environment


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m ketamine_clinic ARGS` in a fresh interpreter."""
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "ketamine_clinic", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`main(ARGS)` in this process: exit code, stdout, stderr (argparse's exits included)."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
