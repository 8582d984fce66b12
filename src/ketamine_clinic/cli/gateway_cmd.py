"""`ketamine-clinic gateway`: the device gateway (HL7 v2 over MLLP) for monitors and pumps.

Devices connect to it and keep their connection open; every message is stored before it
is acknowledged. Honours DATABASE_URL like every command.
"""

from __future__ import annotations

import argparse
import sys

from ketamine_clinic.cli.base import CliError, Subcommand, positive_int, setup_django

DEFAULT_PORT = 2575  # the port HL7 over MLLP is registered on (IANA "hl7")
# Warned of, not refused: the data is stored and the alarms recorded either way, and a
# gateway on its own (a test rig, a store-only site) is legitimate.
GATEWAY_WITHOUT_REDIS = (
    "warning: REDIS_URL is not set: the live room views and the central station in "
    "`serve` will not see this gateway's data or alarms; set REDIS_URL for both, or run "
    "`serve --gateway-port` for one process"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default: {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--writers",
        type=positive_int,
        default=None,
        help="parallel database writers in each process (default: 1 on SQLite; on "
        "PostgreSQL 2 with one process, 1 each with several)",
    )
    parser.add_argument(
        "--processes",
        type=positive_int,
        default=None,
        help="processes sharing the port, one running the alarm engine "
        "(default: 1 on SQLite, one per core on PostgreSQL)",
    )


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port: {args.port} is not a TCP port (0-65535)")
    setup_django()
    from django.conf import settings

    from ketamine_clinic.monitoring.gateway_processes import WorkerStartFailed
    from ketamine_clinic.monitoring.gateway_runtime import run_loop, serve_gateway

    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if sqlite and args.writers and args.writers > 1:
        raise CliError("--writers: SQLite takes one writer; set DATABASE_URL to PostgreSQL")
    if sqlite and args.processes and args.processes > 1:
        raise CliError("--processes: SQLite takes one writer; set DATABASE_URL to PostgreSQL")
    if not settings.REDIS_URL:
        print(GATEWAY_WITHOUT_REDIS, file=sys.stderr, flush=True)
    try:
        run_loop(
            serve_gateway(args.host, args.port, writers=args.writers, processes=args.processes)
        )
    except OSError as error:
        raise CliError(
            f"--port: cannot listen on {args.host}:{args.port} ({error.strerror})"
        ) from None
    except WorkerStartFailed as error:
        raise CliError(f"--processes: {error}") from None
    return 0


COMMAND = Subcommand(
    name="gateway",
    help="Run the device gateway: monitors and pumps send HL7 over MLLP (default port 2575).",
    configure=configure,
    run=run,
)
