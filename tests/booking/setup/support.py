"""A fixed clock for the set-up tests: Monday 1 June 2026, 08:00 in New York (12:00 UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from ketamine_clinic.audit.models import AuditEntry

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # Monday 08:00 EDT
MONDAY = date(2026, 6, 1)


def frozen(at: datetime = NOW) -> time_machine.travel:
    return time_machine.travel(at, tick=False)


def entries(object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=object_type).order_by("seq"))
