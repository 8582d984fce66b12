"""Named exceptions of dosing, titration and the drug library.

Kept apart from `errors.py` (the PK solver's exceptions) so the two can change on their
own. Each message is what a person reads: it names the field and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketamine_clinic.pharmacology.drug_library import LimitBreach


class DosingError(Exception):
    """Base of every dosing, titration and drug-library refusal."""


class InvalidDoseInput(DosingError, ValueError):
    """An input is missing, not a number, or outside what it can physically be.

    ``field`` is the parameter name (``weight_kg``), so a form or a CLI can point at the
    box the user typed into; the message reads ``"<field>: <reason>"``.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class HardLimitBreach(DosingError):
    """A program (or a titration) crosses a hard limit of the drug library: refused.

    No role and no override can run it; the nurse re-enters the program. ``breaches``
    holds every hard breach found, each with the message the nurse reads.
    """

    def __init__(self, breaches: Sequence[LimitBreach]) -> None:
        self.breaches: tuple[LimitBreach, ...] = tuple(breaches)
        super().__init__(" ".join(breach.message for breach in self.breaches))


class OverrideRefused(DosingError):
    """A soft-limit override could not be recorded (no reason, no prescriber, a hard
    breach, or nothing to override)."""
