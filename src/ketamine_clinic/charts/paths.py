"""A series of pixel points as the strings SVG reads: ``points`` and path ``d``."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def coordinate(value: float) -> str:
    """A pixel value with at most one decimal (``12``, ``12.5``), never ``-0``.

    A tenth of a pixel is finer than any screen or printer draws; fewer digits keep
    the page small.
    """
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def polyline_points(points: Sequence[Point]) -> str:
    """The ``points`` attribute of a ``<polyline>``: ``"x,y x,y"``."""
    return " ".join(f"{coordinate(x)},{coordinate(y)}" for x, y in points)


def line_path(points: Sequence[Point]) -> str:
    """The ``d`` of a ``<path>`` through the points in order (empty for none)."""
    return " ".join(
        f"{'M' if index == 0 else 'L'}{coordinate(x)},{coordinate(y)}"
        for index, (x, y) in enumerate(points)
    )


def step_path(points: Sequence[Point], *, end_x: float | None = None) -> str:
    """A step curve (a Kaplan-Meier survival curve): level until the next x, then drop.

    Each value holds from its x to the next point's x; ``end_x`` carries the last level
    on to the end of follow-up.
    """
    if not points:
        return ""
    commands = [f"M{coordinate(points[0][0])},{coordinate(points[0][1])}"]
    previous_y = points[0][1]
    for x, y in points[1:]:
        commands.append(f"H{coordinate(x)}")
        if y != previous_y:
            commands.append(f"V{coordinate(y)}")
        previous_y = y
    if end_x is not None:
        commands.append(f"H{coordinate(end_x)}")
    return " ".join(commands)
