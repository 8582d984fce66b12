"""`ketamine-clinic serve`: run the ASGI server (HTTP and WebSocket)."""

from __future__ import annotations

import argparse

from ketamine_clinic.cli.base import CliError, Subcommand, positive_int, setup_django


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes (default: KC_WEB_WORKERS)",
    )


def serve(*, host: str, port: int, workers: int) -> None:
    import uvicorn

    print(f"Serving on http://{host}:{port}/", flush=True)
    uvicorn.run(
        "ketamine_clinic.config.asgi:application",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # The Channels router has no lifespan handler; "off" spares a misleading log line.
        lifespan="off",
        proxy_headers=False,
        server_header=False,
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    workers = args.workers if args.workers is not None else settings.KC_WEB_WORKERS
    if workers > 1 and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise CliError("--workers: SQLite serves one worker only; set DATABASE_URL to PostgreSQL")
    serve(host=args.host, port=args.port, workers=workers)
    return 0


COMMAND = Subcommand(
    name="serve", help="Run the web server (HTTP and WebSocket).", configure=configure, run=run
)
