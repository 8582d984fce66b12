"""`ketamine-clinic generate`: fill the database with a synthetic clinic at real scale (patients, courses, visits, scores, stock)."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand


def configure(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    del args
    raise CliError("generate: not available in this build yet")


COMMAND = Subcommand(
    name="generate",
    help="fill the database with a synthetic clinic at real scale (patients, courses, visits, scores, stock)",
    configure=configure,
    run=run,
)
