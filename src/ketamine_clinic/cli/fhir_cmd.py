"""`ketamine-clinic fhir`: FHIR R4: export a patient's record as a Bundle, import Patient resources."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand


def configure(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    del args
    raise CliError("fhir: not available in this build yet")


COMMAND = Subcommand(
    name="fhir",
    help="FHIR R4: export a patient's record as a Bundle, import Patient resources",
    configure=configure,
    run=run,
)
