from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ketamine_clinic.charts.frame import Frame
from ketamine_clinic.charts.scales import LinearScale, TimeScale, band_scale, day_number


def test_a_y_scale_built_bottom_first_puts_zero_at_the_bottom() -> None:
    frame = Frame(width=400, height=200, margin_top=10, margin_bottom=30)
    y = LinearScale(0, 27, frame.bottom, frame.top)
    assert y(0) == 170
    assert y(27) == 10
    assert y(13.5) == pytest.approx(90)
    assert y.invert(90) == pytest.approx(13.5)


def test_clamping_keeps_a_value_outside_the_domain_on_the_edge() -> None:
    assert LinearScale(0, 10, 0, 100)(12) == pytest.approx(120)
    assert LinearScale(0, 10, 0, 100, clamp=True)(12) == 100
    assert LinearScale(0, 10, 0, 100, clamp=True)(-3) == 0


def test_an_empty_domain_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"domain: 5\.\.5 is empty"):
        LinearScale(5, 5, 0, 100)
    with pytest.raises(ValueError, match="time domain"):
        TimeScale(date(2026, 3, 2), date(2026, 3, 1), 0, 100)


def test_a_time_scale_places_dates_and_datetimes_on_the_same_day_axis() -> None:
    x = TimeScale(date(2026, 3, 1), date(2026, 3, 21), 40, 440)  # 20 days over 400 px
    assert x(date(2026, 3, 1)) == 40
    assert x(date(2026, 3, 11)) == pytest.approx(240)
    assert x(datetime(2026, 3, 11, 12, 0, tzinfo=UTC)) == pytest.approx(250)
    assert x(date(2026, 3, 21)) == pytest.approx(440)


def test_a_datetime_is_read_on_its_own_wall_clock() -> None:
    eastern = timezone(timedelta(hours=-5))
    evening = datetime(2026, 3, 1, 18, 0, tzinfo=eastern)  # 23:00 UTC, same local day
    assert day_number(evening) == pytest.approx(date(2026, 3, 1).toordinal() + 0.75)


def test_band_scale_leaves_half_a_gap_at_each_end() -> None:
    bands = band_scale(["a", "b", "c", "d"], 0, 400, padding=0.5)
    assert [b.start for b in bands] == [25, 125, 225, 325]
    assert {b.width for b in bands} == {50}
    assert bands[1].centre == 150
    assert band_scale([], 0, 100) == []
    with pytest.raises(ValueError, match="padding"):
        band_scale(["a"], 0, 100, padding=1.0)


def test_a_frame_without_room_for_a_plot_is_refused() -> None:
    with pytest.raises(ValueError, match="no plot area"):
        Frame(width=30, height=100)
