"""What the chart reads from other apps, found at run time so this app does not need them.

The patients app sits below assessments and screening (they point at patients), so it
imports their selectors lazily and only if the module and function exist: a clinic
installed without one of them still has a chart, and no import cycle forms.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ketamine_clinic.patients.timeline_types import TimelineEntry

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient

# Modules that contribute `timeline_entries(patient) -> list[TimelineEntry]`.
TIMELINE_SOURCES: tuple[str, ...] = (
    "ketamine_clinic.assessments.selectors",
    "ketamine_clinic.screening.selectors",
)


def optional_function(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name` if both exist and it is callable; None otherwise."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    found = getattr(loaded, name, None)
    return found if callable(found) else None


def other_apps_timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Every other app's timeline entries for the patient (unsorted)."""
    entries: list[TimelineEntry] = []
    for module in TIMELINE_SOURCES:
        source = optional_function(module, "timeline_entries")
        if source is not None:
            entries.extend(entry for entry in source(patient) if isinstance(entry, TimelineEntry))
    return entries
