"""Response, remission, any benefit and worsening over a cohort, with two denominators.

Pure Python. Every rule comes from the instrument's data through
``instruments.outcomes`` (response fraction, remission cut-off) and its ``[outcome]``
table (``meaningful_change_points``, the MCID); nothing here restates a number. An
instrument that defines no remission or MCID gets a sentence saying so, not a figure.

The two denominators:

- *Started* (intention to treat): every course that started with a baseline score on
  the instrument. A course with no end-of-course score counts as not improved.
- *Completers*: every course that finished with a baseline and an end-of-course score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from ketamine_clinic.instruments.definitions import Instrument, get_instrument
from ketamine_clinic.instruments.errors import NotDefined
from ketamine_clinic.instruments.outcomes import is_remission, is_response
from ketamine_clinic.outcomes.cohort import (
    DOSE_BANDS,
    NO_ORDER_BAND,
    CourseOutcome,
    DiagnosisGroup,
)
from ketamine_clinic.outcomes.stats import Proportion, wilson_interval

# Rows with fewer courses than this are flagged: at n = 20 a 50 % rate's Wilson interval
# is still 30-70 %, too wide to rank one group above another.
SMALL_N: Final = 20


class Judged(NamedTuple):
    """What one course achieved on the instrument (False where it cannot be judged)."""

    has_baseline: bool
    under_way: bool
    completer: bool
    response: bool
    remission: bool | None  # None: the instrument defines no remission
    benefit: bool | None  # None: the instrument defines no MCID
    worse: bool


@lru_cache(maxsize=65_536)
def responded(instrument_key: str, baseline_total: int, current_total: int) -> bool:
    """``instruments.outcomes.is_response``, remembered: totals are small whole numbers,
    so a clinic's thousands of courses ask the same few hundred questions."""
    try:
        return is_response(
            instrument_key, baseline_total=baseline_total, current_total=current_total
        )
    except NotDefined:
        return False  # a baseline of 0 has nothing to halve


@lru_cache(maxsize=4_096)
def _remitted(instrument_key: str, total: int) -> bool:
    return is_remission(instrument_key, total=total)


def judge(outcome: CourseOutcome, instrument_key: str) -> Judged:
    instrument = get_instrument(instrument_key)
    baseline, end = outcome.baseline, outcome.end
    has_both = baseline is not None and end is not None
    response = False
    remission: bool | None = None
    benefit: bool | None = None
    if instrument.outcome.remission_total_at_most is not None:
        remission = end is not None and _remitted(instrument_key, end.total)
    mcid = instrument.outcome.meaningful_change_points
    if mcid is not None:
        benefit = False
    if baseline is not None and end is not None:
        response = responded(instrument_key, baseline.total, end.total)
        if mcid is not None:
            benefit = baseline.total - end.total >= mcid
    return Judged(
        has_baseline=baseline is not None,
        under_way=outcome.under_way,
        completer=outcome.finished and has_both,
        response=response,
        remission=remission,
        benefit=benefit,
        worse=has_both and end is not None and baseline is not None and end.total > baseline.total,
    )


@dataclass(frozen=True, slots=True)
class MeasureDefinition:
    key: str
    name: str
    definition: str
    not_defined: str  # why there is no figure; empty when there is one


def definitions(instrument: Instrument) -> tuple[MeasureDefinition, ...]:
    """The measures for ``instrument``, each with the sentence the page prints."""
    name = instrument.short_name
    outcome = instrument.outcome
    fraction = outcome.response_reduction_fraction
    response = MeasureDefinition(
        "response",
        "Response",
        f"{name} total at the end of the course at least {fraction:.0%} below the baseline total."
        if fraction is not None
        else "",
        "" if fraction is not None else f"{name} defines no response.",
    )
    remission = MeasureDefinition(
        "remission",
        "Remission",
        f"{name} total at the end of the course in the remission range "
        f"({outcome.remission_text or f'at most {outcome.remission_total_at_most}'})."
        if outcome.remission_total_at_most is not None
        else "",
        ""
        if outcome.remission_total_at_most is not None
        else f"{name} defines no remission cut-off, so no remission rate is given.",
    )
    mcid = outcome.meaningful_change_points
    benefit = MeasureDefinition(
        "benefit",
        "Any benefit",
        f"{name} total fell by at least {mcid} points (the minimal clinically important "
        "difference in the instrument's data) between baseline and end of course."
        if mcid is not None
        else "",
        ""
        if mcid is not None
        else f"{name} defines no minimal clinically important difference, so no "
        "'any benefit' figure is given.",
    )
    worse = MeasureDefinition(
        "worse",
        "Worse than baseline",
        f"{name} total at the end of the course higher than the baseline total.",
        "",
    )
    return (response, remission, benefit, worse)


@dataclass(frozen=True, slots=True)
class MeasureResult:
    definition: MeasureDefinition
    started: Proportion | None
    completers: Proportion | None


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    label: str
    started_n: int
    response_started: Proportion
    response_completers: Proportion
    remission_completers: Proportion | None
    benefit_completers: Proportion | None

    @property
    def small(self) -> bool:
        return self.started_n < SMALL_N


@dataclass(frozen=True, slots=True)
class Breakdown:
    title: str
    rows: tuple[BreakdownRow, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Measures:
    instrument_key: str
    short_name: str
    courses_started: int
    under_way: int
    without_baseline: int
    started_n: int
    completers_n: int
    started_without_end: int
    results: tuple[MeasureResult, ...]
    breakdowns: tuple[Breakdown, ...]

    def result(self, key: str) -> MeasureResult:
        return next(r for r in self.results if r.definition.key == key)

    @property
    def advertised(self) -> MeasureResult | None:
        """The figure a clinic would advertise ("benefit"), only where it is defined."""
        benefit = self.result("benefit")
        return None if benefit.definition.not_defined else benefit


_Pick = Callable[[Judged], bool | None]


def _counted(judged: Judged) -> bool:
    """In the intention-to-treat denominator: a baseline, and the course no longer under
    way (an unfinished active course has no outcome yet)."""
    return judged.has_baseline and not judged.under_way


def _proportion(judged: Sequence[Judged], pick: _Pick, *, completers: bool) -> Proportion:
    pool = [j for j in judged if _counted(j) and (j.completer or not completers)]
    return wilson_interval(sum(1 for j in pool if pick(j)), len(pool))


def _breakdown_row(label: str, judged: Sequence[Judged], instrument: Instrument) -> BreakdownRow:
    outcome = instrument.outcome
    return BreakdownRow(
        label=label,
        started_n=sum(1 for j in judged if _counted(j)),
        response_started=_proportion(judged, lambda j: j.response, completers=False),
        response_completers=_proportion(judged, lambda j: j.response, completers=True),
        remission_completers=_proportion(judged, lambda j: j.remission, completers=True)
        if outcome.remission_total_at_most is not None
        else None,
        benefit_completers=_proportion(judged, lambda j: j.benefit, completers=True)
        if outcome.meaningful_change_points is not None
        else None,
    )


def _grouped(
    pairs: Iterable[tuple[CourseOutcome, Judged]],
    key: Callable[[CourseOutcome], tuple[int, str] | None],
) -> list[tuple[str, list[Judged]]]:
    groups: dict[int, tuple[str, list[Judged]]] = {}
    for outcome, judged in pairs:
        if not _counted(judged):
            continue  # neither denominator holds it: no row of its own either
        found = key(outcome)
        if found is None:
            continue
        order, label = found
        groups.setdefault(order, (label, []))[1].append(judged)
    return [groups[order] for order in sorted(groups)]


def measure_cohort(cohort: Sequence[CourseOutcome], instrument_key: str) -> Measures:
    """Every figure of the dashboard for one instrument."""
    instrument = get_instrument(instrument_key)
    pairs = [(outcome, judge(outcome, instrument_key)) for outcome in cohort]
    judged = [j for _, j in pairs]
    results = []
    for definition in definitions(instrument):
        if definition.not_defined:
            results.append(MeasureResult(definition, None, None))
            continue
        pick = _PICKS[definition.key]
        results.append(
            MeasureResult(
                definition,
                started=_proportion(judged, pick, completers=False),
                completers=_proportion(judged, pick, completers=True),
            )
        )
    band_order = {band.key: index for index, band in enumerate(instrument.bands)}
    dose_order = {band.key: index for index, band in enumerate((*DOSE_BANDS, NO_ORDER_BAND))}
    diagnosis_order = {group: index for index, group in enumerate(DiagnosisGroup)}

    def by_band(outcome: CourseOutcome) -> tuple[int, str] | None:
        if outcome.baseline is None or not instrument.bands:
            return None
        band = next(
            b for b in instrument.bands if b.min_total <= outcome.baseline.total <= b.max_total
        )
        return band_order[band.key], f"{band.label} ({band.min_total}-{band.max_total})"

    def by_diagnosis(outcome: CourseOutcome) -> tuple[int, str]:
        return diagnosis_order[outcome.diagnosis], outcome.diagnosis.label

    def by_count(outcome: CourseOutcome) -> tuple[int, str]:
        count = outcome.infusions_given
        return count, f"{count} infusion{'s' if count != 1 else ''}"

    def by_dose(outcome: CourseOutcome) -> tuple[int, str]:
        band = outcome.dose_band
        return dose_order[band.key], band.label

    def table(title: str, key: Callable[[CourseOutcome], tuple[int, str] | None]) -> Breakdown:
        return Breakdown(
            title=title,
            rows=tuple(
                _breakdown_row(label, group, instrument) for label, group in _grouped(pairs, key)
            ),
        )

    severity = table("Baseline severity", by_band)
    if not instrument.bands:
        severity = Breakdown(
            title="Baseline severity",
            rows=(),
            note=f"{instrument.short_name} has no severity bands in its data "
            "(none are empirically derived), so there is no breakdown by severity.",
        )
    return Measures(
        instrument_key=instrument_key,
        short_name=instrument.short_name,
        courses_started=len(cohort),
        under_way=sum(1 for j in judged if j.under_way),
        without_baseline=sum(1 for j in judged if not j.has_baseline and not j.under_way),
        started_n=sum(1 for j in judged if _counted(j)),
        completers_n=sum(1 for j in judged if j.completer),
        started_without_end=sum(1 for o, j in pairs if _counted(j) and o.end is None),
        results=tuple(results),
        breakdowns=(
            table("Primary diagnosis", by_diagnosis),
            severity,
            table("Infusions given", by_count),
            table("Highest dose ordered in the course", by_dose),
        ),
    )


_PICKS: Final[dict[str, _Pick]] = {
    "response": lambda j: j.response,
    "remission": lambda j: j.remission,
    "benefit": lambda j: j.benefit,
    "worse": lambda j: j.worse,
}
