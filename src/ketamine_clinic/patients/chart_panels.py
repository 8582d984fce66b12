"""The chart's "latest scores" panel and suicide-risk banner, read from the assessments app.

The assessments app sits above this one (its rows point at patients), so its selectors
are imported when the panel is drawn (`chart_sources.provider`), which keeps the import
graph acyclic; a missing one is an error, never an empty panel. Signatures used, from ketamine_clinic.assessments.selectors:
``latest_scores(patient) -> list[LatestScore]`` (``instrument_key``, ``short_name``,
``latest``, ``change``; ``histories=`` to reuse a read), ``score_histories(patient)``
(per instrument key, responses oldest first, each with ``total``) and ``open_risk_flags(patient) -> list[RiskFlag]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ketamine_clinic.patients.chart_sources import provider
from ketamine_clinic.patients.sparkline import Sparkline, sparkline

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.patients.models import Patient

ASSESSMENTS_SELECTORS = "ketamine_clinic.assessments.selectors"
# ``trajectory_panel(patient) -> TrajectoryPanel``: a plot per instrument over the
# course(s), infusions marked, and the progress report's URL.
OUTCOMES_CHART = "ketamine_clinic.outcomes.patient_chart"
INSTRUMENT_DEFINITIONS = "ketamine_clinic.instruments.definitions"
# A trend line needs a few points to say anything; more than this crowds 120 pixels.
TREND_POINTS = 12


@dataclass(frozen=True)
class ScoreRow:
    """One instrument's latest result, its band, and its trend across the course."""

    instrument: str
    score: str
    band: str
    at: datetime | None
    trend: Sparkline | None = None
    trend_label: str = ""
    change: str = ""


@dataclass(frozen=True)
class RiskBanner:
    """An open suicide-risk flag, as the banner states it."""

    title: str
    detail: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ScoresPanel:
    rows: list[ScoreRow] = field(default_factory=list)
    risk_flags: list[RiskBanner] = field(default_factory=list)
    trajectories: Any = None  # outcomes.patient_chart.TrajectoryPanel


def _change_text(change: int | None) -> str:
    if change is None:
        return ""
    if change == 0:
        return "unchanged since the previous"
    return f"{'up' if change > 0 else 'down'} {abs(change)} since the previous"


def _row(latest: Any, history: list[Any], instrument_for: Any) -> ScoreRow:
    response = latest.latest
    result = response.result if isinstance(response.result, dict) else {}
    if response.total is not None:
        score, band = str(response.total), str(result.get("severity_label") or "")
    elif response.triage:
        score, band = str(response.triage).capitalize(), "triage level"
    else:
        score, band = "—", str(result.get("invalid_reason") or "incomplete")
    row = ScoreRow(
        instrument=latest.short_name,
        score=score,
        band=band,
        at=response.taken_at,
        change=_change_text(latest.change),
    )
    instrument = instrument_for(latest.instrument_key)
    low = getattr(instrument, "total_min", None)
    high = getattr(instrument, "total_max", None)
    if low is None or high is None:
        return row
    totals = [r.total for r in history if r.total is not None]
    totals = totals[-TREND_POINTS:]
    if len(totals) < 2:
        return row
    return ScoreRow(
        instrument=row.instrument,
        score=row.score,
        band=row.band,
        at=row.at,
        change=row.change,
        trend=sparkline(totals, low=low, high=high),
        trend_label=f"{latest.short_name} totals, oldest to newest: "
        + ", ".join(str(total) for total in totals)
        + f" (range {low}-{high})",
    )


def scores_panel(patient: Patient) -> ScoresPanel:
    """The latest scores with their trends, and the open risk flags, for the chart.

    Not audited on its own: the chart read that calls it is.
    """
    latest_scores = provider(ASSESSMENTS_SELECTORS, "latest_scores")
    score_histories = provider(ASSESSMENTS_SELECTORS, "score_histories")
    open_risk_flags = provider(ASSESSMENTS_SELECTORS, "open_risk_flags")
    instrument_for = provider(INSTRUMENT_DEFINITIONS, "get_instrument")
    histories = score_histories(patient)
    rows = [
        _row(item, histories[item.instrument_key], instrument_for)
        for item in latest_scores(patient, histories=histories)
    ]
    flags = [
        RiskBanner(
            title=f"{flag.reason} ({flag.level})",
            detail="the next infusion is blocked until a prescriber records an assessment",
            at=flag.raised_at,
        )
        for flag in open_risk_flags(patient)
    ]
    trajectories = provider(OUTCOMES_CHART, "trajectory_panel")(patient)
    return ScoresPanel(rows=rows, risk_flags=flags, trajectories=trajectories)


CONSENT_SELECTORS = "ketamine_clinic.consent.selectors"


@dataclass(frozen=True)
class ConsentGlance:
    """Whether the patient has signed the current consent version (else: no infusion)."""

    signed_version: int | None
    signed_at: datetime | None
    signature_id: int | None

    @property
    def needed(self) -> bool:
        return self.signature_id is None


def consent_glance(patient: Patient) -> ConsentGlance:
    """The chart's consent card, from the consent app (a missing provider is an error)."""
    signature = provider(CONSENT_SELECTORS, "current_consent")(patient)
    if signature is None:
        return ConsentGlance(signed_version=None, signed_at=None, signature_id=None)
    return ConsentGlance(
        signed_version=signature.document.version,
        signed_at=signature.signed_at,
        signature_id=signature.pk,
    )


COURSES_CHART = "ketamine_clinic.courses.chart"


def course_panel(patient: Patient, user: User) -> Any:
    """The chart's treatment-course section, drawn by the courses app (which sits above
    this one): ``courses.chart.course_panel(patient, user) -> CoursePanel``."""
    return provider(COURSES_CHART, "course_panel")(patient, user)
