"""Response (>= 50 % reduction from baseline) and remission (PHQ-9 < 5, GAD-7 < 5,
QIDS-SR16 <= 5), from the data files (clinical.md)."""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.errors import NotDefined
from ketamine_clinic.instruments.outcomes import is_remission, is_response, reduction_fraction


@pytest.mark.parametrize(
    ("baseline", "current", "responded"),
    [
        (20, 10, True),
        (20, 11, False),
        (21, 10, True),
        (21, 11, False),
        (10, 0, True),
        (10, 12, False),
    ],
)
def test_response_is_a_reduction_of_at_least_half(
    baseline: int, current: int, responded: bool
) -> None:
    assert is_response("phq9", baseline_total=baseline, current_total=current) is responded


def test_the_reduction_is_a_fraction_of_baseline() -> None:
    assert reduction_fraction("qids_sr16", baseline_total=16, current_total=4) == 0.75
    assert reduction_fraction("qids_sr16", baseline_total=10, current_total=12) == -0.2


def test_a_zero_baseline_has_no_reduction() -> None:
    with pytest.raises(NotDefined, match="baseline total of 0"):
        is_response("gad7", baseline_total=0, current_total=0)


@pytest.mark.parametrize(
    ("key", "in_remission", "not_in_remission"),
    [("phq9", 4, 5), ("gad7", 4, 5), ("qids_sr16", 5, 6)],
)
def test_remission_on_both_sides_of_the_cut(
    key: str, in_remission: int, not_in_remission: int
) -> None:
    assert is_remission(key, total=in_remission) is True
    assert is_remission(key, total=not_in_remission) is False


def test_instruments_without_a_remission_rule_say_so() -> None:
    for key in ("pcl5", "dissociation"):
        with pytest.raises(NotDefined, match="defines no remission"):
            is_remission(key, total=0)
    with pytest.raises(NotDefined, match="C-SSRS screener defines no response"):
        is_response("cssrs_screener", baseline_total=1, current_total=0)


def test_a_total_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="total: 28 is out of range 0-27"):
        is_remission("phq9", total=28)
