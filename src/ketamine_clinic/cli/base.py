"""What every subcommand shares: its shape, Django start-up, and the error type."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from ketamine_clinic.audit.context import AuditContext, audit_context, new_request_id

PRODUCTION_SETTINGS = "ketamine_clinic.config.django.base"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


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
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise CliError(f"configuration: {exc}") from exc


def cli_audit_context(command: str) -> AbstractContextManager[AuditContext]:
    """Audit entries written by a CLI command say so, with one id per invocation."""
    return audit_context(
        AuditContext(request_id=new_request_id(), client_address="", channel=f"cli:{command}"[:16])
    )
