"""Named errors of the scheduling engine."""

from __future__ import annotations


class SchedulingInputError(ValueError):
    """Bad input: names the field and the reason, and nothing is planned.

    ``field`` is a path into the input (``"courses[3].protocol.window_days"``) so that a
    caller can point at the exact value.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
