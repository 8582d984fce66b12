"""The infusion program: piecewise-constant rates and instantaneous boluses.

Rates are in mg/h of drug (base) because pumps and the clinic's doses are per hour
(mg/kg/h, mL/h); times are seconds from the start of the program. A program is an
immutable value; editing returns a new one.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import InvalidProgram

S_PER_H: Final = 3600.0

_NUMBER: Final = r"(\d+(?:\.\d*)?|\.\d+)"
_UNIT: Final = r"(mg/kg/h|mg/kg/min|mg/h|mg/min)"
_PERCENT_RE: Final = re.compile(rf"^([+-])\s*{_NUMBER}\s*%$")
_DELTA_RE: Final = re.compile(rf"^([+-])\s*{_NUMBER}\s*{_UNIT}$")
_SET_RE: Final = re.compile(rf"^set\s+{_NUMBER}\s*{_UNIT}$")

CHANGE_SYNTAX_HELP: Final = (
    'expected "+10%", "-10%", "+0.05 mg/kg/h", "-2 mg/h", "set 0.6 mg/kg/h", '
    '"pause", "resume" or "stop" (units: mg/h, mg/min, mg/kg/h, mg/kg/min)'
)


def _as_float_tuple(name: str, values: Iterable[float]) -> tuple[float, ...]:
    out: list[float] = []
    for i, v in enumerate(values):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InvalidProgram(f"{name}[{i}]", "must be a number") from None
        if not math.isfinite(f):
            raise InvalidProgram(f"{name}[{i}]", "must be finite")
        out.append(f)
    return tuple(out)


def _check_times(name: str, times: tuple[float, ...]) -> None:
    for i, t in enumerate(times):
        if t < 0:
            raise InvalidProgram(f"{name}[{i}]", "must be >= 0 s")
        if i > 0 and t <= times[i - 1]:
            raise InvalidProgram(f"{name}[{i}]", "times must be strictly increasing")


@dataclass(frozen=True, slots=True)
class InfusionProgram:
    """Piecewise-constant infusion rates and instantaneous boluses.

    Parameters
    ----------
    rate_change_times_s : sequence of float
        Times (s from start, >= 0, strictly increasing) at which the rate changes.
    rates_mg_per_h : sequence of float
        ``rates_mg_per_h[i]`` (>= 0) holds from ``rate_change_times_s[i]`` until the next
        change; the last rate holds for ever. Before the first change the rate is 0.
    bolus_times_s : sequence of float
        Times of instantaneous boluses (s, >= 0, strictly increasing).
    boluses_mg : sequence of float
        Bolus amounts, mg (>= 0), into the central compartment.

    Raises
    ------
    InvalidProgram
        Naming the field (``"rates_mg_per_h[2]"``) and the reason.

    Examples
    --------
    35 mg over 55 min, then nothing:

    >>> p = InfusionProgram((0.0, 3300.0), (35 / 55 * 60, 0.0))
    >>> round(p.dose_mg_until(3600.0), 6)
    35.0
    """

    rate_change_times_s: tuple[float, ...] = field(default=())
    rates_mg_per_h: tuple[float, ...] = field(default=())
    bolus_times_s: tuple[float, ...] = field(default=())
    boluses_mg: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        times = _as_float_tuple("rate_change_times_s", self.rate_change_times_s)
        rates = _as_float_tuple("rates_mg_per_h", self.rates_mg_per_h)
        b_times = _as_float_tuple("bolus_times_s", self.bolus_times_s)
        b_doses = _as_float_tuple("boluses_mg", self.boluses_mg)
        if len(times) != len(rates):
            raise InvalidProgram(
                "rates_mg_per_h",
                f"needs one rate per change time ({len(rates)} rates, {len(times)} times)",
            )
        if len(b_times) != len(b_doses):
            raise InvalidProgram(
                "boluses_mg",
                f"needs one dose per bolus time ({len(b_doses)} doses, {len(b_times)} times)",
            )
        _check_times("rate_change_times_s", times)
        _check_times("bolus_times_s", b_times)
        for i, r in enumerate(rates):
            if r < 0:
                raise InvalidProgram(f"rates_mg_per_h[{i}]", "must be >= 0 mg/h")
        for i, d in enumerate(b_doses):
            if d < 0:
                raise InvalidProgram(f"boluses_mg[{i}]", "must be >= 0 mg")
        object.__setattr__(self, "rate_change_times_s", times)
        object.__setattr__(self, "rates_mg_per_h", rates)
        object.__setattr__(self, "bolus_times_s", b_times)
        object.__setattr__(self, "boluses_mg", b_doses)

    def rate_mg_per_h_at(self, t_s: float) -> float:
        """The rate in effect at ``t_s`` (a change at ``t_s`` already applies)."""
        i = bisect.bisect_right(self.rate_change_times_s, t_s) - 1
        return 0.0 if i < 0 else self.rates_mg_per_h[i]

    def dose_mg_until(self, t_s: float) -> float:
        """Total drug given from 0 to ``t_s`` (boluses at ``t_s`` included), mg."""
        total = sum(
            d for tb, d in zip(self.bolus_times_s, self.boluses_mg, strict=True) if tb <= t_s
        )
        times = self.rate_change_times_s
        for i, (start, rate) in enumerate(zip(times, self.rates_mg_per_h, strict=True)):
            end = times[i + 1] if i + 1 < len(times) else math.inf
            overlap = min(end, t_s) - start
            if overlap > 0:
                total += rate * overlap / S_PER_H
        return total

    def scaled(self, factor: float) -> InfusionProgram:
        """Every rate and bolus multiplied by ``factor`` (>= 0)."""
        return InfusionProgram(
            self.rate_change_times_s,
            tuple(r * factor for r in self.rates_mg_per_h),
            self.bolus_times_s,
            tuple(d * factor for d in self.boluses_mg),
        )

    def with_bolus(self, t_s: float, dose_mg: float) -> InfusionProgram:
        """A copy with one more bolus (added to an existing bolus at the same time)."""
        times = list(self.bolus_times_s)
        doses = list(self.boluses_mg)
        if t_s in times:
            doses[times.index(t_s)] += dose_mg
        else:
            i = bisect.bisect_left(times, t_s)
            times.insert(i, t_s)
            doses.insert(i, dose_mg)
        return InfusionProgram(
            self.rate_change_times_s, self.rates_mg_per_h, tuple(times), tuple(doses)
        )

    def with_rate(self, t_s: float, rate_mg_per_h: float) -> InfusionProgram:
        """A copy whose rate becomes ``rate_mg_per_h`` at ``t_s`` (until the next change)."""
        times = list(self.rate_change_times_s)
        rates = list(self.rates_mg_per_h)
        if t_s in times:
            rates[times.index(t_s)] = rate_mg_per_h
        else:
            i = bisect.bisect_left(times, t_s)
            times.insert(i, t_s)
            rates.insert(i, rate_mg_per_h)
        return InfusionProgram(tuple(times), tuple(rates), self.bolus_times_s, self.boluses_mg)

    def change_times_array_s(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.rate_change_times_s, dtype=np.float64)

    def rates_array_mg_per_h(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.rates_mg_per_h, dtype=np.float64)


def constant_infusion(
    dose_mg: float, duration_s: float, *, start_s: float = 0.0
) -> InfusionProgram:
    """Give ``dose_mg`` at a constant rate over ``duration_s``, then stop.

    Examples
    --------
    >>> constant_infusion(35.0, 55 * 60).rates_mg_per_h
    (38.18181818181818, 0.0)
    """
    for name, value in (("dose_mg", dose_mg), ("duration_s", duration_s), ("start_s", start_s)):
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidProgram(name, "must be a finite number")
    if dose_mg < 0:
        raise InvalidProgram("dose_mg", "must be >= 0 mg")
    if duration_s <= 0:
        raise InvalidProgram("duration_s", "must be > 0 s")
    if start_s < 0:
        raise InvalidProgram("start_s", "must be >= 0 s")
    return InfusionProgram((start_s, start_s + duration_s), (dose_mg / duration_s * S_PER_H, 0.0))


def _rate_in_mg_per_h(value: float, unit: str, weight_kg: float | None, field_name: str) -> float:
    if "/kg/" in unit:
        if weight_kg is None:
            raise InvalidProgram(field_name, f"a dose in {unit} needs the patient's weight_kg")
        if not math.isfinite(weight_kg) or weight_kg <= 0:
            raise InvalidProgram("weight_kg", "must be a finite number > 0")
        value *= weight_kg
    return value * 60.0 if unit.endswith("/min") else value


def apply_rate_changes(
    program: InfusionProgram,
    changes: Sequence[tuple[float, str]],
    *,
    weight_kg: float | None = None,
) -> InfusionProgram:
    """Apply titration steps to a program, as a nurse would at the pump.

    Parameters
    ----------
    program : InfusionProgram
    changes : sequence of (t_s, text)
        Applied in time order (ties in the given order). ``text`` is one of
        ``"+10%"`` / ``"-10%"`` (relative to the rate in effect at ``t_s``),
        ``"+0.05 mg/kg/h"`` / ``"-2 mg/h"`` (added to it), ``"set 0.6 mg/kg/h"``,
        ``"pause"`` (rate 0), ``"resume"`` (back to the rate before the latest pause) or
        ``"stop"`` (rate 0, nothing to resume). Units: mg/h, mg/min, mg/kg/h, mg/kg/min.
    weight_kg : float, optional
        Needed by the per-kg forms.

    Returns
    -------
    InfusionProgram
        A new program. Each change holds until the next change, edited or already
        scheduled (so the program's planned stop still stops the infusion).

    Raises
    ------
    InvalidProgram
        ``field`` is ``"changes[i]"``: unreadable text, a negative result, ``resume``
        without a pause, a per-kg form without the weight, a bad time.

    Examples
    --------
    >>> p = constant_infusion(35.0, 3300.0)
    >>> q = apply_rate_changes(p, [(600.0, "+10%"), (1200.0, "pause"), (1500.0, "resume")])
    >>> round(q.rate_mg_per_h_at(1600.0), 3)
    42.0
    """
    indexed = sorted(enumerate(changes), key=lambda item: float(item[1][0]))
    paused_rate: float | None = None
    result = program
    for i, (t_raw, text_raw) in indexed:
        where = f"changes[{i}]"
        try:
            t_s = float(t_raw)
        except (TypeError, ValueError):
            raise InvalidProgram(where, "time must be a number of seconds") from None
        if not math.isfinite(t_s) or t_s < 0:
            raise InvalidProgram(where, "time must be a finite number of seconds >= 0")
        text = " ".join(str(text_raw).strip().lower().split())
        current = result.rate_mg_per_h_at(t_s)
        if text == "pause":
            if current > 0:
                paused_rate = current
            new_rate = 0.0
        elif text == "resume":
            if paused_rate is None:
                raise InvalidProgram(where, "resume without an earlier pause")
            new_rate, paused_rate = paused_rate, None
        elif text == "stop":
            new_rate, paused_rate = 0.0, None
        elif match := _PERCENT_RE.match(text):
            sign = 1.0 if match.group(1) == "+" else -1.0
            new_rate = current * (1.0 + sign * float(match.group(2)) / 100.0)
        elif match := _DELTA_RE.match(text):
            sign = 1.0 if match.group(1) == "+" else -1.0
            delta = _rate_in_mg_per_h(float(match.group(2)), match.group(3), weight_kg, where)
            new_rate = current + sign * delta
        elif match := _SET_RE.match(text):
            new_rate = _rate_in_mg_per_h(float(match.group(1)), match.group(2), weight_kg, where)
        else:
            raise InvalidProgram(where, f"cannot read {text_raw!r}; {CHANGE_SYNTAX_HELP}")
        if new_rate < -1e-12:
            raise InvalidProgram(
                where, f"{text_raw!r} would make the rate negative ({new_rate:g} mg/h)"
            )
        result = result.with_rate(t_s, max(new_rate, 0.0))
    return result
