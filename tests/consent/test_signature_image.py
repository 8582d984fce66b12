"""The drawn signature: a real, small, non-blank PNG, or a message saying what is wrong."""

from __future__ import annotations

import struct
import zlib

import pytest

from ketamine_clinic.consent.signature_image import (
    MAX_SIGNATURE_BYTES,
    SIGNATURE_BAD_SIZE,
    SIGNATURE_BLANK,
    SIGNATURE_MISSING,
    SIGNATURE_NOT_PNG,
    SIGNATURE_TOO_LARGE,
    SignatureImageError,
    check_signature_png,
    png_from_data_url,
)
from tests.consent.support import data_url, png_bytes


def refusal(data: bytes) -> str:
    with pytest.raises(SignatureImageError) as info:
        check_signature_png(data)
    return info.value.message


def chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def test_a_drawn_signature_passes_and_gives_its_size() -> None:
    assert check_signature_png(png_bytes()) == (600, 200)


def test_a_signature_on_a_white_ground_passes_too() -> None:
    assert check_signature_png(png_bytes(mode="RGB")) == (600, 200)


@pytest.mark.parametrize("mode", ["RGBA", "RGB"])
def test_an_empty_box_is_refused_as_blank(mode: str) -> None:
    assert refusal(png_bytes(ink=False, mode=mode)) == SIGNATURE_BLANK


def test_nothing_is_refused_as_missing() -> None:
    assert refusal(b"") == SIGNATURE_MISSING


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a not a png",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        png_bytes()[:-40],  # truncated
        png_bytes(image_format="JPEG", mode="RGB"),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    ],
    ids=["gif", "svg", "truncated", "jpeg", "magic-then-garbage"],
)
def test_what_is_not_a_png_is_refused(data: bytes) -> None:
    assert refusal(data) == SIGNATURE_NOT_PNG


def test_a_file_over_the_byte_limit_is_refused_before_decoding() -> None:
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_SIGNATURE_BYTES) == SIGNATURE_TOO_LARGE


def test_a_tiny_file_declaring_a_huge_image_is_refused_before_decoding() -> None:
    # 60,000 x 60,000 pixels declared in a few dozen bytes: a decompression bomb.
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 6, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    assert len(bomb) < 200
    assert refusal(bomb) == SIGNATURE_BAD_SIZE


@pytest.mark.parametrize("size", [(20, 200), (600, 10)])
def test_an_image_too_small_to_sign_in_is_refused(size: tuple[int, int]) -> None:
    assert refusal(png_bytes(size=size, ink=False)) == SIGNATURE_BAD_SIZE


def test_a_canvas_data_url_gives_its_png() -> None:
    png = png_bytes()
    assert png_from_data_url(data_url(png)) == png


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", SIGNATURE_MISSING),
        ("   ", SIGNATURE_MISSING),
        ("data:image/svg+xml;base64,PHN2Zy8+", SIGNATURE_NOT_PNG),
        ("data:image/png;base64,not base64!", SIGNATURE_NOT_PNG),
        ("javascript:alert(1)", SIGNATURE_NOT_PNG),
        ("data:image/png;base64," + "A" * (MAX_SIGNATURE_BYTES * 2), SIGNATURE_TOO_LARGE),
    ],
)
def test_a_bad_data_url_is_refused(text: str, message: str) -> None:
    with pytest.raises(SignatureImageError) as info:
        png_from_data_url(text)
    assert info.value.message == message


@pytest.mark.parametrize("seed", range(5))
def test_the_demos_synthetic_signatures_pass_the_same_checks(seed: int) -> None:
    from ketamine_clinic.consent.synthetic import synthetic_signature_png

    assert check_signature_png(synthetic_signature_png(seed)) == (600, 200)
