"""`ketamine-clinic simulate room`: one room's simulated monitor and pump, by hand."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["room"], help="what to simulate")


def run(args: argparse.Namespace) -> int:
    raise CliError("the room simulator is being built (issue 6)")


COMMAND = Subcommand(
    name="simulate",
    help="Run simulated bedside devices (a monitor and a syringe pump) for one room.",
    configure=configure,
    run=run,
)
