"""`--help` on every subcommand: exit 0 and a word on each option."""

from __future__ import annotations

import argparse

import pytest

from ketamine_clinic.cli import SUBCOMMANDS, build_parser
from tests.cli.conftest import run_main

# What each subcommand's help must mention. A new subcommand must be added here.
EXPECTED_OPTIONS: dict[str, list[str]] = {
    "serve": ["--host", "--port", "--workers", "--gateway-port"],
    "demo": ["--seed-only", "--host", "--port", "--gateway-port", "--no-devices"],
    "migrate": ["--check"],
    "createuser": [
        "--username",
        "--role",
        "--password",
        "--first-name",
        "--last-name",
        "--credentials",
    ],
    "audit": ["verify"],
    "check-deploy": ["--workers"],
    "token": ["create"],
    "dose": [
        "--weight-kg",
        "--weight-lb",
        "--dose-mg-per-kg",
        "--duration-min",
        "--vial-mg-per-ml",
        "--concentration-mg-per-ml",
        "--pump-resolution-ml-per-h",
        "--care-area",
        "--start",
        "--json",
    ],
    "pk": ["simulate", "tci", "population"],
    "score": ["--answers", "--list", "--json", "phq9", "cssrs_screener"],
    "gateway": ["--host", "--port", "--writers", "--processes"],
    "observations": ["--json", "--device", "--since", "--visit", "--limit"],
    "simulate": ["room"],
    "fhir": ["export", "import", "client"],
    "research": ["export"],
    "generate": ["--patients", "--infusions", "--seed", "--allow-existing", "--force"],
}


def subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    return dict(subparsers.choices)


def test_every_subcommand_has_its_help_checked_here() -> None:
    assert sorted(command.name for command in SUBCOMMANDS) == sorted(EXPECTED_OPTIONS)


def test_the_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: ketamine-clinic ")
    for name in EXPECTED_OPTIONS:
        assert name in out
    assert "DATABASE_URL" in out


@pytest.mark.parametrize("name", sorted(EXPECTED_OPTIONS))
def test_help_of_each_subcommand_exits_0_and_names_its_options(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, err = run_main(capsys, name, "--help")
    assert code == 0
    assert err == ""
    assert out.startswith(f"usage: ketamine-clinic {name} ")
    for option in EXPECTED_OPTIONS[name]:
        assert option in out


@pytest.mark.parametrize("name", sorted(EXPECTED_OPTIONS))
def test_every_option_says_what_it_is_for(name: str) -> None:
    parser = subcommand_parsers()[name]
    undocumented = [
        action.dest
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert undocumented == []


def test_audit_verify_has_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "audit", "verify", "--help")
    assert code == 0
    assert out.startswith("usage: ketamine-clinic audit verify ")
    assert "hash chain" in out
