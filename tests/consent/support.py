"""Signatures for tests: real PNGs drawn with Pillow, signed through the services."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from ketamine_clinic.accounts.models import User
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.intake.models import KioskSession
from ketamine_clinic.patients.models import Patient
from tests.patients.factories import make_patient

# A scribble across a 600 x 200 box: what a short signature leaves on the canvas.
SCRIBBLE = [(40, 150), (90, 60), (140, 150), (190, 70), (260, 140), (330, 60), (420, 150)]


def png_bytes(
    *,
    size: tuple[int, int] = (600, 200),
    ink: bool = True,
    mode: str = "RGBA",
    image_format: str = "PNG",
) -> bytes:
    """A canvas-like image: transparent (or white) with a dark scribble when `ink`."""
    background = (0, 0, 0, 0) if mode == "RGBA" else "white"
    image = Image.new(mode, size, background)
    if ink:
        ImageDraw.Draw(image).line(SCRIBBLE, fill="#10151c", width=5)
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def make_signature(
    *,
    patient: Patient | None = None,
    document: ConsentDocument | None = None,
    typed_name: str = "Avery Testpatient",
    witness: User | None = None,
    kiosk_session: KioskSession | None = None,
) -> ConsentSignature:
    """A valid signature of the current (seeded) version, witnessed or from a kiosk."""
    return consent_sign(
        patient=patient or make_patient("Signing", "Samplepatient"),
        document=document or consent_seed(),
        typed_name=typed_name,
        signature_png=png_bytes(),
        witness=witness,
        kiosk_session=kiosk_session,
    )
