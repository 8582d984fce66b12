from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.charts.ticks import date_ticks, nice_step, nice_ticks


@pytest.mark.parametrize(
    ("span", "count", "step"),
    [(27, 5, 10), (27, 6, 5), (10, 5, 2), (10, 10, 1), (1, 5, 0.2), (80, 8, 10), (0.7, 7, 0.1)],
)
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(
    span: float, count: int, step: float
) -> None:
    assert nice_step(span, count) == pytest.approx(step)


def test_ticks_inside_an_instruments_range() -> None:
    assert nice_ticks(0, 27, count=6) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(0, 80, count=8) == [0, 10, 20, 30, 40, 50, 60, 70, 80]
    assert nice_ticks(0, 1, count=5) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_covering_ticks_span_the_data() -> None:
    assert nice_ticks(3, 27, count=5, cover=True) == [0, 5, 10, 15, 20, 25, 30]
    assert nice_ticks(3, 27, count=3, cover=True) == [0, 10, 20, 30]
    assert nice_ticks(-0.25, 0.7, count=5, cover=True) == [-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8]


def test_bad_tick_requests_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="domain"):
        nice_ticks(3, 3)
    with pytest.raises(ValueError, match="count"):
        nice_step(10, 0)
    with pytest.raises(ValueError, match="span"):
        nice_step(math.inf)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, st.floats(min_value=1e-3, max_value=1e6), st.integers(1, 12))
def test_covering_ticks_cover_the_domain_and_increase(low: float, span: float, count: int) -> None:
    high = low + span
    ticks = nice_ticks(low, high, count=count, cover=True)
    # A value within a billionth of a step of a tick counts as on it (float noise).
    slack = 1e-9 * nice_step(high - low, count) + 1e-12 * max(1, abs(low), abs(high))
    assert ticks[0] <= low + slack
    assert ticks[-1] >= high - slack
    assert all(a < b for a, b in itertools.pairwise(ticks))
    # No more intervals than asked for, plus the two partial ones at the ends.
    assert len(ticks) - 1 <= count + 2


@given(finite, st.floats(min_value=1e-3, max_value=1e6), st.integers(1, 12))
def test_inner_ticks_stay_inside_the_domain_on_one_step(
    low: float, span: float, count: int
) -> None:
    high = low + span
    ticks = nice_ticks(low, high, count=count)
    step = nice_step(high - low, count)  # the span as floats add it up
    tolerance = 1e-9 * step + 1e-12 * max(1.0, abs(low), abs(high))
    assert all(low - tolerance <= t <= high + tolerance for t in ticks)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert all(math.isclose(g, step, rel_tol=1e-6, abs_tol=4 * tolerance) for g in gaps)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert round(mantissa, 6) in {1, 2, 5}


def test_date_ticks_for_a_three_week_course_fall_on_mondays() -> None:
    ticks = date_ticks(date(2026, 3, 4), date(2026, 3, 25), count=8)  # a Wednesday
    assert ticks == [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    assert date_ticks(date(2026, 3, 4), date(2026, 3, 8), count=8)[0] == date(2026, 3, 4)


def test_date_ticks_for_months_and_years() -> None:
    assert date_ticks(date(2026, 1, 15), date(2026, 7, 1), count=8) == [
        date(2026, m, 1) for m in (2, 3, 4, 5, 6, 7)
    ]
    assert date_ticks(date(2025, 11, 2), date(2026, 11, 1), count=5) == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]
    assert date_ticks(date(2000, 6, 1), date(2030, 1, 1), count=4) == [
        date(2000 + y, 1, 1) for y in (10, 20, 30)
    ]


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(0, 20_000),
    st.integers(1, 12),
)
def test_date_ticks_are_inside_increasing_and_few_enough(
    start: date, days: int, count: int
) -> None:
    end = start + timedelta(days=days)
    ticks = date_ticks(start, end, count=count)
    assert all(start <= t <= end for t in ticks)
    assert all(a < b for a, b in itertools.pairwise(ticks))
    assert len(ticks) <= count
