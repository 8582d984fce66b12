from __future__ import annotations

from ketamine_clinic.charts.paths import coordinate, line_path, polyline_points, step_path


def test_coordinates_have_one_decimal_at_most_and_no_negative_zero() -> None:
    assert [coordinate(v) for v in (12.0, 12.46, 12.44, -0.04, -3.5)] == [
        "12",
        "12.5",
        "12.4",
        "0",
        "-3.5",
    ]


def test_a_series_as_polyline_points_and_a_path() -> None:
    points = [(40.0, 170.0), (60.25, 90.0), (80.0, 10.0)]
    assert polyline_points(points) == "40,170 60.2,90 80,10"
    assert line_path(points) == "M40,170 L60.2,90 L80,10"
    assert line_path([]) == ""


def test_a_step_path_holds_each_level_until_the_next_point() -> None:
    survival = [(0.0, 10.0), (50.0, 40.0), (80.0, 40.0), (120.0, 90.0)]
    assert step_path(survival, end_x=200) == "M0,10 H50 V40 H80 H120 V90 H200"
    assert step_path([]) == ""
