"""`ketamine-clinic createuser`: create a staff account (the first administrator, say)."""

from __future__ import annotations

import argparse
import getpass

from ketamine_clinic.cli.base import CliError, Subcommand, cli_audit_context, setup_django


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True)
    parser.add_argument(
        "--role",
        action="append",
        required=True,
        help="a role (repeat for several): front_desk, nurse, prescriber, custodian, clinic_lead, administrator",
    )
    parser.add_argument(
        "--password", help="the password; prompted for if omitted (safer: not in shell history)"
    )
    parser.add_argument("--first-name", default="")
    parser.add_argument("--last-name", default="")
    parser.add_argument("--credentials", default="", help="e.g. MD, NP, CRNA, RN")


def run(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ketamine_clinic.accounts.enums import Role
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.accounts.services.users import user_create

    roles = []
    for value in args.role:
        try:
            roles.append(Role(value))
        except ValueError:
            raise CliError(
                f"--role: unknown role {value!r}; choose from {', '.join(Role.values)}"
            ) from None
    if User.objects.filter(username=args.username).exists():
        raise CliError(f"--username: {args.username!r} already exists")
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
        raise CliError(f"--password: {' '.join(exc.messages)}") from exc
    print(f"created {user.username} with roles {', '.join(sorted(user.roles))}")
    return 0


COMMAND = Subcommand(
    name="createuser",
    help="Create a staff account with one or more roles.",
    configure=configure,
    run=run,
)
