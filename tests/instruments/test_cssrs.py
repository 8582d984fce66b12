"""C-SSRS screener: a triage level, no total; skip logic; each level.

clinical.md: low = yes to 1 or 2; moderate = yes to 3; high = yes to 4 or 5, or 6
within 3 months. Behaviour ever but not within 3 months: moderate (Columbia triage
form; marked verify). Items: 1, 2, 3, 4, 5, 6 (ever), 6b (within 3 months).
"""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.errors import InvalidAnswers
from ketamine_clinic.instruments.scoring import score

N = None


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ([0, 0, N, N, N, 0, N], "none"),
        ([1, 0, N, N, N, 0, N], "low"),
        ([0, 1, 0, 0, 0, 0, N], "low"),
        ([1, 1, 1, 0, 0, 0, N], "moderate"),
        ([0, 0, N, N, N, 1, 0], "moderate"),
        ([1, 1, 0, 1, 0, 0, N], "high"),
        ([1, 1, 0, 0, 1, 0, N], "high"),
        ([0, 0, N, N, N, 1, 1], "high"),
        ([1, 1, 1, 1, 1, 1, 1], "high"),
    ],
)
def test_each_triage_level(answers: list[int | None], level: str) -> None:
    result = score("cssrs_screener", answers)
    assert result.triage == level
    assert result.total is None
    assert result.severity is None
    assert result.valid


def test_no_is_no_flag_and_any_yes_is_a_flag_at_its_level() -> None:
    assert score("cssrs_screener", [0, 0, N, N, N, 0, N]).flags == ()
    (flag,) = score("cssrs_screener", [0, 0, N, N, N, 1, 1]).flags
    assert (flag.key, flag.kind, flag.level) == ("suicide_risk", "cssrs_positive", "high")
    assert flag.reason == "triage high: yes to item 6, 6b"


def test_skipped_questions_may_be_given_as_no() -> None:
    assert score("cssrs_screener", [1, 0, 0, 0, 0, 0, 0]).triage == "low"


def test_a_yes_to_a_question_the_skip_logic_never_asks_is_refused() -> None:
    with pytest.raises(
        InvalidAnswers, match=r"^item 4: answered yes, but it is asked only when item 2 is yes$"
    ):
        score("cssrs_screener", [1, 0, N, 1, N, 0, N])


def test_an_unanswered_asked_question_leaves_no_triage_and_a_flag() -> None:
    # Item 2 yes opens 3-5; 4 left blank.
    result = score("cssrs_screener", [1, 1, 0, N, 0, 0, N])
    assert result.triage is None
    assert not result.valid
    assert result.missing_items == ("4",)
    (flag,) = result.flags
    assert (flag.key, flag.kind, flag.level) == (
        "suicide_screen_incomplete",
        "cssrs_incomplete",
        "unanswered",
    )
    assert flag.reason == "no triage: item 4 unanswered; answers so far triage low"


def test_behaviour_ever_without_the_3_month_answer_is_incomplete() -> None:
    result = score("cssrs_screener", [0, 0, N, N, N, 1, N])
    assert result.triage is None
    assert result.missing_items == ("6b",)
