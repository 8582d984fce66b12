"""PCL-5: total 0-80, clusters B (1-5), C (6-7), D (8-14), E (15-20), the cut-off of 33
and the DSM-5 rule (items >= 2: 1 B, 1 C, 2 D, 2 E), per the National Center for PTSD."""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.scoring import score


def clusters(answers: list[int | None]) -> dict[str, int | None]:
    return {s.key: s.value for s in score("pcl5", answers).subscales}


def cutoffs(answers: list[int | None]) -> dict[str, bool | None]:
    return {c.key: c.met for c in score("pcl5", answers).cutoffs}


def test_all_zeros_and_all_fours() -> None:
    zeros = score("pcl5", [0] * 20)
    assert (zeros.total, zeros.severity) == (0, None)
    assert clusters([0] * 20) == {"B": 0, "C": 0, "D": 0, "E": 0}
    fours = score("pcl5", [4] * 20)
    assert fours.total == 80
    # 5, 2, 7 and 6 items of 4.
    assert clusters([4] * 20) == {"B": 20, "C": 8, "D": 28, "E": 24}


def test_each_cluster_sums_only_its_own_items() -> None:
    # Items numbered by their own value mod 5, hand-summed per cluster:
    # B 1+2+3+4+0=10, C 1+2=3, D 3+4+0+1+2+3+4=17, E 0+1+2+3+4+0=10; total 40.
    answers: list[int | None] = [n % 5 for n in range(1, 21)]
    assert clusters(answers) == {"B": 10, "C": 3, "D": 17, "E": 10}
    assert score("pcl5", answers).total == 40


@pytest.mark.parametrize(("total", "met"), [(32, False), (33, True)])
def test_the_provisional_cut_off_is_33(total: int, met: bool) -> None:
    answers: list[int | None] = [*([2] * 16), 0, 0, 0, 0]  # 32
    if total == 33:
        answers[-1] = 1
    result = score("pcl5", answers)
    assert result.total == total
    assert cutoffs(answers)["provisional_ptsd"] is met


def test_the_dsm5_rule_needs_the_symptom_count_in_every_cluster() -> None:
    # Exactly 1 B, 1 C, 2 D, 2 E at 2: met, though the total (12) is far below 33.
    answers: list[int | None] = [0] * 20
    for item in (1, 6, 8, 9, 15, 16):
        answers[item - 1] = 2
    assert cutoffs(answers) == {"provisional_ptsd": False, "provisional_dsm5_rule": True}
    # One D symptom short: not met.
    answers[8] = 1
    assert cutoffs(answers)["provisional_dsm5_rule"] is False


def test_a_missing_item_blanks_the_total_and_its_cluster_only() -> None:
    answers: list[int | None] = [1] * 20
    answers[6] = None  # item 7, cluster C
    result = score("pcl5", answers)
    assert result.total is None
    assert clusters(answers) == {"B": 5, "C": None, "D": 7, "E": 6}
    assert cutoffs(answers) == {"provisional_ptsd": None, "provisional_dsm5_rule": False}


def test_the_dsm5_rule_is_undecided_when_a_missing_item_could_still_meet_it() -> None:
    answers: list[int | None] = [2] * 20
    answers[5] = 0
    answers[6] = None  # C: 0 endorsed, one unanswered
    assert cutoffs(answers)["provisional_dsm5_rule"] is None
