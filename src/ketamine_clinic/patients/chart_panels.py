"""The chart's "latest scores" panel and suicide-risk banner, read from the assessments app.

The assessments app sits above this one (its rows point at patients), so its selectors
are found at run time (`chart_sources.optional_function`): until it provides them, the
panel says "No questionnaires yet" rather than showing anything invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ketamine_clinic.patients.sparkline import Sparkline

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient


@dataclass(frozen=True)
class ScoreRow:
    """One instrument's latest total, its band, and its trend across the course."""

    instrument: str
    score: str
    band: str
    at: datetime | None
    trend: Sparkline | None
    trend_label: str = ""


@dataclass(frozen=True)
class RiskFlag:
    """An open suicide-risk flag, as the banner states it."""

    title: str
    detail: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ScoresPanel:
    rows: list[ScoreRow] = field(default_factory=list)
    risk_flags: list[RiskFlag] = field(default_factory=list)


def scores_panel(patient: Patient) -> ScoresPanel:
    """The latest scores with their trends, and open risk flags (empty until wired)."""
    del patient
    return ScoresPanel()
