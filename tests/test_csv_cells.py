"""The one formula guard every CSV the clinic writes goes through."""

from __future__ import annotations

import pytest

from ketamine_clinic.csv_cells import formula_safe


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-3", "-3"),  # a number stays a number
        ("+4.5", "+4.5"),
        ("-", "'-"),
        ("Lot 42-A", "Lot 42-A"),  # a formula character inside the text is harmless
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_and_numbers_do_not(
    typed: str, written: str
) -> None:
    assert formula_safe(typed) == written
