"""MLLP framing: frames come out whole however the stream is cut, noise between frames is
skipped, and an endless frame is refused instead of held."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.devices.mllp import MllpDecoder, MllpFramingError, frame

PAYLOAD = st.binary(max_size=200).map(lambda b: b.replace(b"\x0b", b"").replace(b"\x1c", b""))


@given(payloads=st.lists(PAYLOAD, max_size=8), cuts=st.lists(st.integers(0, 2000), max_size=12))
def test_frames_survive_any_chunking(payloads: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frame(p) for p in payloads)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    decoder = MllpDecoder()
    out: list[bytes] = []
    for start, end in itertools.pairwise(points):
        out += decoder.feed(stream[start:end])
    assert out == payloads
    assert decoder.pending_bytes == 0


@given(data=st.binary(max_size=3000))
def test_any_bytes_never_crash_the_decoder(data: bytes) -> None:
    decoder = MllpDecoder(max_frame_bytes=1000)
    try:
        frames = decoder.feed(data)
    except MllpFramingError:
        return
    assert all(len(f) <= 1000 for f in frames)


def test_noise_between_frames_is_skipped() -> None:
    decoder = MllpDecoder()
    assert decoder.feed(b"\r\n" + frame(b"MSH|one") + b"junk" + frame(b"MSH|two")) == [
        b"MSH|one",
        b"MSH|two",
    ]


def test_a_sender_that_restarts_mid_frame_keeps_the_last_start() -> None:
    assert MllpDecoder().feed(b"\x0bMSH|half\x0bMSH|whole\x1c\r") == [b"MSH|whole"]


def test_a_frame_without_an_end_is_refused_past_the_limit() -> None:
    decoder = MllpDecoder(max_frame_bytes=10)
    assert decoder.feed(b"\x0b12345") == []
    with pytest.raises(MllpFramingError, match="longer than 10 bytes"):
        decoder.feed(b"678901234567")
