"""Waveform samples read straight to arrays: the fixed-point fast path reads exactly what
the per-sample path reads (bit for bit, invalid samples as NaN), or declines."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.devices.pcd import fixed_point_samples, sample_array, samples_of


def per_sample(text: str) -> np.ndarray:
    """What the per-sample path makes of ``text``: float64, NaN where invalid."""
    return np.array(
        [math.nan if v is None else v for v in samples_of(text.split("^"))], dtype=np.float64
    )


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300),
    st.integers(0, 6),
)
def test_fixed_point_text_is_read_exactly_as_float_reads_it(
    values: list[float], places: int
) -> None:
    text = "^".join(f"{v:.{places}f}" for v in values)
    fast = fixed_point_samples(text, "^")
    slow = per_sample(text)
    if fast is None:  # only a sample too long for an exact integer goes to the slow path
        assert max(map(len, text.split("^"))) > 16
    else:
        assert same_bits(fast, slow)
    assert same_bits(sample_array(text, "^"), slow)
    assert same_bits(sample_array(text, "^").astype("<f4"), slow.astype("<f4"))


@given(st.text(alphabet="0123456789.-^?e+ x", max_size=60))
def test_any_other_text_reads_as_the_per_sample_path_reads_it(text: str) -> None:
    fast = fixed_point_samples(text, "^")
    slow = per_sample(text)
    if fast is not None:
        assert same_bits(fast, slow), text
    assert same_bits(sample_array(text, "^"), slow), text


def test_invalid_samples_are_nan_and_read_back_as_none() -> None:
    for text, expected in [
        ("0.500^0.750^-?-^1.000", (0.5, 0.75, None, 1.0)),
        ("0.500^^1.000", (0.5, None, 1.0)),
        ("0.5^abc^1", (0.5, None, 1.0)),
        ("1.2.3^4.000", (None, 4.0)),
        ("-0.000^0.125", (-0.0, 0.125)),
        ("0.125^nan^inf", (0.125, None, None)),
        (".-9^0.125", (None, 0.125)),
        ("512^-100^-1000^100", (512.0, None, -1000.0, 100.0)),
        ("9999999999999999^1", (9999999999999999.0, 1.0)),
    ]:
        values = sample_array(text, "^")
        got = tuple(None if math.isnan(v) else v for v in values.tolist())
        assert got == expected, text
    fast = fixed_point_samples("0.000^-0.000^0.125", "^")  # an ECG baseline's noise
    assert fast is not None
    assert [math.copysign(1.0, v) for v in fast.tolist()] == [1.0, -1.0, 1.0]


def test_the_fast_path_reads_monitor_text() -> None:
    fast = fixed_point_samples("-0.125^0.250^1.000", "^")
    assert fast is not None
    assert fast.tolist() == [-0.125, 0.25, 1.0]
