"""`ketamine-clinic migrate`: create or update the database schema."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand, setup_django


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit non-zero if migrations are pending, change nothing",
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db.utils import DatabaseError

    try:
        if args.check:
            call_command("migrate", check=True, plan=True, verbosity=1)
        else:
            call_command("migrate", interactive=False, verbosity=1)
    except (CommandError, DatabaseError) as exc:
        raise CliError(f"migrate: {exc}") from exc
    except SystemExit as exc:
        if exc.code:
            raise CliError("migrate: unapplied migrations") from exc
    return 0


COMMAND = Subcommand(
    name="migrate", help="Create or update the database schema.", configure=configure, run=run
)
