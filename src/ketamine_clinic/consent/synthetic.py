"""Synthetic drawn signatures, for the demo clinic (and tests) to sign with.

A demo patient part-way through a course has signed the consent; the seed needs a
drawing to sign with that passes the same checks as a real one. Each is a different
scribble (from ``seed``), so the demo's signature pages do not all look alike.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

WIDTH_PX = 600
HEIGHT_PX = 200


def synthetic_signature_png(seed: int = 0) -> bytes:
    """A transparent 600 x 200 PNG with a dark, signature-like scribble on it."""
    chooser = random.Random(seed)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGBA", (WIDTH_PX, HEIGHT_PX), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x = 40
    points: list[tuple[int, int]] = []
    while x < WIDTH_PX - 60:
        points.append((x, chooser.randint(50, 150)))
        x += chooser.randint(18, 45)
    draw.line(points, fill="#10151c", width=4, joint="curve")
    draw.line([(60, 170), (chooser.randint(300, 520), 165)], fill="#10151c", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
