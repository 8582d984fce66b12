"""Input that cannot be scored: one named error naming the item and the reason."""

from __future__ import annotations

from typing import Any

import pytest

from ketamine_clinic.instruments.errors import InvalidAnswers, UnknownInstrument
from ketamine_clinic.instruments.scoring import score


@pytest.mark.parametrize(
    ("key", "answers", "message"),
    [
        ("phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0], "item 3: 4 is out of range 0-3"),
        ("phq9", [0, 0, 0, 0, 0, 0, 0, 0, -1], "item 9: -1 is out of range 0-3"),
        ("pcl5", [0] * 19 + [5], "item 20: 5 is out of range 0-4"),
        ("cssrs_screener", [2, 0, None, None, None, 0, None], "item 1: 2 is out of range 0-1"),
        ("dissociation", [11], "item 1: 11 is out of range 0-10"),
        ("phq9", [0] * 8, "PHQ-9 has 9 items (1-9); got 8 answers"),
        ("gad7", [0] * 8, "GAD-7 has 7 items (1-7); got 8 answers"),
        ("phq9", [None] * 9, "no item is answered"),
        ("phq9", [0, 0, 1.5, 0, 0, 0, 0, 0, 0], "item 3: 1.5 is not a whole number"),
        ("phq9", [0, True, 0, 0, 0, 0, 0, 0, 0], "item 2: True is not a whole number"),
        ("phq9", [0, "2", 0, 0, 0, 0, 0, 0, 0], "item 2: '2' is not a whole number"),
        ("phq9", "000000000", "answers must be a list with one value per item"),
    ],
)
def test_bad_answers_raise_a_named_error(key: str, answers: Any, message: str) -> None:
    with pytest.raises(InvalidAnswers) as caught:
        score(key, answers)
    assert str(caught.value) == message


def test_the_error_carries_the_item_and_the_reason_apart() -> None:
    with pytest.raises(InvalidAnswers) as caught:
        score("phq9", [0, 0, 4, 0, 0, 0, 0, 0, 0])
    assert (caught.value.item, caught.value.reason) == ("3", "4 is out of range 0-3")


def test_an_unknown_instrument_is_refused() -> None:
    with pytest.raises(UnknownInstrument):
        score("madrs", [0] * 10)
