"""The predicted plasma concentration curve, laid out on the server as SVG numbers.

Pure Python, no Django: the template draws a ``<polyline>``, axes and ticks from these
coordinates with presentation attributes only, so the curve shows under the strict CSP
(no inline style, no script) and with JavaScript off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 40


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x for the time axis, y for the concentration axis
    label: str


@dataclass(frozen=True, slots=True)
class CpPlot:
    width: int
    height: int
    left: int
    top: int
    right_x: int
    bottom_y: int
    polyline: str
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    now_x: float | None
    now_y: float | None
    now_label: str
    now_label_x: float  # beside the marker, on the side with room for the text
    now_anchor: str  # SVG text-anchor: "start" or "end"


def _nice_step(span: float, target_ticks: int) -> float:
    """A 1-2-5 step giving about ``target_ticks`` intervals over ``span``."""
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def cp_plot(
    t_min: Sequence[float],
    cp_ng_per_ml: Sequence[float],
    *,
    now_min: float | None,
    cp_now: float | None,
) -> CpPlot | None:
    """Scale the curve into the plot box; None when there is nothing to draw.

    The y axis starts at 0 and ends at a round number above the peak, so the height of
    the line reads as concentration rather than as the data's own range.
    """
    if len(t_min) < 2 or len(t_min) != len(cp_ng_per_ml):
        return None
    t_end = max(t_min[-1], 1.0)
    peak = max(max(cp_ng_per_ml), cp_now or 0.0, 1.0)
    y_step = _nice_step(peak, 5)
    y_top = y_step * math.ceil(peak / y_step)
    right_x, bottom_y = WIDTH - RIGHT, HEIGHT - BOTTOM
    inner_w, inner_h = right_x - LEFT, bottom_y - TOP

    def x_of(t: float) -> float:
        return LEFT + inner_w * min(max(t / t_end, 0.0), 1.0)

    def y_of(cp: float) -> float:
        return bottom_y - inner_h * min(max(cp / y_top, 0.0), 1.0)

    points = " ".join(
        f"{x_of(t):.1f},{y_of(c):.1f}" for t, c in zip(t_min, cp_ng_per_ml, strict=True)
    )
    x_step = _nice_step(t_end, 8)
    x_ticks = [Tick(x_of(i * x_step), f"{i * x_step:g}") for i in range(int(t_end // x_step) + 1)]
    y_ticks = [Tick(y_of(i * y_step), f"{i * y_step:g}") for i in range(int(y_top // y_step) + 1)]
    now_x = x_of(now_min) if now_min is not None else None
    now_y = y_of(cp_now) if cp_now is not None and now_min is not None else None
    return CpPlot(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right_x=right_x,
        bottom_y=bottom_y,
        polyline=points,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        now_x=now_x,
        now_y=now_y,
        now_label=f"now {cp_now:.0f} ng/mL" if cp_now is not None else "now",
        now_label_x=(now_x or LEFT) + (6 if (now_x or LEFT) < LEFT + inner_w / 2 else -6),
        now_anchor="start" if (now_x or LEFT) < LEFT + inner_w / 2 else "end",
    )
