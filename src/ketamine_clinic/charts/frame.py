"""The plot area of an SVG box: the box less its margins, where the data goes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    """A ``width`` x ``height`` px SVG box with margins for axes and labels.

    The margins hold the tick labels, so they are the caller's choice: a y axis with
    two-digit labels needs about 28 px on the left.
    """

    width: float
    height: float
    margin_top: float = 8.0
    margin_right: float = 8.0
    margin_bottom: float = 24.0
    margin_left: float = 32.0

    def __post_init__(self) -> None:
        if self.inner_width <= 0 or self.inner_height <= 0:
            raise ValueError(
                f"frame: margins leave no plot area in {self.width} x {self.height} px"
            )

    @property
    def left(self) -> float:
        return self.margin_left

    @property
    def right(self) -> float:
        return self.width - self.margin_right

    @property
    def top(self) -> float:
        return self.margin_top

    @property
    def bottom(self) -> float:
        return self.height - self.margin_bottom

    @property
    def inner_width(self) -> float:
        return self.width - self.margin_left - self.margin_right

    @property
    def inner_height(self) -> float:
        return self.height - self.margin_top - self.margin_bottom
