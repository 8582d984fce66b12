"""Refusals that name the field (and, for answers, the item) and the reason, and the text
type every patient-facing string in a request body goes through.

`ProblemOut` extends the API's plain `{"detail": ...}` with a list a program can read,
so a client can put each message beside the box it belongs to. Its extra field is
optional, so the API's generic 422 (ninja's own validation, `{"detail"}` only) fits the
same schema.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator

TEXT_NUL = "contains a NUL character, which cannot be stored"
TEXT_SURROGATE = "contains an unpaired surrogate, which is not valid Unicode text"


def _storable(value: str) -> str:
    """Refuse what no database stores as given (and the audit trail refuses outright).

    JSON lets a body carry both ("\\u0000", "\\ud800"); without this check they reach
    the database and fail there as a server error, not as the caller's mistake.
    """
    if "\x00" in value:
        raise ValueError(TEXT_NUL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(TEXT_SURROGATE) from None
    return value


# Any string a person typed; kept verbatim (no stripping, no escaping: JSON is not HTML).
Text = Annotated[str, AfterValidator(_storable)]

# The same rules as JSON Schema patterns, for the schema (pydantic does not enforce a
# pattern given this way; `Text` and the services do, with their own sentences).
# Whitespace is spelled out as the characters Python's str.strip() and str.split() take
# for it: a pattern's `\s` means fewer of them to a JSON Schema (ECMA) reader.
SPACE_CHARACTERS = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = rf"^[^\x00]*[^{SPACE_CHARACTERS}\x00][^\x00]*$"

NOT_TEXT = "write it as a string ({form})"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    """Only "yyyy-mm-dd": pydantic would also read a number as a Unix time, or a datetime,
    neither of which the schema's `format: date` allows."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(NOT_TEXT.format(form="yyyy-mm-dd"))
    return value


def _date_time_text(value: object) -> object:
    """A string, as `format: date-time` says; pydantic would read a number as a Unix time."""
    if not isinstance(value, str):
        raise ValueError(NOT_TEXT.format(form="yyyy-mm-ddThh:mm:ss+hh:mm"))
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
DateTimeText = Annotated[datetime, BeforeValidator(_date_time_text)]


class FieldProblem(Schema):
    field: str = Field(description="The body or query field, e.g. `answers` or `legal_last_name`.")
    item: str | None = Field(
        default=None, description="For answers: the instrument's item id (`9`, `6b`)."
    )
    reason: str


class ProblemOut(Schema):
    """A refusal: one sentence for people, and (where known) each field with its reason."""

    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> ProblemOut:
        detail = "; ".join(
            f"{p.field}: " + (f"item {p.item}: " if p.item is not None else "") + p.reason
            for p in problems
        )
        return cls(detail=detail, errors=problems)

    @classmethod
    def from_validation_error(
        cls, error: ValidationError, *, fields: dict[str, str] | None = None
    ) -> ProblemOut:
        """A service's ValidationError, each message under the field it names.

        `fields` renames a service's field to the one the caller sent (they mostly
        agree). A message that names no field is listed under `__all__`, Django's own
        name for it.
        """
        renames = fields or {}
        problems: list[FieldProblem] = []
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                problems.extend(
                    FieldProblem(field=renames.get(name, name), reason=message)
                    for message in ValidationError(errors).messages
                )
        else:
            problems.extend(
                FieldProblem(field=renames.get("__all__", "__all__"), reason=message)
                for message in error.messages
            )
        return cls.of(problems)
