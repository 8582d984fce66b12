"""The trajectory plot's geometry: known answers for where each thing is drawn."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from ketamine_clinic.instruments.definitions import get_instrument
from ketamine_clinic.outcomes.patient_plots import (
    CHART_SIZE,
    REPORT_SIZE,
    PlotSize,
    trajectory_plot,
)
from ketamine_clinic.outcomes.patient_selectors import (
    InfusionMark,
    Phase,
    ScorePoint,
    Standing,
    Trajectory,
    Verdict,
)

NEW_YORK = ZoneInfo("America/New_York")
UNJUDGED = Verdict(name="", definition="", source="", met=None)


def local(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NEW_YORK)


def point(day: int, total: int, phase: Phase = Phase.COURSE, hour: int = 10) -> ScorePoint:
    return ScorePoint(
        response_id=day, taken_at=local(day, hour), total=total, band_label="", phase=phase
    )


def phq9(points: list[ScorePoint], baseline: ScorePoint | None) -> Trajectory:
    instrument = get_instrument("phq9")
    return Trajectory(
        key="phq9",
        short_name="PHQ-9",
        name=instrument.name,
        source=instrument.source,
        validated=True,
        notes=(),
        total_min=0,
        total_max=27,
        bands=instrument.bands,
        cutoffs=(),
        points=tuple(points),
        standing=Standing(
            baseline=baseline,
            latest=points[-1],
            change=None,
            reduction_percent=None,
            response=UNJUDGED,
            remission=UNJUDGED,
            meaningful_change=UNJUDGED,
        ),
    )


def infusion(number: int, day: int) -> InfusionMark:
    return InfusionMark(
        visit_id=number,
        course_id=1,
        number_in_course=number,
        started_at=local(day, 10, 20),
        dose_mg_per_kg_ordered=Decimal("0.5"),
        delivered_mg=36.2,
        delivered_mg_per_kg=0.5,
        infusing_min=55.0,
    )


COURSE = [infusion(n, d) for n, d in enumerate((3, 6, 10, 13, 17, 20), start=1)]
BASELINE = point(3, 20, Phase.BEFORE, hour=9)
POINTS = [BASELINE, point(10, 14), point(20, 4)]


@override_settings(TIME_ZONE="America/New_York")
def test_the_tick_for_infusion_3_is_at_its_start_on_the_time_axis() -> None:
    plot = trajectory_plot(phq9(POINTS, BASELINE), COURSE, CHART_SIZE)

    # Axis: 1 March (the first date less 2 days) to 23 March (the last plus 3) over the
    # plot's 280 px (320 wide, margins 30 and 10). Infusion 3 starts 10 March 10:20:
    # 9 days + 620/1440 of a day after the axis starts: 30 + 280 x 9.4306 / 22 = 150.0.
    tick = plot.infusions[2]
    assert (tick.label, tick.x) == ("3", "150")
    assert tick.title == "Infusion 3 on 2026-03-10"
    assert [t.label for t in plot.infusions] == ["1", "2", "3", "4", "5", "6"]


@override_settings(TIME_ZONE="America/New_York")
def test_the_score_axis_runs_the_instruments_range_bottom_up() -> None:
    plot = trajectory_plot(phq9(POINTS, BASELINE), COURSE, CHART_SIZE)

    # 190 px tall, margins 22 top and bottom: 0 at y = 168, 27 at y = 22.
    assert (plot.top, plot.bottom) == ("22", "168")
    assert [(t.label, t.at) for t in plot.y_ticks] == [
        ("0", "168"), ("10", "113.9"), ("20", "59.9"),
    ]  # fmt: skip
    assert plot.baseline is not None
    assert (plot.baseline.y, plot.baseline.label) == ("59.9", "baseline 20")
    # x: 30 + 280 x days / 22 for 3 March 09:00 (2.375 days: 60.2), 10 March 10:00
    # (9.4167: 149.8), 20 March 10:00 (19.4167: 277.1); y: 168 - 146 x total / 27.
    assert plot.line == "60.2,59.9 149.8,92.3 277.1,146.4"


@override_settings(TIME_ZONE="America/New_York")
def test_severity_bands_meet_and_fill_the_axis() -> None:
    plot = trajectory_plot(phq9(POINTS, BASELINE), COURSE, REPORT_SIZE)

    tops = [float(b.y) for b in plot.bands]
    bottoms = [float(b.y) + float(b.height) for b in plot.bands]
    assert bottoms[0] == pytest.approx(float(plot.bottom), abs=0.1)
    assert tops[-1] == pytest.approx(float(plot.top), abs=0.1)
    for upper_bottom, lower_top in zip(bottoms[1:], tops, strict=False):
        assert upper_bottom == pytest.approx(lower_top, abs=0.1)  # no gap, no overlap
    assert [b.label for b in plot.bands] == [
        "Minimal", "Mild", "Moderate", "Moderately severe", "Severe",
    ]  # fmt: skip
    assert [b.shade for b in plot.bands] == [1, 2, 3, 4, 5]
    assert plot.labels_outside


@override_settings(TIME_ZONE="America/New_York")
def test_follow_up_scores_are_marked_apart_and_crowded_numbers_are_dropped() -> None:
    points = [*POINTS, point(31, 6, Phase.FOLLOW_UP)]
    close = [infusion(1, 3), infusion(2, 4)]  # a day apart on a narrow plot
    narrow = PlotSize(width=120, height=100, margin_left=20)

    plot = trajectory_plot(phq9(points, BASELINE), close, narrow)

    assert [m.follow_up for m in plot.markers] == [False, False, False, True]
    assert plot.markers[-1].title == "6 on 2026-03-31, follow-up"
    assert [t.label for t in plot.infusions] == ["1", ""]
    assert plot.description.startswith("PHQ-9 totals (range 0-27): 20 on 2026-03-03")
