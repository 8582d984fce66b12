"""Scales: a value in the data's domain to a pixel position in a range.

SVG's y grows downwards, so a y scale is built with its range bottom-first
(``LinearScale(0, 27, frame.bottom, frame.top)``): 0 lands on the bottom edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class LinearScale:
    """``domain_min..domain_max`` onto ``range_start..range_end`` (either may be larger).

    ``clamp`` keeps a value outside the domain on the edge of the plot rather than
    drawing it outside the box (a score above the axis's top still shows, at the top).
    """

    domain_min: float
    domain_max: float
    range_start: float
    range_end: float
    clamp: bool = False

    def __post_init__(self) -> None:
        if not self.domain_max > self.domain_min:
            raise ValueError(f"domain: {self.domain_min}..{self.domain_max} is empty or reversed")

    def __call__(self, value: float) -> float:
        fraction = (value - self.domain_min) / (self.domain_max - self.domain_min)
        if self.clamp:
            fraction = min(max(fraction, 0.0), 1.0)
        return self.range_start + fraction * (self.range_end - self.range_start)

    def invert(self, pixel: float) -> float:
        """The domain value at ``pixel`` (for tests and for placing labels)."""
        fraction = (pixel - self.range_start) / (self.range_end - self.range_start)
        return self.domain_min + fraction * (self.domain_max - self.domain_min)


def day_number(moment: date | datetime) -> float:
    """Days since 0001-01-01 (proleptic ordinal), with the time of day as a fraction.

    A datetime is read on its own wall clock (its local date and time), so pass
    datetimes already in the zone the plot is shown in; a date is midnight of that day.
    Counting in days keeps a DST change from shifting the day ticks by an hour.
    """
    if isinstance(moment, datetime):
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
        return moment.toordinal() + seconds / SECONDS_PER_DAY
    return float(moment.toordinal())


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Dates or datetimes from ``start`` to ``end`` onto a pixel range."""

    start: date | datetime
    end: date | datetime
    range_start: float
    range_end: float
    clamp: bool = False

    @property
    def _linear(self) -> LinearScale:
        return LinearScale(
            day_number(self.start),
            day_number(self.end),
            self.range_start,
            self.range_end,
            clamp=self.clamp,
        )

    def __post_init__(self) -> None:
        if not day_number(self.end) > day_number(self.start):
            raise ValueError(f"time domain: {self.start}..{self.end} is empty or reversed")

    def __call__(self, moment: date | datetime) -> float:
        return self._linear(day_number(moment))


@dataclass(frozen=True, slots=True)
class Band:
    """One category's slot: its start pixel, width and centre."""

    key: str
    start: float
    width: float

    @property
    def centre(self) -> float:
        return self.start + self.width / 2


def band_scale(
    keys: Sequence[str], range_start: float, range_end: float, *, padding: float = 0.2
) -> list[Band]:
    """Equal slots for categories (bars), ``padding`` of each step left empty between them.

    ``padding`` is a fraction of one step (0 = bars touch, 0.5 = gaps as wide as bars);
    half a gap is kept at each end so the first and last bars do not touch the axes.
    """
    if not 0.0 <= padding < 1.0:
        raise ValueError(f"padding: {padding} is not in 0..1")
    if not keys:
        return []
    step = (range_end - range_start) / len(keys)
    width = step * (1.0 - padding)
    return [
        Band(key=key, start=range_start + step * index + (step - width) / 2, width=width)
        for index, key in enumerate(keys)
    ]
