"""DATABASE_URL: SQLite by default, PostgreSQL when set, anything else refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ketamine_clinic.config.settings.database import database_from_url
from ketamine_clinic.config.settings.paths import DATA_DIR
from tests.config.conftest import SettingsLoader


def test_with_nothing_set_the_database_is_sqlite_in_the_data_dir(
    load_settings: SettingsLoader,
) -> None:
    database = load_settings("database")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(DATA_DIR / "db.sqlite3")


def test_the_data_dir_comes_from_kc_data_dir(
    load_settings: SettingsLoader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KC_DATA_DIR", str(tmp_path / "clinic"))
    assert load_settings("paths")["DATA_DIR"] == tmp_path / "clinic"


def test_a_sqlite_url_names_the_file_and_queues_writers() -> None:
    config = database_from_url("sqlite:////srv/clinic/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/clinic/db.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["ATOMIC_REQUESTS"] is False


def test_a_postgres_url_gives_every_connection_field() -> None:
    config = database_from_url("postgres://kc:pw@db.clinic.example:5433/clinic")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "kc",
        "pw",
        "db.clinic.example",
        5433,
    )
    assert config["NAME"] == "clinic"
    assert config["CONN_MAX_AGE"] == 0


def test_the_postgresql_scheme_spelling_works_too() -> None:
    assert database_from_url("postgresql://kc@localhost/clinic")["ENGINE"] == (
        "django.db.backends.postgresql"
    )


def test_database_url_in_the_environment_is_used(load_settings: SettingsLoader) -> None:
    loaded = load_settings("database", DATABASE_URL="postgres://kc@db.example/clinic")
    assert loaded["DATABASE_URL"] == "postgres://kc@db.example/clinic"
    assert loaded["DATABASES"]["default"]["HOST"] == "db.example"


@pytest.mark.parametrize("url", ["mysql://kc@db.example/clinic", "postgis://kc@db/clinic"])
def test_an_unsupported_engine_is_refused(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL: engine .* is not supported"):
        database_from_url(url)


def test_something_that_is_not_a_url_is_refused_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL is not a database URL"):
        database_from_url("clinic.sqlite3")
