"""A mistake on the command line: exit 2 and one line saying what is wrong."""

from __future__ import annotations

import pytest

from tests.cli.conftest import run_main


def test_an_unknown_subcommand_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "frobnicate")
    assert code == 2
    assert out == ""
    assert err.startswith("ketamine-clinic: error: argument COMMAND: invalid choice: 'frobnicate'")
    assert err.endswith(" (see `ketamine-clinic --help`)\n")
    assert err.count("\n") == 1


def test_no_subcommand_at_all_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys)
    assert code == 2
    assert err == (
        "ketamine-clinic: error: the following arguments are required: COMMAND "
        "(see `ketamine-clinic --help`)\n"
    )


def test_a_missing_required_option_names_it_and_points_at_the_subcommands_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(capsys, "createuser", "--role", "nurse")
    assert code == 2
    assert err == (
        "ketamine-clinic: error: the following arguments are required: --username "
        "(see `ketamine-clinic createuser --help`)\n"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0", "must be at least 1; got 0"), ("two", "must be a whole number; got 'two'")],
)
def test_a_bad_worker_count_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str], value: str, reason: str
) -> None:
    code, _, err = run_main(capsys, "serve", "--workers", value)
    assert code == 2
    assert err == (
        f"ketamine-clinic: error: argument --workers: {reason} "
        "(see `ketamine-clinic serve --help`)\n"
    )
