"""`ketamine-clinic token create`: an API token for a device or an integration.

The clinic's IT person runs it on the server when setting up a pump gateway or a
reporting job; the secret is printed once, to stdout alone, so it can be piped
straight into the device's configuration.
"""

from __future__ import annotations

import argparse
import sys

from ketamine_clinic.cli.base import (
    CliError,
    Subcommand,
    cli_audit_context,
    service_refusal,
    setup_django,
)

# The option that carries each field the token service validates.
FIELD_OPTIONS = {"name": "--name", "user": "--username"}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        help="create an API token acting as a staff account; prints the secret once",
        description="Create an API token acting as --username, with that account's roles. "
        "The secret is printed once on stdout and cannot be shown again (only its hash "
        "is stored); revoke it with DELETE /api/v1/tokens/{id}.",
    )
    create.add_argument("--username", required=True, help="the staff account the token acts as")
    create.add_argument(
        "--name", required=True, help="what the token is for, e.g. 'Room 2 pump gateway'"
    )


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError

    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.api.services import api_token_create

    try:
        user = User.objects.filter(username=args.username).first()
        if user is None:
            raise CliError(f"--username: no staff account is named {args.username!r}")
        with cli_audit_context("token"):
            issued = api_token_create(user=user, name=args.name, by=None)
    except ValidationError as exc:
        # The service's messages start with the field ("name: ..."); name the option.
        raise CliError(service_refusal(exc.message_dict, FIELD_OPTIONS)) from exc
    except DatabaseError as exc:
        raise CliError(f"token create: cannot write to the database: {exc}") from exc
    print(
        f"created token {issued.token.prefix}… (id {issued.token.pk}) for {user.username}; "
        "store it now, it will not be shown again:",
        file=sys.stderr,
    )
    print(issued.secret)
    return 0


COMMAND = Subcommand(
    name="token",
    help="API tokens for devices and integrations (create).",
    configure=configure,
    run=run,
)
