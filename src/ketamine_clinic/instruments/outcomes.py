"""Response and remission, from each instrument's data (clinical.md).

Response: a reduction of at least ``response_reduction_fraction`` (50 %) of the course
baseline total. Remission: a total at or below ``remission_total_at_most`` (PHQ-9 < 5,
GAD-7 < 5, QIDS-SR16 <= 5). An instrument that defines neither raises NotDefined
rather than answer with a rule nobody published.
"""

from __future__ import annotations

from fractions import Fraction

from ketamine_clinic.instruments.definitions import Instrument, get_instrument
from ketamine_clinic.instruments.errors import NotDefined


def _checked_total(instrument: Instrument, name: str, total: int) -> int:
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"{name}: {total!r} is not a whole number")
    if instrument.total_min is None or instrument.total_max is None:
        raise NotDefined(f"{instrument.short_name} has no total")
    if not instrument.total_min <= total <= instrument.total_max:
        raise ValueError(
            f"{name}: {total} is out of range {instrument.total_min}-{instrument.total_max}"
        )
    return total


def reduction_fraction(instrument_key: str, *, baseline_total: int, current_total: int) -> float:
    """How much of the baseline total has gone: 0.5 = halved, negative = worse.

    A baseline of 0 has nothing to reduce: that raises NotDefined instead of a 0 or a
    division error that a report would print as a number.
    """
    instrument = get_instrument(instrument_key)
    baseline = _checked_total(instrument, "baseline_total", baseline_total)
    current = _checked_total(instrument, "current_total", current_total)
    if baseline == 0:
        raise NotDefined("a baseline total of 0 has no reduction to measure")
    return (baseline - current) / baseline


def is_response(instrument_key: str, *, baseline_total: int, current_total: int) -> bool:
    """Whether the total fell by at least the instrument's response fraction (>= 50 %)."""
    instrument = get_instrument(instrument_key)
    fraction = instrument.outcome.response_reduction_fraction
    if fraction is None:
        raise NotDefined(f"{instrument.short_name} defines no response")
    reduction_fraction(instrument_key, baseline_total=baseline_total, current_total=current_total)
    # Exact arithmetic: 10 -> 5 is a response, and float rounding must not say otherwise.
    return Fraction(baseline_total - current_total, baseline_total) >= Fraction(str(fraction))


def is_remission(instrument_key: str, *, total: int) -> bool:
    """Whether ``total`` is in remission (PHQ-9 < 5, GAD-7 < 5, QIDS-SR16 <= 5)."""
    instrument = get_instrument(instrument_key)
    limit = instrument.outcome.remission_total_at_most
    if limit is None:
        raise NotDefined(f"{instrument.short_name} defines no remission")
    return _checked_total(instrument, "total", total) <= limit
