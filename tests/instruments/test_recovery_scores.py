"""The clinician-rated recovery scores: modified Aldrete (Aldrete 1995) and PADSS (Chung
1995), with the discharge cut-off of 9 from clinical.md, and their own item labels."""

from __future__ import annotations

import pytest

from ketamine_clinic.instruments.definitions import Rater, get_instrument
from ketamine_clinic.instruments.errors import InvalidAnswers
from ketamine_clinic.instruments.scoring import score


@pytest.mark.parametrize(
    ("key", "answers", "total", "band"),
    [
        ("aldrete", [2, 2, 2, 2, 2], 10, "meets_discharge_score"),
        ("aldrete", [2, 2, 2, 2, 1], 9, "meets_discharge_score"),  # the cut-off itself
        ("aldrete", [2, 2, 2, 1, 1], 8, "not_ready"),  # one below
        ("aldrete", [0, 0, 0, 0, 0], 0, "not_ready"),
        ("padss", [2, 2, 2, 2, 1], 9, "home_ready"),
        ("padss", [2, 2, 1, 2, 1], 8, "not_ready"),
    ],
)
def test_the_discharge_cut_off_is_9(key: str, answers: list[int], total: int, band: str) -> None:
    result = score(key, answers)
    assert (result.total, result.severity) == (total, band)


def test_each_aldrete_item_describes_its_own_points() -> None:
    spo2 = get_instrument("aldrete").item("spo2")
    assert [(o.value, o.label) for o in spo2.options] == [
        (2, "Above 92% on room air"),
        (1, "Needs oxygen to stay above 90%"),
        (0, "Below 90% even with oxygen"),
    ]
    with pytest.raises(InvalidAnswers, match="item activity: 3 is out of range 0-2"):
        score("aldrete", [3, 2, 2, 2, 2])


def test_the_recovery_scores_are_rated_by_a_clinician() -> None:
    assert get_instrument("aldrete").rater == Rater.CLINICIAN
    assert get_instrument("padss").rater == Rater.CLINICIAN
    assert get_instrument("phq9").rater == Rater.PATIENT
