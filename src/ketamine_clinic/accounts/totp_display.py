"""How the enrolment page shows a TOTP secret: grouped text and a QR code.

The QR code is drawn here as SVG markup and put in the page itself, so enrolment needs
no JavaScript, no image request and no outside service (the secret never leaves the
clinic's server in a URL).
"""

from __future__ import annotations

import io
from base64 import b32encode

import segno
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_secret_grouped(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> SafeString:
    """An inline <svg> of the device's otpauth:// URL.

    Safe to mark so: segno draws only modules as path data (no text, no title), so
    nothing the user typed, such as the username inside the URL, reaches the markup.
    Colours are presentation attributes and CSS classes, which the strict CSP allows.
    """
    qr = segno.make(device.config_url, error="m")
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        border=3,
        dark="#000",
        light="#fff",
        svgclass="totp-qr",
        lineclass="totp-qr-modules",
        title=None,
        desc=None,
    )
    return mark_safe(buffer.getvalue().decode("ascii"))  # noqa: S308 - see docstring
