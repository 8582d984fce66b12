"""Checking a drawn signature before it is stored: a real, small, non-blank PNG.

The tablet sends what its canvas drew as a ``data:image/png;base64,...`` URL. Nothing
about it is trusted: the bytes must start with the PNG signature, Pillow must decode
them as a PNG, the declared dimensions are checked *before* the pixels are decoded (a
tiny file can declare a huge image: a decompression bomb), and the decoded image must
carry enough ink to be a signature rather than an empty box or a stray tap.

Error messages are what the patient reads on the tablet, or staff on a form.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
from typing import Final

from PIL import Image

PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX: Final = "data:image/png;base64,"
# A signature drawn on a tablet canvas (up to ~1400 x 500 at 2x) compresses to tens of
# kilobytes; anything larger is not a signature.
MAX_SIGNATURE_BYTES: Final = 200_000
MAX_WIDTH_PX: Final = 2400
MAX_HEIGHT_PX: Final = 1200
MIN_WIDTH_PX: Final = 100
MIN_HEIGHT_PX: Final = 40
# Pixels darker than this (0-255, on white) count as ink; a signature needs at least
# MIN_INK_PIXELS of them, which a single tap of a finger does not make.
INK_LEVEL: Final = 160
MIN_INK_PIXELS: Final = 150

SIGNATURE_MISSING: Final = "Please sign with your finger or the pen in the box."
SIGNATURE_BLANK: Final = (
    "The signature box looks empty. Please sign your name in the box, then press Sign."
)
SIGNATURE_NOT_PNG: Final = "The signature could not be read. Please press Clear and sign again."
SIGNATURE_TOO_LARGE: Final = (
    f"The signature image is too large (at most {MAX_SIGNATURE_BYTES // 1000} kB)."
)
SIGNATURE_BAD_SIZE: Final = (
    f"The signature image must be between {MIN_WIDTH_PX} x {MIN_HEIGHT_PX} and "
    f"{MAX_WIDTH_PX} x {MAX_HEIGHT_PX} pixels."
)


class SignatureImageError(ValueError):
    """A signature image refused; ``message`` is what the person signing reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def png_from_data_url(data_url: str) -> bytes:
    """The PNG bytes of a canvas's data URL (not yet checked: see ``check_signature_png``)."""
    text = data_url.strip()
    if not text:
        raise SignatureImageError(SIGNATURE_MISSING)
    if not text.startswith(DATA_URL_PREFIX):
        raise SignatureImageError(SIGNATURE_NOT_PNG)
    encoded = text.removeprefix(DATA_URL_PREFIX)
    # base64 is 4/3 the size: refuse before decoding what could not fit anyway.
    if len(encoded) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise SignatureImageError(SIGNATURE_TOO_LARGE)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureImageError(SIGNATURE_NOT_PNG) from None


def ink_pixels(image: Image.Image) -> int:
    """How many pixels are dark on a white ground (transparent counts as white)."""
    rgba = image.convert("RGBA")
    ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(ground, rgba).convert("L")
    histogram = grey.histogram()
    return sum(histogram[:INK_LEVEL])


def _check_declared_size(data: bytes) -> None:
    """Read the size from the IHDR chunk (always first) before any decoder sees the file."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise SignatureImageError(SIGNATURE_NOT_PNG)
    width, height = struct.unpack(">II", data[16:24])
    if not (MIN_WIDTH_PX <= width <= MAX_WIDTH_PX and MIN_HEIGHT_PX <= height <= MAX_HEIGHT_PX):
        raise SignatureImageError(SIGNATURE_BAD_SIZE)


def check_signature_png(data: bytes) -> tuple[int, int]:
    """Refuse anything but a real, reasonably sized PNG with a signature drawn on it.

    Returns the image's (width, height). Raises ``SignatureImageError``.
    """
    if not data:
        raise SignatureImageError(SIGNATURE_MISSING)
    if len(data) > MAX_SIGNATURE_BYTES:
        raise SignatureImageError(SIGNATURE_TOO_LARGE)
    if not data.startswith(PNG_MAGIC):
        raise SignatureImageError(SIGNATURE_NOT_PNG)
    _check_declared_size(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) on huge images; the explicit limits below refuse
            # them first, so its warning is not needed.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                width, height = image.size  # from the header: nothing decoded yet
                image.load()
                ink = ink_pixels(image)
    except SignatureImageError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError):
        # Pillow reports a truncated or corrupt file as any of these.
        raise SignatureImageError(SIGNATURE_NOT_PNG) from None
    if ink < MIN_INK_PIXELS:
        raise SignatureImageError(SIGNATURE_BLANK)
    return width, height
