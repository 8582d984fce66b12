"""One entry of a patient's timeline, the shape every app contributes to the chart.

Each app that records something about a patient exposes
``selectors.timeline_entries(patient) -> list[TimelineEntry]``; the chart merges them
(newest first). The type lives in its own module so that those apps can import it
without importing the patients app's selectors (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """Something that happened to or for a patient, as the chart lists it.

    ``title`` and ``detail`` are plain text (templates escape them); ``kind`` is a short
    stable key for styling and filtering (``"weight"``, ``"questionnaire"``,
    ``"risk_flag"``, ``"screening"``, ...); ``actor`` is the staff member's display name,
    ``"patient (kiosk)"`` or ``None`` for the system; ``url`` links to the detail if any.
    """

    at: datetime
    kind: str
    title: str
    detail: str = ""
    actor: str | None = None
    url: str | None = None
