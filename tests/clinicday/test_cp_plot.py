"""The Cp plot's layout: inside its box, y from 0 to a round number, a "now" marker."""

from __future__ import annotations

from ketamine_clinic.clinicday.cp_plot import HEIGHT, WIDTH, cp_plot


def test_nothing_to_draw_gives_none() -> None:
    assert cp_plot([], [], now_min=None, cp_now=None) is None
    assert cp_plot([0.0], [1.0], now_min=None, cp_now=None) is None


def test_the_curve_stays_in_the_box_and_the_axis_is_round() -> None:
    plot = cp_plot([0, 30, 60, 90], [0, 180, 240, 60], now_min=30, cp_now=180)
    assert plot is not None
    for pair in plot.polyline.split():
        x, y = (float(v) for v in pair.split(","))
        assert 0 <= x <= WIDTH and 0 <= y <= HEIGHT
    assert plot.y_ticks[0].label == "0"
    assert plot.y_ticks[-1].label == "250"
    assert [t.label for t in plot.x_ticks][:2] == ["0", "20"]
    assert plot.now_x is not None and plot.left < plot.now_x < plot.right_x
    assert plot.now_label == "now 180 ng/mL"


def test_the_peak_sits_at_its_height() -> None:
    plot = cp_plot([0, 10], [0, 100], now_min=None, cp_now=None)
    assert plot is not None
    assert plot.now_x is None
    last_y = float(plot.polyline.split()[-1].split(",")[1])
    assert last_y == plot.top  # 100 is the top tick
