"""A consent text as blocks to show: headings, paragraphs and lists, never HTML.

Consent documents are plain text so that nothing a clinic lead pastes can become markup
on a patient's tablet. This small reading of the text gives it enough shape to read on
a tablet: a blank line ends a paragraph, a line starting ``## `` is a heading, and lines
starting ``- `` make a bulleted list. Templates escape every string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list"]


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = field(default_factory=tuple)


def blocks(body: str) -> list[Block]:
    """The body's headings, paragraphs and lists, in order."""
    result: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            result.append(Block(kind="paragraph", text=" ".join(paragraph)))
            paragraph.clear()
        if items:
            result.append(Block(kind="list", items=tuple(items)))
            items.clear()

    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            result.append(Block(kind="heading", text=line[3:].strip()))
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:].strip())
        elif items and raw[:1].isspace():
            items[-1] = f"{items[-1]} {line}"  # an indented line continues the item
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return result
