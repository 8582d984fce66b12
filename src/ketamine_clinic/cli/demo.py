"""`ketamine-clinic demo`: a whole demo clinic on this machine, with printed logins."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from pathlib import Path

from ketamine_clinic.cli.base import CliError, Subcommand, cli_audit_context, setup_django


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed-only", action="store_true", help="migrate and seed the database, then exit"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    parser.add_argument(
        "--gateway-port",
        type=int,
        default=2575,
        help="the device gateway's MLLP port, where the simulated devices send (default: 2575)",
    )
    parser.add_argument(
        "--no-devices",
        action="store_true",
        help="no gateway and no simulated monitors and pumps (the web server only)",
    )


def prepare_demo_environment() -> None:
    """Demo defaults: a generated key kept in the data dir, plain-HTTP cookies on localhost.

    Everything is set only if the operator has not set it; check-deploy flags each one.
    """
    data_dir = Path(os.environ.setdefault("KC_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "demo_secret_key"
    if not key_file.exists():
        key_file.write_text("demo-" + secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    if "KC_SECRET_KEY" not in os.environ:
        os.environ.setdefault("KC_SECRET_KEY_FILE", str(key_file))
    os.environ.setdefault("KC_SECURE_COOKIES", "0")
    # Visit instructions are printed, not sent: the demo has no mail server.
    os.environ.setdefault("KC_EMAIL_BACKEND", "console")
    # A fictional number (555-01xx is reserved for fiction), printed on the demo's sheets.
    os.environ.setdefault("KC_CLINIC_PHONE", "(555) 010-0142")


def run(args: argparse.Namespace) -> int:
    prepare_demo_environment()
    setup_django()
    from django.core.management import call_command

    from ketamine_clinic.demo.devices import seed_demo_devices
    from ketamine_clinic.demo.seed import print_logins, seed_demo_clinic

    call_command("migrate", interactive=False, verbosity=0)
    with cli_audit_context("demo"):
        logins = seed_demo_clinic(history=True)
        seed_demo_devices()
    print_logins(logins)
    if args.seed_only:
        return 0
    from ketamine_clinic.cli.serve import serve, serve_with_gateway

    if args.no_devices:
        serve(host=args.host, port=args.port, workers=1)
        return 0
    from ketamine_clinic.demo.devices import run_demo_devices

    try:
        asyncio.run(
            serve_with_gateway(
                host=args.host,
                port=args.port,
                gateway_port=args.gateway_port,
                extra=run_demo_devices,
            )
        )
    except OSError as error:
        raise CliError(f"cannot listen ({error.strerror}); is another demo running?") from None
    return 0


COMMAND = Subcommand(
    name="demo",
    help="Migrate, seed a demo clinic with synthetic data and serve it.",
    configure=configure,
    run=run,
)
