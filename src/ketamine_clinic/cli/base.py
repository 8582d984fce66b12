"""What every subcommand shares: its shape, Django start-up, and the error type."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NoReturn

from ketamine_clinic.audit.context import AuditContext, audit_context, new_request_id

PRODUCTION_SETTINGS = "ketamine_clinic.config.django.base"
PROG = "ketamine-clinic"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def error_line(message: str) -> str:
    """The one line every error prints, whether argparse or a command found it."""
    return f"{PROG}: error: {message}"


class CliArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error (exit 2).

    argparse's default prints the whole usage block first, which buries the reason in a
    log or a CI transcript; the line points at `--help` instead.
    """

    def error(self, message: str) -> NoReturn:
        print(error_line(f"{message} (see `{self.prog} --help`)"), file=sys.stderr)
        raise SystemExit(2)


def positive_int(raw: str) -> int:
    """An argparse type for counts such as --workers."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def non_negative_int(raw: str) -> int:
    """An argparse type for a seed or a count that may be 0."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {raw!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more; got {value}")
    return value


def service_refusal(refusal: Mapping[str, Sequence[str]], field_options: Mapping[str, str]) -> str:
    """A service's ValidationError (``message_dict``, messages "field: reason") as one CLI
    line naming the option that carries each field."""
    return "; ".join(
        f"{field_options.get(field, field)}: {message.partition(': ')[2] or message}"
        for field, messages in refusal.items()
        for message in messages
    )


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def setup_django() -> None:
    """Load settings and apps, turning configuration errors into one-line CLI errors."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", PRODUCTION_SETTINGS)
    import django
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready:
        # Already set up (a test calling main(), or demo handing over to serve): a second
        # setup would reconfigure logging under the caller's feet.
        return

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise CliError(f"configuration: {exc}") from exc


def cli_audit_context(command: str) -> AbstractContextManager[AuditContext]:
    """Audit entries written by a CLI command say so, with one id per invocation."""
    return audit_context(
        AuditContext(request_id=new_request_id(), client_address="", channel=f"cli:{command}"[:16])
    )
