"""Text cells for CSV files people open in a spreadsheet (OWASP "CSV injection").

A cell that starts with a formula character is run by Excel or LibreOffice as a formula;
text that does (a note, a reference, a name someone typed) is written with a leading
apostrophe, so the spreadsheet shows it and runs nothing. Numbers such as "-3" are left
alone. Pure Python, for every CSV the clinic writes (inventory logs, outcome tables, the
research export).
"""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: str) -> str:
    """The cell as written: ``value``, or ``'value`` when a spreadsheet would run it."""
    if value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value
