"""A small trend line drawn on the server as SVG coordinates (no script, no inline style).

The template draws a `<polyline>` with presentation attributes from these numbers, so
the chart shows a trend even with JavaScript off and under the strict CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SparkPoint:
    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Sparkline:
    """Points in a `width` x `height` box, y growing downwards as SVG's does."""

    width: int
    height: int
    points: list[SparkPoint]

    @property
    def polyline(self) -> str:
        """The `points` attribute of an SVG polyline: "x,y x,y ..."."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last(self) -> SparkPoint | None:
        return self.points[-1] if self.points else None


def sparkline(
    values: Sequence[float],
    *,
    low: float,
    high: float,
    width: int = 120,
    height: int = 32,
    pad: float = 3.0,
) -> Sparkline:
    """Place `values` (oldest first) evenly across the box on the scale `low`..`high`.

    The scale is the instrument's range, not the data's, so a flat line at 20 reads as
    severe and a flat line at 3 as minimal; values outside it are clamped to the edge.
    One value is drawn as a single point at the right-hand end.
    """
    span = high - low if high > low else 1.0
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    count = len(values)
    points = []
    for index, value in enumerate(values):
        x = pad + (inner_w * index / (count - 1) if count > 1 else inner_w)
        fraction = min(max((value - low) / span, 0.0), 1.0)
        points.append(SparkPoint(x=x, y=pad + inner_h * (1.0 - fraction), value=value))
    return Sparkline(width=width, height=height, points=points)
