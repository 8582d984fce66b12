"""`ketamine-clinic audit verify`: prove the audit trail is intact."""

from __future__ import annotations

import argparse
import sys

from ketamine_clinic.cli.base import CliError, Subcommand, setup_django


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    sub.add_parser(
        "verify",
        help="recompute the hash chain; exit 0 if intact, 1 naming the first broken entry",
        description="Recompute the audit trail's hash chain. Exit 0 if intact; exit 1 and name "
        "the first entry that was altered, deleted or inserted out of order.",
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.db.utils import DatabaseError

    from ketamine_clinic.audit.selectors import audit_chain_head, audit_chain_verify

    try:
        count, broken = audit_chain_verify()
        head_seq, head_hash = audit_chain_head()
    except DatabaseError as exc:
        raise CliError(f"audit verify: cannot read the audit trail: {exc}") from exc
    if broken is not None:
        print(f"audit trail BROKEN at {broken.describe()}", file=sys.stderr)
        return 1
    # The head hash is printed so an operator can keep it elsewhere (a ticket, a logbook):
    # the chain proves nothing changed before it, even against someone able to rewrite
    # the whole table, only if a copy of a recent head lives outside the database.
    print(f"audit trail intact: {count} entries (head seq {head_seq}, hash {head_hash})")
    return 0


COMMAND = Subcommand(name="audit", help="Audit trail tools (verify).", configure=configure, run=run)
