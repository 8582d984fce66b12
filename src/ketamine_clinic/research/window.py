"""The export's time window as a query condition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q


@dataclass(frozen=True)
class ExportWindow:
    """Which records go in: those whose own time falls in [since, until) (real times;
    the window itself is never written into the export). None = unbounded."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def q(self, field: str) -> Q:
        condition = Q()
        if self.since is not None:
            condition &= Q(**{f"{field}__gte": self.since})
        if self.until is not None:
            condition &= Q(**{f"{field}__lt": self.until})
        return condition
