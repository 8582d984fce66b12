"""Ticks a reader can count along: numbers in steps of 1, 2 or 5 times a power of ten,
and dates on day, week, month or year boundaries."""

from __future__ import annotations

import math
from datetime import date, timedelta

NICE_MULTIPLES = (1, 2, 5, 10)


def nice_step(span: float, count: int = 5) -> float:
    """The 1-2-5 step that divides ``span`` into about ``count`` intervals (never more
    than ``count``, so labels do not crowd)."""
    if count < 1:
        raise ValueError(f"count: {count} must be at least 1")
    if not span > 0 or not math.isfinite(span):
        raise ValueError(f"span: {span} must be a positive finite number")
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in NICE_MULTIPLES:
        step = multiple * power
        # Allow for float error: 27 / 5 = 5.4 must give 10, 30 / 5 = 6 gives 10, 25/5 -> 5.
        if step >= raw * (1 - 1e-9):
            return step
    return 10 * power  # pragma: no cover - 10 * power always passes


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def nice_ticks(low: float, high: float, *, count: int = 5, cover: bool = False) -> list[float]:
    """Tick values at multiples of :func:`nice_step`, increasing.

    ``cover=False``: the multiples inside ``low..high`` (an axis fixed to an
    instrument's range 0-27 gets 0, 10, 20). ``cover=True``: from the multiple at or
    below ``low`` to the one at or above ``high``, so the ticks span the data (use the
    ends as the scale's domain).
    """
    if not high > low:
        raise ValueError(f"domain: {low}..{high} is empty or reversed")
    step = nice_step(high - low, count)
    decimals = _decimals(step)
    # Integer multiples of the step, rounded to the step's decimals: 0.1 * 3 must read 0.3.
    if cover:
        first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    else:
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(k * step, decimals) + 0.0 for k in range(first, last + 1)]


# Calendar steps, finest first: (days, months). Weeks start on Monday (ISO).
_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_ticks(start: date, end: date, *, count: int = 8) -> list[date]:
    """At most ``count`` dates inside ``start..end`` on calendar boundaries, increasing.

    Days, every other day, Mondays, every other Monday, then first days of months (1, 2,
    3 or 6 apart) and of years: the finest that gives no more than ``count``.
    """
    if count < 1:
        raise ValueError(f"count: {count} must be at least 1")
    if end < start:
        raise ValueError(f"dates: {start}..{end} is reversed")
    for days in _DAY_STEPS:
        # A week step starts on the first Monday in range.
        first = start + timedelta(days=(7 - start.weekday()) % 7) if days >= 7 else start
        found = []
        day = first
        while day <= end:
            found.append(day)
            day += timedelta(days=days)
        if len(found) <= count:
            return found
    for months in _MONTH_STEPS:
        first = start if start.day == 1 else _add_months(start, 1)
        # Align to the step (quarters start in Jan, Apr, Jul, Oct).
        while (first.month - 1) % months:
            first = _add_months(first, 1)
        found = []
        day = first
        while day <= end:
            found.append(day)
            day = _add_months(day, months)
        if len(found) <= count:
            return found
    span_years = end.year - start.year + 1
    every = max(1, math.ceil(nice_step(span_years, count)))
    first_year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    while True:
        aligned = first_year + (-first_year) % every
        found = [date(year, 1, 1) for year in range(aligned, end.year + 1, every)]
        if len(found) <= count:
            return found
        every *= 2
