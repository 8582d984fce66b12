"""QIDS-SR16: nine domains, three of them the highest of several items; total 0-27.

Scoring (Rush 2003; ids-qids.org): sleep = max(1-4), item 5, appetite/weight =
max(6-9), items 10-14, psychomotor = max(15-16). Bands 0-5 none, 6-10 mild, 11-15
moderate, 16-20 severe, 21-27 very severe.
"""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.scoring import score

DOMAINS = [
    "sleep",
    "sad_mood",
    "appetite_weight",
    "concentration",
    "self_view",
    "suicidal_ideation",
    "interest",
    "energy",
    "psychomotor",
]


def domains(answers: list[int | None]) -> dict[str, int | None]:
    return {s.key: s.value for s in score("qids_sr16", answers).subscales}


def test_all_zeros_is_0_none() -> None:
    result = score("qids_sr16", [0] * 16)
    assert (result.total, result.severity, result.flags) == (0, "none", ())


def test_all_threes_is_27_not_48_because_domains_take_the_highest_item() -> None:
    result = score("qids_sr16", [3] * 16)
    assert (result.total, result.severity) == (27, "very_severe")
    assert list(domains([3] * 16).values()) == [3] * 9


def test_a_hand_computed_vector() -> None:
    # Items 1-16: 1,3,0,2 | 2 | 0,1,2,0 | 1 | 2 | 0 | 3 | 1 | 0,2
    # sleep max(1,3,0,2)=3, sad 2, appetite max(0,1,2,0)=2, conc 1, self 2, SI 0,
    # interest 3, energy 1, psychomotor max(0,2)=2 -> 3+2+2+1+2+0+3+1+2 = 16 (severe).
    answers: list[int | None] = [1, 3, 0, 2, 2, 0, 1, 2, 0, 1, 2, 0, 3, 1, 0, 2]
    assert domains(answers) == dict(zip(DOMAINS, [3, 2, 2, 1, 2, 0, 3, 1, 2], strict=True))
    result = score("qids_sr16", answers)
    assert (result.total, result.severity) == (16, "severe")


def test_only_the_highest_sleep_item_counts() -> None:
    one_high = [0] * 16
    one_high[2] = 3  # waking early = 3
    all_high = [3, 3, 3, 3] + [0] * 12
    assert score("qids_sr16", one_high).total == score("qids_sr16", all_high).total == 3


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very_severe"),
    ],
)
def test_bands_on_both_sides_of_every_cut(total: int, band: str) -> None:
    # One item per domain carries the score (items 1, 5, 6, 10, 11, 12, 13, 14, 15).
    carriers = [0, 4, 5, 9, 10, 11, 12, 13, 14]
    answers: list[int | None] = [0] * 16
    left = total
    for index in carriers:
        answers[index] = min(3, left)
        left -= answers[index] or 0
    result = score("qids_sr16", answers)
    assert (result.total, result.severity) == (total, band)


def test_the_appetite_pairs_need_one_answer_each_as_the_form_asks() -> None:
    # Decreased appetite (6) answered, increased (7) left blank; same for weight.
    answers: list[int | None] = [0] * 16
    answers[5], answers[6], answers[7], answers[8] = 2, None, None, 1
    result = score("qids_sr16", answers)
    assert result.valid
    assert result.total == 2
    assert domains(answers)["appetite_weight"] == 2


def test_no_answer_to_either_weight_item_leaves_no_total() -> None:
    answers: list[int | None] = [0] * 16
    answers[7] = answers[8] = None
    result = score("qids_sr16", answers)
    assert result.total is None
    assert result.missing_items == ("8", "9")
    assert domains(answers)["appetite_weight"] is None


def test_a_missing_sleep_item_leaves_no_total() -> None:
    answers: list[int | None] = [0] * 16
    answers[1] = None
    result = score("qids_sr16", answers)
    assert (result.total, result.missing_items) == (None, ("2",))


def test_item_12_above_zero_is_flagged_by_clinic_policy() -> None:
    answers: list[int | None] = [0] * 16
    answers[11] = 1
    (flag,) = score("qids_sr16", answers).flags
    assert (flag.key, flag.kind) == ("suicide_risk", "qids12")
