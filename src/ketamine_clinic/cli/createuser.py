"""`ketamine-clinic createuser`: create a staff account (the first administrator, say)."""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING

from ketamine_clinic.cli.base import CliError, Subcommand, cli_audit_context, setup_django

if TYPE_CHECKING:
    from django.core.exceptions import ValidationError

# The option that carries each field the account service validates, so an error names
# what the user typed rather than a model field.
FIELD_OPTIONS = {
    "username": "--username",
    "password": "--password",
    "first_name": "--first-name",
    "last_name": "--last-name",
    "credentials": "--credentials",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True, help="the sign-in name")
    parser.add_argument(
        "--role",
        action="append",
        required=True,
        help="a role (repeat for several): front_desk, nurse, prescriber, custodian, clinic_lead, administrator",
    )
    parser.add_argument(
        "--password", help="the password; prompted for if omitted (safer: not in shell history)"
    )
    parser.add_argument("--first-name", default="", help="given name, shown to colleagues")
    parser.add_argument("--last-name", default="", help="family name")
    parser.add_argument("--credentials", default="", help="e.g. MD, NP, CRNA, RN")


def validation_error_line(exc: ValidationError) -> str:
    """One line naming the option each message is about."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{FIELD_OPTIONS.get(field, field)}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    # Password strength (validate_password) is the one check that raises without a
    # field name; a field-less error from anything else would need a name here.
    return f"--password: {' '.join(exc.messages)}"


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError

    from ketamine_clinic.accounts.enums import Role
    from ketamine_clinic.accounts.services.users import user_create

    roles = []
    for value in args.role:
        try:
            roles.append(Role(value))
        except ValueError:
            raise CliError(
                f"--role: unknown role {value!r}; choose from {', '.join(Role.values)}"
            ) from None
    password = args.password if args.password is not None else getpass.getpass("Password: ")
    try:
        with cli_audit_context("createuser"):
            user = user_create(
                username=args.username,
                password=password,
                roles=roles,
                by=None,
                first_name=args.first_name,
                last_name=args.last_name,
                credentials=args.credentials,
            )
    except ValidationError as exc:
        raise CliError(validation_error_line(exc)) from exc
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliError(f"database: {first_line} (has `ketamine-clinic migrate` been run?)") from exc
    print(f"created {user.username} with roles {', '.join(sorted(user.roles))}")
    return 0


COMMAND = Subcommand(
    name="createuser",
    help="Create a staff account with one or more roles.",
    configure=configure,
    run=run,
)
