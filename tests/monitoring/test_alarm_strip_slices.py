"""An alarm strip's samples are a slice of each stored chunk: exactly the samples the
per-sample walk over the chunk's times picks (start inclusive, end exclusive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.monitoring.alarm_runtime import _samples_between
from ketamine_clinic.monitoring.models import WaveformChunk

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def picked_one_by_one(part: WaveformChunk, start: datetime, end: datetime) -> list[int]:
    """The indexes a walk over every sample keeps: ``start <= start_at + i * step < end``."""
    step = timedelta(seconds=1 / part.sample_rate_hz)
    return [
        index for index in range(part.sample_count) if start <= part.start_at + index * step < end
    ]


def chunk(offset_us: int, rate_hz: int, count: int) -> WaveformChunk:
    return WaveformChunk(
        start_at=T0 + timedelta(microseconds=offset_us),
        sample_rate_hz=rate_hz,
        sample_count=count,
        samples=b"\0\0\0\0" * count,
    )


@given(
    offset_us=st.integers(-30_000_000, 30_000_000),
    rate_hz=st.sampled_from([1, 7, 125, 250, 300, 500, 1000]),
    count=st.integers(0, 600),
    half_us=st.integers(0, 12_000_000),
)
def test_the_slice_is_what_the_sample_walk_picks(
    offset_us: int, rate_hz: int, count: int, half_us: int
) -> None:
    part = chunk(offset_us, rate_hz, count)
    start, end = T0 - timedelta(microseconds=half_us), T0 + timedelta(microseconds=half_us)
    first, stop = _samples_between(part, start, end)
    assert list(range(first, stop)) == picked_one_by_one(part, start, end)


def test_known_bounds() -> None:
    # A 250 Hz second starting 10.5 s before the alarm: the window starts half-way through.
    part = chunk(-10_500_000, 250, 250)
    assert _samples_between(part, T0 - timedelta(seconds=10), T0 + timedelta(seconds=10)) == (
        125,
        250,
    )
    # A chunk that starts at the window's end contributes nothing; one just inside, all.
    assert _samples_between(chunk(10_000_000, 250, 250), T0, T0 + timedelta(seconds=10)) == (0, 0)
    assert _samples_between(chunk(9_000_000, 250, 250), T0, T0 + timedelta(seconds=10)) == (
        0,
        250,
    )
