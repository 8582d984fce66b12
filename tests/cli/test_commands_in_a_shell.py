"""The commands as an operator runs them: a fresh interpreter, production settings, env only.

Slow (a Python start-up each), so few: the database commands honour DATABASE_URL (on
SQLite in the SQLite pass, on a scratch PostgreSQL database in the PostgreSQL pass), the
demo seed is idempotent, and check-deploy reads the real settings.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from ketamine_clinic.demo.seed import DEMO_STAFF
from tests.cli.conftest import STRONG_TEST_SECRET, operator_environment, run_cli
from tests.support.services import TEST_POSTGRES_URL, sqlite_pass_only

Query = Callable[[str], list[tuple[object, ...]]]
IN_POSTGRES_PASS = connection.vendor == "postgresql"
sqlite_only = sqlite_pass_only("does not depend on the database")


def sqlite_rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[tuple[str, Query]]:
    """An empty database of this pass's kind: its DATABASE_URL and a way to query it."""
    if not IN_POSTGRES_PASS:
        path = tmp_path / "clinic" / "db.sqlite3"
        path.parent.mkdir()
        yield f"sqlite:///{path}", lambda query: sqlite_rows(path, query)
        return
    import psycopg

    name = f"kc_cli_{uuid.uuid4().hex[:12]}"
    base = TEST_POSTGRES_URL.rsplit("/", 1)[0]
    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def rows(query: str) -> list[tuple[object, ...]]:
        with psycopg.connect(f"{base}/{name}") as connection:
            return [tuple(row) for row in connection.execute(query).fetchall()]

    try:
        yield f"{base}/{name}", rows
    finally:
        with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrate_createuser_and_audit_verify_use_the_database_url(
    tmp_path: Path, scratch_database: tuple[str, Query]
) -> None:
    database_url, query = scratch_database
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    env = operator_environment(DATABASE_URL=database_url, KC_SECRET_KEY=STRONG_TEST_SECRET)

    migrated = run_cli("migrate", env=env, cwd=workdir)
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying accounts.0001_initial... OK" in migrated.stdout

    created = run_cli(
        "createuser",
        "--username",
        "adeyemi",
        "--role",
        "clinic_lead",
        "--password",
        "plum-orbit-harbour-91",
        env=env,
        cwd=workdir,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout == "created adeyemi with roles clinic_lead\n"

    verified = run_cli("audit", "verify", env=env, cwd=workdir)
    assert verified.returncode == 0, verified.stderr
    match = re.match(r"audit trail intact: (\d+) entries\b", verified.stdout)
    assert match is not None, verified.stdout
    audit_rows = query("SELECT count(*) FROM audit_auditentry")[0][0]
    assert int(match.group(1)) == audit_rows
    assert isinstance(audit_rows, int)
    assert audit_rows >= 2  # the account and its role grant

    assert query("SELECT username FROM accounts_user") == [("adeyemi",)]
    # Nothing went to the default database in ./var.
    assert not (workdir / "var").exists()

    pending = run_cli("migrate", "--check", env=env, cwd=workdir)
    assert pending.returncode == 0, pending.stderr


@sqlite_only
def test_demo_seed_only_twice_leaves_the_same_staff(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    env = operator_environment(
        DATABASE_URL=f"sqlite:///{database}", KC_DATA_DIR=str(tmp_path / "data")
    )
    first = run_cli("demo", "--seed-only", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    staff_after_first = sqlite_rows(database, "SELECT username FROM accounts_user ORDER BY 1")

    second = run_cli("demo", "--seed-only", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    staff_after_second = sqlite_rows(database, "SELECT username FROM accounts_user ORDER BY 1")

    assert staff_after_first == staff_after_second
    usernames = [str(row[0]) for row in staff_after_second]
    # The demo's logins, and the staff of its generated past (demo/history.py), who
    # recorded those visits and hold no password anyone knows.
    assert [name for name in usernames if not name.startswith("gen-")] == sorted(
        row[0] for row in DEMO_STAFF
    )
    assert len(usernames) > len(DEMO_STAFF)
    assert second.stdout == first.stdout
    assert "Demo logins" in first.stdout
    # The demo key is generated once into the data dir and kept private.
    key_file = tmp_path / "data" / "demo_secret_key"
    assert key_file.read_text(encoding="utf-8").startswith("demo-")
    assert key_file.stat().st_mode & 0o777 == 0o600


@sqlite_only
def test_check_deploy_passes_the_real_settings_when_the_environment_is_safe(
    tmp_path: Path,
) -> None:
    env = operator_environment(
        KC_SECRET_KEY=STRONG_TEST_SECRET,
        KC_HSTS_SECONDS="31536000",
        KC_ALLOWED_HOSTS="clinic.example.org",
        DATABASE_URL="postgres://kc@db.clinic.example/clinic",
        REDIS_URL="redis://cache.clinic.example:6379/0",
        KC_WEB_WORKERS="4",
        KC_CLINIC_PHONE="(555) 010-0142",
    )
    result = run_cli("check-deploy", env=env, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "check-deploy: configuration is safe for production\n"


@sqlite_only
def test_check_deploy_fails_loudly_on_the_demo_defaults(tmp_path: Path) -> None:
    env = operator_environment(
        KC_SECRET_KEY="demo-" + STRONG_TEST_SECRET,
        KC_SECURE_COOKIES="0",
        KC_DEBUG="1",
        KC_CLINIC_PHONE="(555) 010-0142",
    )
    result = run_cli("check-deploy", "--workers", "2", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "UNSAFE: KC_SECRET_KEY is a default, demo or test key; generate a new one",
        "UNSAFE: KC_DEBUG is on: error pages would show patient data and settings",
        "UNSAFE: KC_SECURE_COOKIES is off: session cookies would travel over plain HTTP",
        "UNSAFE: SQLite with 2 web workers: use PostgreSQL (DATABASE_URL) or run one worker",
        "UNSAFE: 2 web workers with the in-memory channel layer: live updates would not cross "
        "workers; set REDIS_URL",
        "UNSAFE: KC_HSTS_SECONDS is 0: set it (e.g. 31536000) once the site is served over "
        "HTTPS only",
        "check-deploy: 6 problem(s); this configuration must not hold patient data",
    ]


@sqlite_only
def test_a_bad_environment_value_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = operator_environment(KC_SECRET_KEY=STRONG_TEST_SECRET, KC_DEBUG="sometimes")
    result = run_cli("check-deploy", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "ketamine-clinic: error: configuration: KC_DEBUG must be one of 1/0, true/false, "
        "yes/no, on/off; got 'sometimes'\n"
    )
