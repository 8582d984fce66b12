"""A Kaplan-Meier curve as SVG geometry: the template draws it with presentation
attributes (no script, no inline style), so it prints and works under the strict CSP.

Pure Python. The scale and tick helpers are the minimum this plot needs; when the shared
``charts/`` package (pure linear/time scales, nice ticks) lands, they move there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ketamine_clinic.outcomes.stats import KaplanMeier

WIDTH: Final = 760
PLOT_LEFT: Final = 64
PLOT_RIGHT: Final = 24
PLOT_TOP: Final = 16
PLOT_HEIGHT: Final = 240
# Below the plot: tick labels, the axis title, then the numbers-at-risk row.
AXIS_LABELS_DY: Final = 18
AXIS_TITLE_DY: Final = 40
AT_RISK_DY: Final = 70
HEIGHT: Final = PLOT_TOP + PLOT_HEIGHT + AT_RISK_DY + 14
CENSOR_TICK_HALF: Final = 5.0


def nice_step(span: float, target_ticks: int = 6) -> float:
    """A 1, 2 or 5 x 10^k step that cuts ``span`` into about ``target_ticks`` pieces."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop ends at 10


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str
    at_risk: int = 0


@dataclass(frozen=True, slots=True)
class CensorMark:
    x: float
    y1: float
    y2: float


@dataclass(frozen=True, slots=True)
class KmPlot:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    curve: str  # the `d` of the step line
    band: str  # the `d` of the 95 % band, closed (empty when there is none)
    censors: tuple[CensorMark, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    median_y: float
    axis_label_y: float
    axis_title_y: float
    at_risk_y: float
    summary: str  # the text alternative for screen readers


def km_plot(curve: KaplanMeier, *, x_label: str = "days") -> KmPlot:
    """Place ``curve`` on a days (x) by survival 0-100 % (y) plot."""
    left, right = float(PLOT_LEFT), float(WIDTH - PLOT_RIGHT)
    top, bottom = float(PLOT_TOP), float(PLOT_TOP + PLOT_HEIGHT)
    last_time = max((step.time for step in curve.steps), default=0.0)
    step_days = nice_step(max(last_time, 1.0))
    x_max = step_days * max(1, math.ceil(last_time / step_days))

    def x_of(days: float) -> float:
        return left + (right - left) * days / x_max

    def y_of(survival: float) -> float:
        return bottom - (bottom - top) * survival

    points = [f"M{x_of(0):.1f},{y_of(1.0):.1f}"]
    upper = [(0.0, 1.0)]
    lower = [(0.0, 1.0)]
    for step in curve.steps:
        if step.events:
            points.append(f"H{x_of(step.time):.1f}V{y_of(step.survival):.1f}")
            upper.append((step.time, step.high if step.high is not None else step.survival))
            lower.append((step.time, step.low if step.low is not None else step.survival))
    points.append(f"H{x_of(last_time):.1f}")
    band = ""
    if len(upper) > 1:
        band = _band_path(upper, lower, last_time, x_of, y_of)
    censors = tuple(
        CensorMark(
            x=x_of(step.time),
            y1=y_of(step.survival) - CENSOR_TICK_HALF,
            y2=y_of(step.survival) + CENSOR_TICK_HALF,
        )
        for step in curve.steps
        if step.censored
    )
    ticks_count = round(x_max / step_days)
    x_ticks = tuple(
        Tick(
            position=x_of(index * step_days),
            label=f"{index * step_days:g}",
            at_risk=curve.at_risk_at(index * step_days),
        )
        for index in range(ticks_count + 1)
    )
    y_ticks = tuple(Tick(position=y_of(v / 100), label=f"{v}%") for v in (0, 25, 50, 75, 100))
    median = "not reached" if curve.median is None else f"{curve.median:g} {x_label}"
    return KmPlot(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        curve="".join(points),
        band=band,
        censors=censors,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        median_y=y_of(0.5),
        axis_label_y=bottom + AXIS_LABELS_DY,
        axis_title_y=bottom + AXIS_TITLE_DY,
        at_risk_y=bottom + AT_RISK_DY,
        summary=(
            f"Kaplan-Meier curve of {curve.n} responders, {curve.events} relapses, "
            f"median time to relapse {median}."
        ),
    )


def _band_path(
    upper: list[tuple[float, float]],
    lower: list[tuple[float, float]],
    last_time: float,
    x_of: Callable[[float], float],
    y_of: Callable[[float], float],
) -> str:
    """The band as one closed shape: along the upper steps, back along the lower."""
    forward = [f"M{x_of(0):.1f},{y_of(1.0):.1f}"]
    for time, value in upper[1:]:
        forward.append(f"H{x_of(time):.1f}V{y_of(value):.1f}")
    forward.append(f"H{x_of(last_time):.1f}V{y_of(lower[-1][1]):.1f}")
    for index in range(len(lower) - 1, 0, -1):
        time = lower[index][0]
        previous = lower[index - 1][1]
        forward.append(f"H{x_of(time):.1f}V{y_of(previous):.1f}")
    forward.append("Z")
    return "".join(forward)
