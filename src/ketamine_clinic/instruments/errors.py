"""Named exceptions of the instruments package. Each message is what a person reads."""

from __future__ import annotations


class InstrumentError(Exception):
    """Base of every refusal by the instruments package."""


class InvalidDefinition(InstrumentError):
    """A data file in ``instruments/data/`` is malformed (a developer's error, found at load)."""


class UnknownInstrument(InstrumentError, ValueError):
    """No instrument has this key."""

    def __init__(self, key: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown instrument {key!r}; known: {', '.join(known)}")
        self.key = key
        self.known = known


class InvalidAnswers(InstrumentError, ValueError):
    """An answer vector cannot be scored: wrong length, a value out of range, skip logic broken.

    ``item`` is the item's id (``"3"``, ``"6b"``) or None when the vector as a whole is
    wrong; the message reads ``"item 3: 4 is out of range 0-3"`` so a form or the CLI can
    point at the box the patient or the nurse filled in.
    """

    def __init__(self, item: str | None, reason: str) -> None:
        super().__init__(reason if item is None else f"item {item}: {reason}")
        self.item = item
        self.reason = reason


class NotDefined(InstrumentError):
    """The instrument defines no such thing (e.g. remission for the PCL-5)."""
