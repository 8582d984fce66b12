"""The server-drawn trend line: points on the instrument's scale, oldest on the left."""

from __future__ import annotations

import pytest

from ketamine_clinic.patients.sparkline import sparkline


def test_points_span_the_box_on_the_instruments_scale() -> None:
    line = sparkline([27, 0, 13.5], low=0, high=27, width=106, height=26, pad=3)

    assert [(p.x, p.y) for p in line.points] == [(3, 3), (53, 23), (103, 13)]
    assert line.polyline == "3.0,3.0 53.0,23.0 103.0,13.0"
    assert line.last is not None and line.last.value == 13.5


def test_one_value_is_a_point_at_the_right_and_none_is_empty() -> None:
    single = sparkline([5], low=0, high=10, width=100, height=20, pad=0)

    assert [(p.x, p.y) for p in single.points] == [(100, 10)]
    assert sparkline([], low=0, high=10).last is None


@pytest.mark.parametrize(("value", "y"), [(-5, 20), (50, 0)])
def test_values_off_the_scale_sit_on_its_edge(value: float, y: float) -> None:
    line = sparkline([value], low=0, high=10, width=100, height=20, pad=0)

    assert line.points[0].y == y
