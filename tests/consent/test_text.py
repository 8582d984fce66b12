"""A consent text's shape: paragraphs, headings and lists from plain text, never markup."""

from __future__ import annotations

from ketamine_clinic.consent.data import SEED_BODY
from ketamine_clinic.consent.text import Block, blocks


def test_blank_lines_headings_and_dashes_make_paragraphs_headings_and_lists() -> None:
    body = "First line\nstill first.\n\n## Risks\n- one\n  continued\n- two\nAfter.\n"
    assert blocks(body) == [
        Block(kind="paragraph", text="First line still first."),
        Block(kind="heading", text="Risks"),
        Block(kind="list", items=("one continued", "two")),
        Block(kind="paragraph", text="After."),
    ]


def test_markup_stays_text() -> None:
    assert blocks("<script>alert(1)</script>") == [
        Block(kind="paragraph", text="<script>alert(1)</script>")
    ]


def test_windows_line_ends_read_the_same() -> None:
    assert blocks("a\r\n\r\nb") == blocks("a\n\nb")


def test_the_sample_text_has_its_sections() -> None:
    headings = [b.text for b in blocks(SEED_BODY) if b.kind == "heading"]
    assert headings == [
        "What the treatment is",
        "What you may feel and the risks",
        "Before each infusion",
        "After each infusion",
        "Your choices",
    ]
