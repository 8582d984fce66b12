"""One instrument's trajectory as the numbers of an SVG plot, for the chart and the report.

The template draws the shapes with presentation attributes only (strict CSP), from the
coordinates here: the severity bands shaded, the cut-offs and the baseline as lines,
each infusion as a vertical tick numbered in its course, the scores as a line with a
marker each (hollow after the course ended), and the axes' ticks. Geometry only: the
look (colours, the print styles) belongs to the templates and the stylesheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from django.utils import timezone

from ketamine_clinic.charts.frame import Frame
from ketamine_clinic.charts.paths import coordinate, polyline_points
from ketamine_clinic.charts.scales import LinearScale, TimeScale
from ketamine_clinic.charts.ticks import date_ticks, nice_ticks
from ketamine_clinic.outcomes.patient_selectors import (
    InfusionMark,
    Phase,
    Trajectory,
)

# Light fills from least to most severe: distinct on screen, and light greys in print
# where the band's label (drawn on it) carries the meaning.
BAND_FILLS: Final = ("#e8f3ea", "#f4f2dc", "#f9ead3", "#f6dccf", "#f1cfcf")
# Margin at each end of the time axis, so the first and last markers are not on the edge.
TIME_PAD_DAYS: Final = 2


@dataclass(frozen=True, slots=True)
class PlotSize:
    width: int
    height: int
    margin_top: int = 22  # room for the infusion numbers above the plot
    margin_right: int = 10
    margin_bottom: int = 22
    margin_left: int = 30
    x_ticks: int = 5
    font_px: int = 11


CHART_SIZE: Final = PlotSize(width=320, height=190, x_ticks=4, font_px=10)
REPORT_SIZE: Final = PlotSize(width=700, height=250, margin_right=110, x_ticks=8)


@dataclass(frozen=True, slots=True)
class BandRect:
    y: str
    height: str
    fill: str
    shade: int  # 1 (least severe) to 5, for the print stylesheet's greys
    label: str
    label_y: str
    show_label: bool


@dataclass(frozen=True, slots=True)
class HLine:
    y: str
    label: str
    label_y: str  # just above the line


@dataclass(frozen=True, slots=True)
class Tick:
    at: str  # the pixel (x for the time axis, y for the score axis)
    label: str
    label_at: str  # the label's baseline (y axis) or centre (time axis)


@dataclass(frozen=True, slots=True)
class InfusionTick:
    x: str
    label: str  # the number in the course ("" where it would overlap the previous)
    title: str


@dataclass(frozen=True, slots=True)
class Marker:
    x: str
    y: str
    follow_up: bool
    title: str


@dataclass(frozen=True, slots=True)
class TrajectoryPlot:
    width: int
    height: int
    font_px: int
    left: str
    right: str
    top: str
    bottom: str
    inner_width: str
    infusion_tick_top: str  # the infusion ticks start above the plot ...
    infusion_number_y: str  # ... under their numbers
    x_tick_end: str
    x_label_y: str
    y_label_x: str
    label_x: str  # where the band and line labels go
    labels_outside: bool  # right of the plot (the report) or inside its right edge (chart)
    bands: tuple[BandRect, ...]
    cutoffs: tuple[HLine, ...]
    baseline: HLine | None
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    infusions: tuple[InfusionTick, ...]
    line: str  # the polyline's points
    markers: tuple[Marker, ...]
    description: str  # the plot in words, for a screen reader and the <title>


def _fill_index(index: int, count: int) -> int:
    """Spread ``count`` bands over the fills so the worst band always gets the darkest."""
    if count <= 1:
        return 0
    return round(index * (len(BAND_FILLS) - 1) / (count - 1))


def _labelled(ticks: Sequence[float], min_gap_px: float) -> list[bool]:
    """Which ticks get their number: each at least ``min_gap_px`` right of the last
    numbered one, so two infusions a day apart on a narrow plot do not print "34"."""
    shown, last = [], float("-inf")
    for at in ticks:
        show = at - last >= min_gap_px
        shown.append(show)
        if show:
            last = at
    return shown


def _infusion_label(mark: InfusionMark) -> str:
    """Its number in the course; "B" for a booster given outside a course."""
    if mark.course_id is None:
        return "B"
    return str(mark.number_in_course or "")


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _time_domain(trajectory: Trajectory, infusions: Sequence[InfusionMark]) -> tuple[date, date]:
    moments = [p.taken_at for p in trajectory.points] + [m.started_at for m in infusions]
    days = [_local(moment).date() for moment in moments]
    start = min(days) - timedelta(days=TIME_PAD_DAYS)
    end = max(days) + timedelta(days=TIME_PAD_DAYS + 1)
    return start, end


def _describe(trajectory: Trajectory, infusions: Sequence[InfusionMark]) -> str:
    scores = ", ".join(f"{p.total} on {_local(p.taken_at):%Y-%m-%d}" for p in trajectory.points)
    text = f"{trajectory.short_name} totals (range {trajectory.total_min}-{trajectory.total_max}): {scores}."
    if infusions:
        text += f" {len(infusions)} infusion{'s' if len(infusions) != 1 else ''} marked."
    baseline = trajectory.standing.baseline
    if baseline is not None:
        text += f" Baseline {baseline.total}."
    return text


def trajectory_plot(
    trajectory: Trajectory, infusions: Sequence[InfusionMark], size: PlotSize = CHART_SIZE
) -> TrajectoryPlot:
    """The plot of ``trajectory`` with ``infusions`` marked (the judged course's, or all)."""
    frame = Frame(
        width=size.width,
        height=size.height,
        margin_top=size.margin_top,
        margin_right=size.margin_right,
        margin_bottom=size.margin_bottom,
        margin_left=size.margin_left,
    )
    y = LinearScale(trajectory.total_min, trajectory.total_max, frame.bottom, frame.top, clamp=True)
    start, end = _time_domain(trajectory, infusions)
    x = TimeScale(start, end, frame.left, frame.right, clamp=True)
    # Labels need about 100 px beside the plot; a narrow plot keeps them inside.
    labels_outside = size.margin_right >= 60
    label_x = coordinate(frame.right + 6 if labels_outside else frame.right - 4)

    bands = []
    min_label_px = size.font_px + 2
    for index, band in enumerate(trajectory.bands):
        # A band covers its whole totals, min to max inclusive: draw from min - 0.5 to
        # max + 0.5 (clamped to the axis) so adjacent bands meet without a gap.
        top = y(min(band.max_total + 0.5, trajectory.total_max))
        bottom = y(max(band.min_total - 0.5, trajectory.total_min))
        shade = _fill_index(index, len(trajectory.bands))
        bands.append(
            BandRect(
                y=coordinate(top),
                height=coordinate(bottom - top),
                fill=BAND_FILLS[shade],
                shade=shade + 1,
                label=band.label,
                label_y=coordinate((top + bottom) / 2 + size.font_px / 3),
                show_label=bottom - top >= min_label_px,
            )
        )
    baseline = trajectory.standing.baseline
    y_ticks = tuple(
        Tick(at=coordinate(y(value)), label=f"{value:g}", label_at=coordinate(y(value) + 3.5))
        for value in nice_ticks(trajectory.total_min, trajectory.total_max, count=5)
    )
    x_ticks = tuple(
        Tick(at=coordinate(x(day)), label=f"{day:%b} {day.day}", label_at=coordinate(x(day)))
        for day in date_ticks(start, end - timedelta(days=1), count=size.x_ticks)
    )
    infusion_xs = [x(_local(mark.started_at)) for mark in infusions]
    infusion_ticks = tuple(
        InfusionTick(
            x=coordinate(at),
            label=_infusion_label(mark) if show else "",
            title=(
                f"{'Booster infusion' if mark.course_id is None else 'Infusion'}"
                f" {mark.number_in_course or ''} on {_local(mark.started_at):%Y-%m-%d}"
            ).replace("  ", " "),
        )
        for at, mark, show in zip(
            infusion_xs, infusions, _labelled(infusion_xs, size.font_px * 0.9), strict=True
        )
    )
    placed = [(x(_local(p.taken_at)), y(p.total), p) for p in trajectory.points]
    return TrajectoryPlot(
        width=size.width,
        height=size.height,
        font_px=size.font_px,
        left=coordinate(frame.left),
        right=coordinate(frame.right),
        top=coordinate(frame.top),
        bottom=coordinate(frame.bottom),
        inner_width=coordinate(frame.inner_width),
        infusion_tick_top=coordinate(frame.top - 6),
        infusion_number_y=coordinate(frame.top - 9),
        x_tick_end=coordinate(frame.bottom + 4),
        x_label_y=coordinate(frame.bottom + 15),
        y_label_x=coordinate(frame.left - 4),
        label_x=label_x,
        labels_outside=labels_outside,
        bands=tuple(bands),
        cutoffs=tuple(
            HLine(y=coordinate(y(c.total)), label=c.label, label_y=coordinate(y(c.total) - 3))
            for c in trajectory.cutoffs
        ),
        baseline=None
        if baseline is None
        else HLine(
            y=coordinate(y(baseline.total)),
            label=f"baseline {baseline.total}",
            label_y=coordinate(y(baseline.total) - 3),
        ),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        infusions=infusion_ticks,
        line=polyline_points([(px, py) for px, py, _ in placed]),
        markers=tuple(
            Marker(
                x=coordinate(px),
                y=coordinate(py),
                follow_up=point.phase is Phase.FOLLOW_UP,
                title=(
                    f"{point.total}{' (' + point.band_label + ')' if point.band_label else ''}"
                    f" on {_local(point.taken_at):%Y-%m-%d}"
                    f"{', follow-up' if point.phase is Phase.FOLLOW_UP else ''}"
                ),
            )
            for px, py, point in placed
        ),
        description=_describe(trajectory, infusions),
    )
