"""PHQ-9 and GAD-7: sums, every band boundary, the item-9 flag, missing items.

Known answers from the published scoring: PHQ-9 bands 0-4 / 5-9 / 10-14 / 15-19 / 20-27
(Kroenke 2001); GAD-7 bands 0-4 / 5-9 / 10-14 / 15-21 (Spitzer 2006).
"""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.scoring import score
from tests.instruments.helpers import vector_with_total

PHQ9_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately_severe"),
    (19, "moderately_severe"),
    (20, "severe"),
    (27, "severe"),
]
GAD7_BOUNDARIES = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "severe"),
    (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_BOUNDARIES)
def test_phq9_bands_on_both_sides_of_every_cut(total: int, band: str) -> None:
    result = score("phq9", vector_with_total(total, items=9, item_max=3))
    assert result.total == total
    assert result.severity == band
    assert result.valid


@pytest.mark.parametrize(("total", "band"), GAD7_BOUNDARIES)
def test_gad7_bands_on_both_sides_of_every_cut(total: int, band: str) -> None:
    result = score("gad7", vector_with_total(total, items=7, item_max=3))
    assert result.total == total
    assert result.severity == band


def test_phq9_all_zeros_is_0_minimal_with_no_flag() -> None:
    result = score("phq9", [0] * 9)
    assert (result.total, result.severity, result.flags) == (0, "minimal", ())
    assert result.severity_label == "Minimal"
    assert result.version == "1.0"


def test_phq9_all_threes_is_27_severe_with_the_suicide_flag() -> None:
    result = score("phq9", [3] * 9)
    assert (result.total, result.severity, result.flag_keys) == (27, "severe", ("suicide_risk",))


def test_the_briefs_example_vector() -> None:
    # 1+2+3+0+1+2+3+0+1 = 13: moderate; item 9 = 1 raises the flag.
    result = score("phq9", [1, 2, 3, 0, 1, 2, 3, 0, 1])
    assert (result.total, result.severity, result.flag_keys) == (13, "moderate", ("suicide_risk",))


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_positive_item_9_flags_suicide_risk_even_with_a_minimal_total(item9: int) -> None:
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, item9])
    assert result.severity == "minimal"
    (flag,) = result.flags
    assert (flag.key, flag.kind, flag.level) == ("suicide_risk", "phq9_item9", "positive")
    assert flag.reason.startswith(f"item 9 = {item9} (")


def test_item_9_at_zero_raises_no_flag_even_when_severe() -> None:
    assert score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0]).flags == ()


def test_a_missing_item_leaves_no_total_and_no_band() -> None:
    result = score("phq9", [1, 1, None, 1, 1, 1, 1, 1, 0])
    assert result.total is None
    assert result.severity is None
    assert not result.valid
    assert result.missing_items == ("3",)
    assert result.invalid_reason == "no total: item 3 unanswered (PHQ-9 needs every item)"


def test_a_missing_item_never_hides_a_positive_item_9() -> None:
    result = score("phq9", [None, 1, 1, 1, 1, 1, 1, 1, 2])
    assert result.total is None
    assert result.flag_keys == ("suicide_risk",)


def test_an_unanswered_item_9_is_flagged_for_review() -> None:
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, None])
    (flag,) = result.flags
    assert (flag.key, flag.kind, flag.level) == (
        "suicide_item_unanswered",
        "phq9_item9_unanswered",
        "unanswered",
    )


def test_gad7_all_max_is_21_severe_and_raises_no_flag() -> None:
    result = score("gad7", [3] * 7)
    assert (result.total, result.severity, result.flags) == (21, "severe", ())


def test_gad7_missing_item_leaves_no_total() -> None:
    result = score("gad7", [1, 1, 1, None, None, 1, 1])
    assert result.total is None
    assert result.missing_items == ("4", "5")
    assert result.invalid_reason == "no total: items 4, 5 unanswered (GAD-7 needs every item)"


@pytest.mark.parametrize("value", [0, 5, 10])
def test_the_dissociation_rating_is_its_own_total_with_no_band(value: int) -> None:
    result = score("dissociation", [value])
    assert (result.total, result.severity, result.flags) == (value, None, ())
