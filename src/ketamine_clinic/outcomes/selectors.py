"""Reads for the clinic's outcome dashboard: six queries of plain tuples, whatever the size
of the clinic, then the pure cohort, measures and durability code.

Not audited: the dashboard shows aggregates only (counts, rates, a curve), never a
patient. A page that lists patients must audit its own read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count, FloatField, Func, IntegerField, Max, OuterRef, Subquery
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Round
from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.instruments.definitions import all_instruments, get_instrument
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.outcomes.cohort import (
    CourseOutcome,
    CourseRow,
    DiagnosisRow,
    InfusionRow,
    ScoreRow,
    build_cohort,
)
from ketamine_clinic.outcomes.durability import (
    BoosterSummary,
    RelapseTime,
    booster_intervals,
    relapse_curve,
    relapse_times,
)
from ketamine_clinic.outcomes.measures import Measures, measure_cohort
from ketamine_clinic.outcomes.stats import KaplanMeier
from ketamine_clinic.patients.models import Diagnosis
from ketamine_clinic.visits.models import Visit

log = logging.getLogger(__name__)

DEFAULT_INSTRUMENT = "phq9"


class EpochSeconds(Func):
    """A datetime column as float seconds since the Unix epoch, computed by the database:
    converting ~100,000 datetimes in Python costs more than the rest of the page."""

    output_field = FloatField()

    def __init__(self, expression: Combinable | str, **extra: Any) -> None:
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; julianday reads it.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra
        )


def outcome_instruments() -> dict[str, str]:
    """Instruments with a response rule in their data (key -> short name), in order."""
    return {
        key: instrument.short_name
        for key, instrument in all_instruments().items()
        if instrument.outcome.response_reduction_fraction is not None
    }


def course_rows() -> list[CourseRow]:
    """Every course past planning, with the number of infusions its snapshot plans."""
    return [
        CourseRow(
            course_id=course_id,
            patient_id=patient_id,
            status=status,
            infusions_planned=planned or 0,
            completed=status == CourseStatus.COMPLETED,
        )
        for course_id, patient_id, status, planned in Course.objects.exclude(
            status=CourseStatus.PLANNED
        )
        .order_by()
        # The one number needed from the snapshot, read by the database (parsing 6,000
        # JSON documents in Python took a fifth of the page).
        .values_list(
            "id",
            "patient_id",
            "status",
            Cast(KeyTextTransform("infusions", "protocol"), IntegerField()),
        )
    ]


def infusion_rows() -> list[InfusionRow]:
    """Every infusion given (the pump started), courses' and boosters' alike."""
    return [
        InfusionRow(*row)
        for row in Visit.objects.filter(infusion_started_at__isnull=False)
        .order_by()
        .values_list(
            "id",
            "patient_id",
            "course_id",
            EpochSeconds("infusion_started_at"),
            # The order in force (orders.selectors.current_order), looked up by the
            # database through the visit's index: cheaper than fetching every order.
            Cast(
                Round(
                    Subquery(
                        InfusionOrder.objects.filter(visit=OuterRef("pk"))
                        .order_by("-ordered_at", "-id")
                        .values("dose_mg_per_kg")[:1]
                    )
                    * 1000
                ),
                IntegerField(),
            ),
        )
    ]


def diagnosis_rows() -> list[DiagnosisRow]:
    return [
        DiagnosisRow(*row)
        for row in Diagnosis.objects.filter(entered_in_error_at__isnull=True)
        .order_by()
        .values_list("patient_id", "code", EpochSeconds("recorded_at"), "id")
    ]


def score_rows(instrument_key: str) -> tuple[list[ScoreRow], list[int]]:
    """The instrument's valid totals, and the ids of responses a correction replaced."""
    responses = QuestionnaireResponse.objects.filter(instrument_key=instrument_key)
    scores = [
        ScoreRow(*row)
        for row in responses.filter(valid=True, total__isnull=False)
        .order_by()
        .values_list("id", "patient_id", "total", EpochSeconds("taken_at"))
    ]
    corrected = responses.filter(corrects__isnull=False).order_by().values_list("corrects_id")
    return scores, [c for (c,) in corrected if c is not None]


def clinic_cohort(instrument_key: str) -> list[CourseOutcome]:
    """Every course that started, with its scores on ``instrument_key``."""
    get_instrument(instrument_key)
    scores, corrected = score_rows(instrument_key)
    return build_cohort(
        instrument_key=instrument_key,
        courses=course_rows(),
        infusions=infusion_rows(),
        diagnoses=diagnosis_rows(),
        scores=scores,
        corrected_response_ids=corrected,
    )


@dataclass(frozen=True, slots=True)
class ClinicOutcomes:
    """Everything the dashboard shows for one instrument."""

    instrument_key: str
    measures: Measures
    relapses: tuple[RelapseTime, ...]
    relapse_curve: KaplanMeier
    boosters: BoosterSummary


def data_version() -> tuple[object, ...]:
    """What changes whenever a row the dashboard reads changes.

    Responses, orders and diagnoses are only ever added (a correction or an entry in
    error is a new row or a stamped time); visits and courses change state in place, and
    each such change moves ``state_changed_at`` / adds ``ended_at``. Counts catch a
    deletion (which the clinic never does, but a test database might).
    """
    visits = Visit.objects.aggregate(n=Count("id"), changed=Max("state_changed_at"))
    courses = Course.objects.aggregate(
        n=Count("id"), top=Max("id"), ended=Max("ended_at"), started=Max("started_at")
    )
    responses = QuestionnaireResponse.objects.aggregate(n=Count("id"), top=Max("id"))
    orders = InfusionOrder.objects.aggregate(n=Count("id"), top=Max("id"))
    diagnoses = Diagnosis.objects.aggregate(
        n=Count("id"), top=Max("id"), error=Max("entered_in_error_at")
    )
    statuses = tuple(
        Course.objects.order_by("status").values_list("status").annotate(n=Count("id"))
    )
    return (
        tuple(visits.values()),
        tuple(courses.values()),
        statuses,
        tuple(responses.values()),
        tuple(orders.values()),
        tuple(diagnoses.values()),
    )


@dataclass(frozen=True)
class CountedOutcomes:
    """The figures with the moment they were counted, as the dashboard shows them."""

    outcomes: ClinicOutcomes
    counted_at: datetime
    # Data arrived since ``counted_at``; it is being counted and shows on a later page.
    recount_pending: bool = False


@dataclass
class _Counted:
    version: tuple[object, ...]
    outcomes: ClinicOutcomes
    counted_at: datetime


_cache_lock = threading.Lock()
_cache: dict[str, _Counted] = {}
_recounting: set[str] = set()


def _count(instrument_key: str) -> _Counted:
    # The version is read first: data that arrives while counting moves it past what is
    # stored here, so the next page counts again rather than keep a count that missed it.
    version = data_version()
    counted = _Counted(version, compute_clinic_outcomes(instrument_key), timezone.now())
    with _cache_lock:
        _cache[instrument_key] = counted
    return counted


def clinic_outcomes(instrument_key: str = DEFAULT_INSTRUMENT) -> ClinicOutcomes:
    """The figures as of now: counted again only when ``data_version`` has moved.

    The cache is this process's (each web process keeps its own, a few hundred kB per
    instrument); every call checks the version with a few aggregate queries, so a new
    score, infusion, order, diagnosis or course change is in the next figures.
    """
    return counted_outcomes(instrument_key, recount_in_background=False).outcomes


def counted_outcomes(
    instrument_key: str = DEFAULT_INSTRUMENT, *, recount_in_background: bool | None = None
) -> CountedOutcomes:
    """The dashboard's figures, never waiting for a recount when a count exists.

    Counting takes about a second at a clinic's real scale, more than a page may take.
    With data newer than the last count, this returns that count (``recount_pending``)
    and counts again in a background thread, one per instrument at a time; the page
    says when its figures were counted. Without any count yet, it counts and waits.
    ``recount_in_background`` defaults to ``KC_OUTCOMES_RECOUNT_IN_BACKGROUND``.
    """
    get_instrument(instrument_key)
    if recount_in_background is None:
        recount_in_background = settings.KC_OUTCOMES_RECOUNT_IN_BACKGROUND
    version = data_version()
    with _cache_lock:
        cached = _cache.get(instrument_key)
        start_recount = (
            cached is not None
            and cached.version != version
            and recount_in_background
            and instrument_key not in _recounting
        )
        if start_recount:
            _recounting.add(instrument_key)
    if cached is not None and (cached.version == version or recount_in_background):
        if start_recount:
            start_recount_thread(lambda: _recount(instrument_key))
        return CountedOutcomes(
            outcomes=cached.outcomes,
            counted_at=cached.counted_at,
            recount_pending=cached.version != version,
        )
    counted = _count(instrument_key)
    return CountedOutcomes(outcomes=counted.outcomes, counted_at=counted.counted_at)


def _recount(instrument_key: str) -> None:
    try:
        _count(instrument_key)
    except Exception:
        # The last figures stay; the next page tries again. Logged, not raised: nobody
        # waits on this thread.
        log.exception("outcomes: recounting %s failed", instrument_key)
    finally:
        with _cache_lock:
            _recounting.discard(instrument_key)


def _start_in_thread(work: Callable[[], None]) -> None:
    def run() -> None:
        try:
            work()
        finally:
            # The thread's own database connection, opened by the count, closes with it.
            connections.close_all()

    threading.Thread(target=run, name="outcomes-recount", daemon=True).start()


# How a recount is started; tests replace it to run the recount when they choose.
start_recount_thread: Callable[[Callable[[], None]], None] = _start_in_thread


def compute_clinic_outcomes(instrument_key: str) -> ClinicOutcomes:
    cohort = clinic_cohort(instrument_key)
    relapses = tuple(relapse_times(cohort, instrument_key))
    return ClinicOutcomes(
        instrument_key=instrument_key,
        measures=measure_cohort(cohort, instrument_key),
        relapses=relapses,
        relapse_curve=relapse_curve(relapses),
        boosters=booster_intervals(cohort),
    )


def forget_cached_outcomes() -> None:
    """Drop this process's cached figures (tests whose databases reuse ids need it)."""
    with _cache_lock:
        _cache.clear()
        _recounting.clear()
