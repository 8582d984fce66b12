"""What an export asks for (format and window) and why it may be refused.

Imports nothing from Django at module level, so the CLI can refuse a bad option before
Django starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ketamine_clinic.research.window import ExportWindow

FORMATS = ("csv", "parquet")
# How the audit trail names an export (the page lists past exports by it).
AUDIT_OBJECT_TYPE = "research_export"

# What a user reads when the export is refused; each names the field it is about.
EXPORT_FORMAT_UNKNOWN = "must be one of csv, parquet; got {value!r}"
EXPORT_WINDOW_BACKWARDS = "must be on or before the until date {until}; got {since}"
EXPORT_OUT_NOT_EMPTY = "{path} already holds files; choose a new or empty directory"
EXPORT_OUT_NOT_A_DIRECTORY = "{path} is a file, not a directory"
EXPORT_OUT_UNWRITABLE = "cannot write to {path}: {reason}"


class ResearchExportError(ValueError):
    """A refused export, naming the field (format, since, until, out) and the reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ExportRequest:
    file_format: str
    since: date | None = None
    until: date | None = None

    def check(self) -> None:
        if self.file_format not in FORMATS:
            raise ResearchExportError(
                "format", EXPORT_FORMAT_UNKNOWN.format(value=self.file_format)
            )
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ResearchExportError(
                "since", EXPORT_WINDOW_BACKWARDS.format(since=self.since, until=self.until)
            )

    def window(self) -> ExportWindow:
        """Whole days on the clinic's calendar, both ends included."""
        from django.utils import timezone

        zone = timezone.get_current_timezone()

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=zone)

        return ExportWindow(
            since=None if self.since is None else midnight(self.since),
            until=None if self.until is None else midnight(self.until + timedelta(days=1)),
        )
