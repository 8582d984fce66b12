"""What the dashboard page and its CSV show, assembled once from ``clinic_outcomes``.

No rules of its own: the figures come from ``measures`` and ``durability``, the
published ones from ``published``; this module pairs them and lays out the CSV rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ketamine_clinic.outcomes.cohort import (
    BASELINE_WINDOW_DAYS,
    DIAGNOSIS_LABELS,
    DOSE_BANDS,
    END_WINDOW_DAYS,
    END_WINDOW_OPENS_HOURS_BEFORE,
)
from ketamine_clinic.outcomes.km_plot import KmPlot, km_plot
from ketamine_clinic.outcomes.measures import SMALL_N, MeasureResult
from ketamine_clinic.outcomes.published import PUBLISHED, SUMMARY, PublishedFigure
from ketamine_clinic.outcomes.selectors import ClinicOutcomes, counted_outcomes
from ketamine_clinic.outcomes.stats import Proportion

CSV_HEADER: Final = (
    "table",
    "row",
    "denominator",
    "k",
    "n",
    "percent",
    "ci95_low_percent",
    "ci95_high_percent",
)


# The relapse curve read at 8 weeks, beside McInnes 2022's "~60% still responding".
DURABILITY_DAYS: Final = 56


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """S(days) of the relapse curve with its 95 % band, and how many were followed."""

    days: int
    survival: float
    low: float | None
    high: float | None
    responders: int

    @property
    def percent(self) -> str:
        return f"{100 * self.survival:.0f}%"

    @property
    def band(self) -> str:
        if self.low is None or self.high is None:
            return ""
        return f"{100 * self.low:.0f}\N{EN DASH}{100 * self.high:.0f}%"


@dataclass(frozen=True, slots=True)
class PublishedRow:
    figure: PublishedFigure
    # This clinic's figure under the same definition, when there is one.
    clinic: MeasureResult | None = None
    clinic_curve: CurvePoint | None = None
    # Why a like-for-like figure is missing (e.g. nobody followed for 8 weeks yet).
    clinic_missing: str = ""


@dataclass(frozen=True, slots=True)
class DashboardPage:
    outcomes: ClinicOutcomes
    counted_at: datetime
    recount_pending: bool
    plot: KmPlot
    published: tuple[PublishedRow, ...]
    published_summary: str
    baseline_window_days: int
    end_window_days: int
    end_window_opens_hours_before: int
    small_n: int
    dose_bands: tuple[str, ...]
    diagnosis_groups: tuple[str, ...]


def dashboard_page(instrument_key: str) -> DashboardPage:
    counted = counted_outcomes(instrument_key)
    outcomes = counted.outcomes
    published = [_published_row(figure, outcomes) for figure in PUBLISHED]
    return DashboardPage(
        outcomes=outcomes,
        counted_at=counted.counted_at,
        recount_pending=counted.recount_pending,
        plot=km_plot(outcomes.relapse_curve),
        published=tuple(published),
        published_summary=SUMMARY,
        baseline_window_days=BASELINE_WINDOW_DAYS,
        end_window_days=END_WINDOW_DAYS,
        end_window_opens_hours_before=END_WINDOW_OPENS_HOURS_BEFORE,
        small_n=SMALL_N,
        dose_bands=tuple(band.label for band in DOSE_BANDS),
        diagnosis_groups=tuple(DIAGNOSIS_LABELS.values()),
    )


def _published_row(figure: PublishedFigure, outcomes: ClinicOutcomes) -> PublishedRow:
    if not figure.compare:
        return PublishedRow(figure=figure)
    key, measure = figure.compare.split(":")
    if key != outcomes.instrument_key:
        return PublishedRow(figure=figure)
    if measure != "still_responding_56d":
        return PublishedRow(figure=figure, clinic=outcomes.measures.result(measure))
    curve = outcomes.relapse_curve
    if not curve.followed_to(DURABILITY_DAYS):
        return PublishedRow(
            figure=figure, clinic_missing=f"no responder followed to {DURABILITY_DAYS} days yet"
        )
    low, high = curve.band_at(DURABILITY_DAYS)
    point = CurvePoint(
        days=DURABILITY_DAYS,
        survival=curve.survival_at(DURABILITY_DAYS),
        low=low,
        high=high,
        responders=curve.n,
    )
    return PublishedRow(figure=figure, clinic_curve=point)


def _cells(table: str, row: str, denominator: str, found: Proportion | None) -> tuple[str, ...]:
    if found is None:
        return (table, row, denominator, "", "", "", "", "")

    def percent(value: float | None) -> str:
        return "" if value is None else f"{100 * value:.1f}"

    return (
        table,
        row,
        denominator,
        str(found.k),
        str(found.n),
        percent(found.estimate),
        percent(found.low),
        percent(found.high),
    )


def csv_rows(outcomes: ClinicOutcomes) -> Iterator[tuple[str, ...]]:
    """The page's tables as one long table (no patient appears: counts only)."""
    measures = outcomes.measures
    yield CSV_HEADER
    for result in measures.results:
        name = result.definition.name
        yield _cells("measures", name, "started (intention to treat)", result.started)
        yield _cells("measures", name, "completers", result.completers)
    for breakdown in measures.breakdowns:
        for row in breakdown.rows:
            table = f"by {breakdown.title.lower()}"
            yield _cells(table, row.label, "started: response", row.response_started)
            yield _cells(table, row.label, "completers: response", row.response_completers)
            if row.remission_completers is not None:
                yield _cells(table, row.label, "completers: remission", row.remission_completers)
            if row.benefit_completers is not None:
                yield _cells(table, row.label, "completers: any benefit", row.benefit_completers)
