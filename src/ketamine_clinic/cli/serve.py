"""`ketamine-clinic serve`: run the ASGI server (HTTP and WebSocket), and optionally the
device gateway in the same process.

One process serving both is the single-box set-up (and the demo's): the live views and
the alarm engine then share the in-memory channel layer. With several processes, or the
gateway on another machine, set REDIS_URL so they share a Redis layer.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ketamine_clinic.cli.base import CliError, Subcommand, positive_int, setup_django
from ketamine_clinic.deploy_checks import IN_MEMORY_LAYER_WITH_WORKERS

ASGI_APP = "ketamine_clinic.config.asgi:application"


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
    parser.add_argument(
        "--gateway-port",
        type=int,
        default=None,
        help="also run the device gateway (HL7 over MLLP) in this process on this port",
    )


def serve(*, host: str, port: int, workers: int) -> None:
    import uvicorn

    print(f"Serving on http://{host}:{port}/", flush=True)
    uvicorn.run(
        ASGI_APP,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # The Channels router has no lifespan handler; "off" spares a misleading log line.
        lifespan="off",
        proxy_headers=False,
        server_header=False,
    )


Extra = Callable[[int, asyncio.Event], Coroutine[Any, Any, None]]


async def serve_with_gateway(
    *, host: str, port: int, gateway_port: int, extra: Extra | None = None
) -> None:
    """The web server and the gateway (with the alarm engine) on one event loop, until
    Ctrl-C; ``extra(gateway_port, stop)`` runs beside them (the demo's simulators)."""
    import uvicorn

    from ketamine_clinic.monitoring.gateway_runtime import ClinicGateway

    server = uvicorn.Server(
        uvicorn.Config(
            ASGI_APP,
            host=host,
            port=port,
            log_level="info",
            lifespan="off",
            proxy_headers=False,
            server_header=False,
        )
    )
    clinic = ClinicGateway()
    listening = await clinic.start(host, gateway_port)
    print(f"Device gateway listening on {host}:{listening} (MLLP)", flush=True)
    print(f"Serving on http://{host}:{port}/", flush=True)
    stop = asyncio.Event()
    extra_task: asyncio.Task[None] | None = (
        asyncio.create_task(extra(listening, stop)) if extra is not None else None
    )
    try:
        await server.serve()  # returns on Ctrl-C / SIGTERM
    finally:
        stop.set()
        if extra_task is not None:
            await asyncio.gather(extra_task, return_exceptions=True)
        await clinic.close()


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    # Several workers on SQLite too: in WAL mode readers never wait, and each write
    # transaction takes the lock at BEGIN (IMMEDIATE) and waits up to 20 s for it
    # (config/settings/database.py), so two processes' session and audit writes queue
    # instead of failing; check-deploy still advises PostgreSQL for a clinic.
    workers = args.workers if args.workers is not None else settings.KC_WEB_WORKERS
    if workers > 1 and not settings.REDIS_URL:
        # Refused, not only warned of (check-deploy says it too): a nurse's room view on
        # one worker would never show an alarm acknowledged, or a pump paused, on another.
        raise CliError(f"--workers: {IN_MEMORY_LAYER_WITH_WORKERS.format(workers=workers)}")
    if args.gateway_port is not None:
        if workers > 1:
            raise CliError("--gateway-port: runs in one process; use --workers 1")
        if not 0 <= args.gateway_port <= 65535:
            raise CliError(f"--gateway-port: {args.gateway_port} is not a TCP port (0-65535)")
        asyncio.run(
            serve_with_gateway(host=args.host, port=args.port, gateway_port=args.gateway_port)
        )
        return 0
    serve(host=args.host, port=args.port, workers=workers)
    return 0


COMMAND = Subcommand(
    name="serve", help="Run the web server (HTTP and WebSocket).", configure=configure, run=run
)
