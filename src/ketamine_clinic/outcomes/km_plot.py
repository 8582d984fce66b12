"""A Kaplan-Meier curve as SVG geometry: the template draws it with presentation
attributes (no script, no inline style), so it prints and works under the strict CSP.

Pure Python, on the shared ``charts`` scales, ticks and step paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ketamine_clinic.charts.frame import Frame
from ketamine_clinic.charts.paths import coordinate, step_path
from ketamine_clinic.charts.scales import LinearScale
from ketamine_clinic.charts.ticks import nice_ticks
from ketamine_clinic.outcomes.stats import KaplanMeier

# Below the plot: tick labels, the axis title, then the numbers-at-risk row.
FRAME: Final = Frame(
    width=760, height=370, margin_top=36, margin_right=24, margin_bottom=94, margin_left=72
)
AXIS_LABELS_DY: Final = 18
AXIS_TITLE_DY: Final = 40
AT_RISK_DY: Final = 72
CENSOR_TICK_HALF: Final = 5.0


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
    width: float
    height: float
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

    @property
    def y_label_x(self) -> float:
        return self.left - 8

    @property
    def tick_end_y(self) -> float:
        return self.bottom + 5

    @property
    def y_title_y(self) -> float:
        return self.top - 16

    @property
    def x_title_x(self) -> float:
        return (self.left + self.right) / 2


def km_plot(curve: KaplanMeier, *, unit: str = "days") -> KmPlot:
    """Place ``curve`` on a time (x, ``unit``) by survival 0-100 % (y) plot."""
    frame = FRAME
    last_time = max((step.time for step in curve.steps), default=0.0)
    ticks = nice_ticks(0.0, max(last_time, 1.0), count=8, cover=True)
    x = LinearScale(ticks[0], ticks[-1], frame.left, frame.right)
    y = LinearScale(0.0, 1.0, frame.bottom, frame.top)

    levels = [(0.0, 1.0, 1.0, 1.0)]  # time, survival, low, high
    for step in curve.steps:
        if step.events:
            low = step.low if step.low is not None else step.survival
            high = step.high if step.high is not None else step.survival
            levels.append((step.time, step.survival, low, high))
    line = step_path([(x(t), y(s)) for t, s, _, _ in levels], end_x=x(last_time))
    band = ""
    if len(levels) > 1:
        upper = step_path([(x(t), y(h)) for t, _, _, h in levels], end_x=x(last_time))
        back = [f"V{coordinate(y(levels[-1][2]))}"]
        for index in range(len(levels) - 1, 0, -1):
            back.append(f"H{coordinate(x(levels[index][0]))}")
            back.append(f"V{coordinate(y(levels[index - 1][2]))}")
        band = f"{upper} {' '.join(back)} Z"
    censors = tuple(
        CensorMark(
            x=x(step.time),
            y1=y(step.survival) - CENSOR_TICK_HALF,
            y2=y(step.survival) + CENSOR_TICK_HALF,
        )
        for step in curve.steps
        if step.censored
    )
    x_ticks = tuple(
        Tick(position=x(value), label=f"{value:g}", at_risk=curve.at_risk_at(value))
        for value in ticks
    )
    y_ticks = tuple(Tick(position=y(v / 100), label=f"{v}%") for v in (0, 25, 50, 75, 100))
    median = "not reached" if curve.median is None else f"{curve.median:g} {unit}"
    return KmPlot(
        width=frame.width,
        height=frame.height,
        left=frame.left,
        right=frame.right,
        top=frame.top,
        bottom=frame.bottom,
        curve=line,
        band=band,
        censors=censors,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        median_y=y(0.5),
        axis_label_y=frame.bottom + AXIS_LABELS_DY,
        axis_title_y=frame.bottom + AXIS_TITLE_DY,
        at_risk_y=frame.bottom + AT_RISK_DY,
        summary=(
            f"Kaplan-Meier curve of {curve.n} responders: {curve.events} relapsed; "
            f"median time to relapse {median}."
        ),
    )
