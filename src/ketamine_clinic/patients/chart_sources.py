"""What the chart reads from other apps, imported when the chart is drawn.

The patients app sits below assessments, screening and intake (their rows point at
patients), so it names their selectors here and imports them at call time: no import
cycle forms. A provider that is missing is a configuration error raised loudly, never
an empty panel: a suicide-risk banner that silently vanished would be worse than a
page that does not load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ketamine_clinic.late_import import late_callable
from ketamine_clinic.patients.timeline_types import TimelineEntry

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient

# Modules that contribute `timeline_entries(patient) -> list[TimelineEntry]`.
TIMELINE_SOURCES: tuple[str, ...] = (
    "ketamine_clinic.assessments.selectors",
    "ketamine_clinic.screening.selectors",
    "ketamine_clinic.intake.selectors",
    "ketamine_clinic.consent.selectors",
    "ketamine_clinic.courses.selectors",
    "ketamine_clinic.orders.selectors",
    "ketamine_clinic.infusion.selectors",
    "ketamine_clinic.recovery.selectors",
)


def provider(module: str, name: str) -> Callable[..., Any]:
    """`module.name`, or ImproperlyConfigured naming what is missing."""
    return late_callable(f"{module}.{name}", role="chart provider")


def other_apps_timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Every other app's timeline entries for the patient (unsorted)."""
    entries: list[TimelineEntry] = []
    for module in TIMELINE_SOURCES:
        entries.extend(provider(module, "timeline_entries")(patient))
    return entries
