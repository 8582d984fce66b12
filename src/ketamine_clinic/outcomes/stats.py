"""The two statistics the outcome dashboard prints: a proportion's Wilson interval and a
Kaplan-Meier survival curve with right censoring.

Pure Python (no Django, no numpy), so the numbers can be checked against scipy in the
tests and reused by any report. Both are the textbook estimators; the references are
in each docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

# The two-sided 95 % normal quantile, computed rather than typed (1.959963984540054).
Z_95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True, slots=True)
class Proportion:
    """k of n with its point estimate and Wilson 95 % interval (all as fractions 0-1)."""

    k: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None

    @property
    def percent(self) -> float | None:
        return None if self.estimate is None else 100.0 * self.estimate


def wilson_interval(k: int, n: int, *, z: float = Z_95) -> Proportion:
    """k successes of n with the Wilson score interval (no continuity correction).

    Why Wilson: unlike the normal ("Wald") interval it stays inside [0, 1] and keeps
    close to its nominal coverage at the small n of a breakdown row and at 0 % or 100 %
    (Brown, Cai & DasGupta, Stat Sci 2001;16:101). n = 0 has no proportion: every field
    but k and n is None, never a 0 % a page would print.

    Notes
    -----
    centre = (p + z^2 / 2n) / (1 + z^2 / n),
    half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
    (Wilson EB, J Am Stat Assoc 1927;22:209).

    Examples
    --------
    >>> round(wilson_interval(6, 10).low, 4), round(wilson_interval(6, 10).high, 4)
    (0.3127, 0.8318)
    """
    if (
        isinstance(k, bool)
        or isinstance(n, bool)
        or not isinstance(k, int)
        or not isinstance(n, int)
    ):
        raise TypeError("k and n: whole numbers")
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"k={k}, n={n}: need 0 <= k <= n")
    if n == 0:
        return Proportion(k=0, n=0, estimate=None, low=None, high=None)
    p = k / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    # At k = 0 or k = n the exact bound is 0 or 1; floating point may miss it by 1e-17.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(k=k, n=n, estimate=p, low=low, high=high)


@dataclass(frozen=True, slots=True)
class SurvivalStep:
    """The curve just after ``time``: ``survival`` with its 95 % band (None where the
    log-log band is undefined: survival 1 or 0)."""

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A Kaplan-Meier curve: one step per distinct time with an event or a censoring."""

    n: int
    events: int
    steps: tuple[SurvivalStep, ...]
    median: float | None
    median_low: float | None
    median_high: float | None

    def survival_at(self, time: float) -> float:
        """S(time): the curve is right-continuous, 1 before the first event."""
        value = 1.0
        for step in self.steps:
            if step.time > time:
                break
            value = step.survival
        return value

    def band_at(self, time: float) -> tuple[float | None, float | None]:
        """The 95 % band of S(time) (None before the first event, where S is 1)."""
        band: tuple[float | None, float | None] = (None, None)
        for step in self.steps:
            if step.time > time:
                break
            band = (step.low, step.high)
        return band

    def followed_to(self, time: float) -> bool:
        """Whether anyone was still followed at ``time`` (else S(time) is not estimated)."""
        return any(step.time >= time for step in self.steps)

    def at_risk_at(self, time: float) -> int:
        """How many were still followed (no event, not censored) just before ``time``."""
        for step in self.steps:
            if step.time >= time:
                return step.at_risk
        return 0

    @property
    def censor_times(self) -> tuple[float, ...]:
        return tuple(step.time for step in self.steps if step.censored)


def kaplan_meier(times: Sequence[float], events: Sequence[bool], *, z: float = Z_95) -> KaplanMeier:
    """The Kaplan-Meier estimate of S(t) from right-censored times.

    ``times[i]`` is when subject i had the event (``events[i]`` True) or was last seen
    without it (False, censored). At a time with both, the events come first: a subject
    censored at t was at risk at t (the usual convention, and scipy's).

    The 95 % band is Greenwood's variance on the log(-log S) scale (Kalbfleisch &
    Prentice 1980), which stays inside (0, 1); the median is the first time S(t) <= 0.5
    (None, "not reached", when the curve never gets there) and its interval the times
    where the band's lower and upper limits first reach 0.5 (Brookmeyer & Crowley,
    Biometrics 1982;38:29), None when a limit never does.

    Notes
    -----
    S(t) = prod_{t_i <= t} (1 - d_i / n_i);
    Var[log(-log S)] = sum d_i / (n_i (n_i - d_i)) / (log S)^2;
    band = S ** exp(+-z sqrt(Var)).
    """
    if len(times) != len(events):
        raise ValueError(f"times ({len(times)}) and events ({len(events)}) differ in length")
    for time in times:
        if not math.isfinite(time) or time < 0:
            raise ValueError(f"times: {time!r} is not a finite time >= 0")
    counts: dict[float, list[int]] = {}
    for time, event in zip(times, events, strict=True):
        tally = counts.setdefault(float(time), [0, 0])
        tally[0 if event else 1] += 1
    at_risk = len(times)
    survival = 1.0
    greenwood = 0.0
    steps: list[SurvivalStep] = []
    for time in sorted(counts):
        died, censored = counts[time]
        if died:
            survival *= 1.0 - died / at_risk
            if at_risk > died:
                greenwood += died / (at_risk * (at_risk - died))
        low, high = _log_log_band(survival, greenwood, z)
        steps.append(
            SurvivalStep(
                time=time,
                at_risk=at_risk,
                events=died,
                censored=censored,
                survival=survival,
                low=low,
                high=high,
            )
        )
        at_risk -= died + censored
    return KaplanMeier(
        n=len(times),
        events=sum(1 for event in events if event),
        steps=tuple(steps),
        median=_first_time_at_or_below(steps, lambda s: s.survival),
        # The lower band reaches 0.5 first, so it gives the interval's lower end.
        median_low=_first_time_at_or_below(steps, lambda s: s.low),
        median_high=_first_time_at_or_below(steps, lambda s: s.high),
    )


def _log_log_band(survival: float, greenwood: float, z: float) -> tuple[float | None, float | None]:
    if survival <= 0.0 or survival >= 1.0:
        return None, None
    log_s = math.log(survival)
    spread = z * math.sqrt(greenwood) / abs(log_s)
    # S ** exp(+spread) is the lower limit (S < 1, so a larger power is smaller).
    return survival ** math.exp(spread), survival ** math.exp(-spread)


def _first_time_at_or_below(
    steps: Sequence[SurvivalStep],
    value_of: Callable[[SurvivalStep], float | None],
    threshold: float = 0.5,
) -> float | None:
    for step in steps:
        if not step.events:
            continue
        value = value_of(step)
        if value is None:
            # The band is undefined once S reaches 0: both limits are 0 from there on.
            value = step.survival if step.survival <= 0.0 else None
        if value is not None and value <= threshold:
            return step.time
    return None
