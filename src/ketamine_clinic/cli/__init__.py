"""`ketamine-clinic`: the one command a clinic's IT person uses.

Each subcommand lives in its own module and registers itself in `SUBCOMMANDS`.
Errors a user can fix print one line, `ketamine-clinic: error: <reason>`, and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ketamine_clinic.cli import (
    audit_cmd,
    check_deploy,
    createuser,
    demo,
    dose_cmd,
    fhir_cmd,
    gateway_cmd,
    generate_cmd,
    migrate,
    observations_cmd,
    pk_cmd,
    research_cmd,
    score_cmd,
    serve,
    simulate_cmd,
    token_cmd,
)
from ketamine_clinic.cli.base import CliArgumentParser, CliError, Subcommand, error_line

SUBCOMMANDS: list[Subcommand] = [
    serve.COMMAND,
    demo.COMMAND,
    migrate.COMMAND,
    createuser.COMMAND,
    audit_cmd.COMMAND,
    check_deploy.COMMAND,
    token_cmd.COMMAND,
    dose_cmd.COMMAND,
    pk_cmd.COMMAND,
    score_cmd.COMMAND,
    simulate_cmd.COMMAND,
    gateway_cmd.COMMAND,
    observations_cmd.COMMAND,
    fhir_cmd.COMMAND,
    research_cmd.COMMAND,
    generate_cmd.COMMAND,
]


def build_parser() -> argparse.ArgumentParser:
    parser = CliArgumentParser(
        prog="ketamine-clinic",
        description="Run and administer the ketamine infusion clinic platform. "
        "Every command honours DATABASE_URL (default: SQLite in ./var).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in SUBCOMMANDS:
        command_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(command_parser)
        command_parser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
