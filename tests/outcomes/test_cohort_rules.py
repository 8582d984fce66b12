"""The cohort's windows and boundaries, on plain rows (no database): which score is the
baseline, which the end of the course, what is follow-up, and what is a booster."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketamine_clinic.instruments.errors import UnknownInstrument
from ketamine_clinic.outcomes.cohort import (
    CourseOutcome,
    CourseRow,
    DiagnosisGroup,
    DiagnosisRow,
    InfusionRow,
    ScoreRow,
    build_cohort,
    diagnosis_group,
)

DAY = 86_400.0
T0 = 1_767_600_000.0  # 2026-01-05 08:00 UTC, in epoch seconds
_ids = iter(range(1, 10_000))


def infusions(
    course_id: int, *days: float, patient: int = 1, dose: int | None = 500
) -> list[InfusionRow]:
    return [InfusionRow(next(_ids), patient, course_id, T0 + d * DAY, dose) for d in days]


def scores(*pairs: tuple[float, int], patient: int = 1) -> list[ScoreRow]:
    return [ScoreRow(next(_ids), patient, total, T0 + d * DAY) for d, total in pairs]


def cohort(
    rows: list[InfusionRow],
    found: list[ScoreRow],
    courses: list[CourseRow] | None = None,
    corrected: tuple[int, ...] = (),
    diagnoses: list[DiagnosisRow] | None = None,
) -> list[CourseOutcome]:
    return build_cohort(
        instrument_key="phq9",
        courses=courses or [CourseRow(1, 1, "completed", 6, True)],
        infusions=rows,
        diagnoses=diagnoses or [],
        scores=found,
        corrected_response_ids=corrected,
    )


SIX = (0, 3, 6, 9, 12, 15)


def test_the_baseline_is_the_last_score_within_14_days_before_the_first_infusion() -> None:
    (outcome,) = cohort(infusions(1, *SIX), scores((-20, 25), (-10, 22), (-0.1, 21), (0.1, 5)))
    assert outcome.baseline is not None and outcome.baseline.total == 21
    (stale,) = cohort(infusions(1, *SIX), scores((-14.5, 22)))
    assert stale.baseline is None  # older than 14 days: not the state at the start


def test_the_end_score_is_the_last_from_the_day_of_the_last_infusion_to_14_days_after() -> None:
    found = scores((-1, 20), (12, 14), (14.9, 11), (20, 9), (29, 7), (29.5, 8))
    (outcome,) = cohort(infusions(1, *SIX), found)
    assert outcome.end is not None and outcome.end.total == 7  # day 29 = last + 14
    assert [s.total for s in outcome.follow_ups] == [8]
    (late,) = cohort(infusions(1, *SIX), scores((-1, 20), (30, 7)))
    assert late.end is None and [s.total for s in late.follow_ups] == [7]


def test_the_pre_infusion_score_of_the_last_infusion_counts_as_the_end() -> None:
    (outcome,) = cohort(infusions(1, *SIX), scores((-1, 20), (14.95, 9)))
    assert outcome.end is not None and outcome.end.total == 9


def test_a_corrected_score_is_replaced_by_its_correction() -> None:
    found = scores((-1, 20), (16, 4), (16, 12))
    (outcome,) = cohort(infusions(1, *SIX), found, corrected=(found[1].response_id,))
    assert outcome.end is not None and outcome.end.total == 12


def test_follow_up_and_boosters_stop_at_the_patients_next_course() -> None:
    rows = [
        *infusions(1, *SIX),
        InfusionRow(next(_ids), 1, None, T0 + 40 * DAY, 500),  # a booster after course 1
        *infusions(2, 100, 103),
        InfusionRow(next(_ids), 1, None, T0 + 130 * DAY, 500),  # after course 2
    ]
    courses = [CourseRow(1, 1, "completed", 6, True), CourseRow(2, 1, "stopped", 6, False)]
    found = scores((-1, 20), (16, 8), (50, 9), (99, 18), (110, 12), (140, 10))
    first, second = cohort(rows, found, courses=courses)
    # The day-99 score is both course 1's last follow-up (the relapse that brought the
    # patient back) and course 2's baseline; the day-110 score is course 2's alone.
    assert [s.total for s in first.follow_ups] == [9, 18]
    assert [round((b - T0) / DAY) for b in first.boosters_s] == [40]
    assert second.baseline is not None and second.baseline.total == 18
    assert second.end is not None and second.end.total == 12
    assert (second.infusions_given, second.finished) == (2, False)
    assert [round((b - T0) / DAY) for b in second.boosters_s] == [130]


def test_a_course_with_no_infusion_given_is_not_in_the_cohort() -> None:
    assert cohort([], scores((-1, 20)), courses=[CourseRow(1, 1, "active", 6, False)]) == []


def test_the_highest_dose_in_force_names_the_course_band() -> None:
    rows = [*infusions(1, 0, 3, dose=500), *infusions(1, 6, dose=750), *infusions(1, 9, dose=None)]
    (outcome,) = cohort(rows, [])
    assert outcome.max_dose_mg_per_kg == Decimal("0.75")
    assert outcome.dose_band.key == "0_6_to_0_8"


def test_the_primary_diagnosis_is_the_first_recorded() -> None:
    diagnoses = [
        DiagnosisRow(1, "F41.1", T0 - 5 * DAY, 2),
        DiagnosisRow(1, "F33.1", T0 - 30 * DAY, 3),
    ]
    (outcome,) = cohort(infusions(1, 0), [], diagnoses=diagnoses)
    assert outcome.diagnosis is DiagnosisGroup.DEPRESSION


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("F32.A", DiagnosisGroup.DEPRESSION),
        ("F33.41", DiagnosisGroup.DEPRESSION),
        ("F41.0", DiagnosisGroup.ANXIETY),
        ("F43.12", DiagnosisGroup.PTSD),
        ("F43.2", DiagnosisGroup.OTHER),  # adjustment disorder is not PTSD
        ("F34.1", DiagnosisGroup.OTHER),
        (None, DiagnosisGroup.NONE),
    ],
)
def test_icd10_codes_fall_into_their_groups(code: str | None, group: DiagnosisGroup) -> None:
    assert diagnosis_group(code) is group


def test_an_unknown_instrument_is_an_error_not_an_empty_cohort() -> None:
    with pytest.raises(UnknownInstrument):
        build_cohort(instrument_key="madrs_typo", courses=[], infusions=[], diagnoses=[], scores=[])


def test_an_active_course_short_of_its_last_infusion_is_under_way() -> None:
    courses = [CourseRow(1, 1, "active", 6, False)]
    (partial,) = cohort(infusions(1, 0, 3), [], courses=courses)
    assert (partial.finished, partial.under_way) == (False, True)
    (all_given,) = cohort(infusions(1, *SIX), [], courses=courses)
    assert (all_given.finished, all_given.under_way) == (True, False)
    stopped = [CourseRow(1, 1, "stopped", 6, False)]
    (ended,) = cohort(infusions(1, 0, 3), [], courses=stopped)
    assert (ended.finished, ended.under_way) == (False, False)
