"""The gateway's content hash: what recognises a resend (same sender, control id, content)."""

from __future__ import annotations

import hashlib

import pytest

from ketamine_clinic.devices.gateway import content_hash


@pytest.mark.parametrize("length", [0, 1, 2046, 2047, 2048, 4094, 4095, 6000])
def test_the_content_hash_is_the_sha256_of_the_whole_message(length: int) -> None:
    text = ("MSH|^~\\&|é" * 1000)[:length]  # two-byte characters across the pieces
    assert content_hash(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
