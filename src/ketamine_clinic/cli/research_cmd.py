"""`ketamine-clinic research export`: the de-identified research export (CSV or Parquet).

What is removed and how dates are shifted: `ketamine_clinic.research.services`.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from ketamine_clinic.cli.base import CliError, Subcommand, cli_audit_context, setup_django

# The option that carries each field the export service names in a refusal.
FIELD_OPTIONS = {"format": "--format", "since": "--since", "until": "--until", "out": "--out"}


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD; got {raw!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="research_command", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export",
        help="write the de-identified tables and their data dictionary into a directory",
        description="Write patients, courses, visits, vitals and scores, de-identified "
        "(HIPAA Safe Harbor identifiers removed, free text dropped, random study ids, "
        "dates shifted by a random offset per patient, ages over 89 as 90+), with a data "
        "dictionary and a README, into --out. The export is audited.",
    )
    export.add_argument(
        "--out",
        required=True,
        type=Path,
        help="a new or empty directory to write into (created if absent)",
    )
    export.add_argument(
        "--format",
        required=True,
        help="csv (UTF-8, header row) or parquet (typed columns)",
    )
    export.add_argument(
        "--since",
        type=_day,
        help="only records on or after this day (YYYY-MM-DD, the clinic's calendar)",
    )
    export.add_argument(
        "--until",
        type=_day,
        help="only records on or before this day (YYYY-MM-DD, the clinic's calendar)",
    )


def run(args: argparse.Namespace) -> int:
    from ketamine_clinic.research.requests import ExportRequest

    request = ExportRequest(file_format=args.format, since=args.since, until=args.until)
    try:
        request.check()  # before Django starts: a typo costs nothing
    except ValueError as exc:
        raise CliError(_option_message(exc)) from exc
    setup_django()
    from django.db import DatabaseError

    from ketamine_clinic.research.requests import ResearchExportError
    from ketamine_clinic.research.services import research_export_write

    started = time.perf_counter()
    try:
        with cli_audit_context("research"):
            result = research_export_write(out=args.out, request=request, by=None)
    except ResearchExportError as exc:
        raise CliError(_option_message(exc)) from exc
    except DatabaseError as exc:
        raise CliError(f"research export: cannot read the database: {exc}") from exc
    seconds = time.perf_counter() - started
    counts = ", ".join(f"{name} {count}" for name, count in result.row_counts.items())
    print(
        f"research export ({result.file_format}) written to {args.out} in {seconds:.1f} s: {counts}"
    )
    print(
        "every date is shifted per patient; see README.txt and data_dictionary.csv", file=sys.stderr
    )
    return 0


def _option_message(exc: ValueError) -> str:
    field = getattr(exc, "field", "")
    message = getattr(exc, "message", str(exc))
    return f"{FIELD_OPTIONS.get(field, field)}: {message}"


COMMAND = Subcommand(
    name="research",
    help="the de-identified research export (CSV or Parquet)",
    configure=configure,
    run=run,
)
