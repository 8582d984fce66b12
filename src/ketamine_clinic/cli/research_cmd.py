"""`ketamine-clinic research`: the de-identified research export (CSV or Parquet)."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand


def configure(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    del args
    raise CliError("research: not available in this build yet")


COMMAND = Subcommand(
    name="research",
    help="the de-identified research export (CSV or Parquet)",
    configure=configure,
    run=run,
)
