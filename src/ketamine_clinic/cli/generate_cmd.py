"""`ketamine-clinic generate`: fill the database with a synthetic clinic at real scale (patients, courses, visits, scores, stock)."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import (
    CliError,
    Subcommand,
    cli_audit_context,
    non_negative_int,
    positive_int,
    setup_django,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--patients", type=positive_int, required=True, help="patients to register (e.g. 6000)"
    )
    parser.add_argument(
        "--infusions",
        type=non_negative_int,
        required=True,
        help="infusions given by yesterday, courses and boosters together (e.g. 19000)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=1,
        help="the same seed gives the same clinic (default: 1)",
    )
    parser.add_argument(
        "--allow-existing",
        action="store_true",
        help="add the synthetic clinic to a database that already has patients",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write even under settings fit for real patient data (a test server only)",
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError
    from django.db.utils import OperationalError, ProgrammingError

    from ketamine_clinic.generate.services import clinic_generate

    try:
        with cli_audit_context("generate"):
            report = clinic_generate(
                patients=args.patients,
                infusions=args.infusions,
                seed=args.seed,
                allow_existing=args.allow_existing,
                force=args.force,
            )
    except ValidationError as error:
        messages = [message for messages in error.message_dict.values() for message in messages]
        raise CliError("generate: " + "; ".join(messages)) from None
    except (OperationalError, ProgrammingError) as error:
        raise CliError(
            f"generate: the database is not ready ({str(error).splitlines()[0]}); "
            "run `ketamine-clinic migrate` first"
        ) from None
    print(
        f"Generated a synthetic clinic (seed {report.seed}): {report.patients} patients, "
        f"{report.infusions} infusions from {report.first_day} to {report.last_day}, "
        f"in {report.seconds:.1f} s."
    )
    for label, count in sorted(report.rows.items()):
        print(f"  {label:<36} {count:>9,}")
    return 0


COMMAND = Subcommand(
    name="generate",
    help="fill the database with a synthetic clinic at real scale (patients, courses, visits, scores, stock)",
    configure=configure,
    run=run,
)
