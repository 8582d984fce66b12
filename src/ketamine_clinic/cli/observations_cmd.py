"""`ketamine-clinic observations`: the numeric observations devices sent, as stored.

For the clinic's IT person checking a device feed, and for scripts (``--json``). The
read is in the audit trail (channel ``cli:observations``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime

from ketamine_clinic.cli.base import (
    CliError,
    Subcommand,
    cli_audit_context,
    positive_int,
    setup_django,
)

EUI64 = re.compile(r"[0-9A-Fa-f]{16}\Z")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list of objects")
    parser.add_argument("--device", default="", help="only this device (EUI-64, 16 hex digits)")
    parser.add_argument(
        "--since", default="", help="only observations at or after this ISO 8601 time"
    )
    parser.add_argument("--visit", type=positive_int, default=None, help="only this visit's")
    parser.add_argument(
        "--limit", type=positive_int, default=None, help="at most this many (oldest first)"
    )


def _since(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise CliError(f"--since: {raw!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise CliError(f"--since: {raw!r} has no UTC offset (e.g. 2026-11-26T09:00:00-05:00)")
    return moment


def run(args: argparse.Namespace) -> int:
    if args.device and not EUI64.match(args.device):
        raise CliError(f"--device: {args.device!r} is not an EUI-64 (16 hex digits)")
    since = _since(args.since)
    setup_django()
    from ketamine_clinic.monitoring.selectors import (
        OBSERVATIONS_MAX_ROWS,
        ObservationFilter,
        observations_list,
    )

    filters = ObservationFilter(
        device=args.device,
        since=since,
        visit_id=args.visit,
        limit=min(args.limit or OBSERVATIONS_MAX_ROWS, OBSERVATIONS_MAX_ROWS),
    )
    with cli_audit_context("observations"):
        rows = observations_list(filters, by=None)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        value = row["raw_value"] if row["value"] is None else f"{row['value']:g}"
        flag = "" if row["valid"] else " (invalid)"
        visit = f"visit {row['visit']}" if row["visit"] is not None else "unassigned"
        print(
            f"{row['observed_at']}  {row['device']}  {row['name']:<28} {value}{flag} "
            f"{row['unit']}  {visit}"
        )
    print(f"{len(rows)} observation(s)")
    return 0


COMMAND = Subcommand(
    name="observations",
    help="Print the numeric observations devices sent (--json for scripts).",
    configure=configure,
    run=run,
)
