"""The typed environment readers: a bad value is refused with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ketamine_clinic.config.env import env_bool, env_int, env_list, env_secret, env_str


def test_env_str_returns_the_value_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_T_NAME", "Riverside Clinic")
    monkeypatch.delenv("KC_T_MISSING", raising=False)
    assert env_str("KC_T_NAME") == "Riverside Clinic"
    assert env_str("KC_T_MISSING", "fallback") == "fallback"


def test_env_str_without_a_default_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KC_T_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"^KC_T_MISSING is not set$"):
        env_str("KC_T_MISSING")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("KC_T_FLAG", raw)
    assert env_bool("KC_T_FLAG", not expected) is expected


def test_env_bool_refuses_anything_else_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KC_T_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"^KC_T_FLAG must be one of .*got 'maybe'$"):
        env_bool("KC_T_FLAG", False)


def test_env_bool_uses_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KC_T_FLAG", raising=False)
    assert env_bool("KC_T_FLAG", True) is True
    assert env_bool("KC_T_FLAG", False) is False


def test_env_int_reads_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_T_COUNT", "42")
    assert env_int("KC_T_COUNT", 1) == 42


def test_env_int_refuses_a_non_number_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KC_T_COUNT", "four")
    with pytest.raises(
        ImproperlyConfigured, match=r"^KC_T_COUNT must be a whole number; got 'four'$"
    ):
        env_int("KC_T_COUNT", 1)


def test_env_int_refuses_a_value_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_T_COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match=r"^KC_T_COUNT must be at least 1; got 0$"):
        env_int("KC_T_COUNT", 5, minimum=1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_T_HOSTS", " clinic.example , ,10.0.0.5,")
    assert env_list("KC_T_HOSTS", ["default"]) == ["clinic.example", "10.0.0.5"]


def test_env_list_returns_a_copy_of_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KC_T_HOSTS", raising=False)
    default = ["a"]
    value = env_list("KC_T_HOSTS", default)
    value.append("b")
    assert default == ["a"]


def test_env_secret_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_T_SECRET", "s3cret-value")
    monkeypatch.delenv("KC_T_SECRET_FILE", raising=False)
    assert env_secret("KC_T_SECRET") == "s3cret-value"


def test_env_secret_reads_a_file_and_strips_the_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("KC_T_SECRET", raising=False)
    monkeypatch.setenv("KC_T_SECRET_FILE", str(secret_file))
    assert env_secret("KC_T_SECRET") == "from-a-file"


def test_env_secret_is_none_when_neither_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KC_T_SECRET", raising=False)
    monkeypatch.delenv("KC_T_SECRET_FILE", raising=False)
    assert env_secret("KC_T_SECRET") is None


def test_env_secret_refuses_both_the_variable_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KC_T_SECRET", "direct")
    monkeypatch.setenv("KC_T_SECRET_FILE", str(tmp_path / "key"))
    with pytest.raises(
        ImproperlyConfigured, match=r"^set KC_T_SECRET or KC_T_SECRET_FILE, not both$"
    ):
        env_secret("KC_T_SECRET")


def test_env_secret_names_an_unreadable_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.delenv("KC_T_SECRET", raising=False)
    monkeypatch.setenv("KC_T_SECRET_FILE", str(missing))
    with pytest.raises(ImproperlyConfigured, match=r"^KC_T_SECRET_FILE: cannot read .*nowhere"):
        env_secret("KC_T_SECRET")
