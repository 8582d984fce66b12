"""The cohort and its measures on courses whose answers are known by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from ketamine_clinic.accounts.models import User
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.outcomes.cohort import DiagnosisGroup, dose_band
from ketamine_clinic.outcomes.selectors import clinic_outcomes
from ketamine_clinic.outcomes.stats import Proportion
from tests.outcomes.builders import Plan, build

pytestmark = pytest.mark.django_db

STOPPED = CourseStatus.STOPPED


def known_clinic() -> list[Plan]:
    """Ten courses with a PHQ-9 baseline of which exactly six respond (intention to
    treat), and one with no baseline that neither denominator may count."""
    return [
        Plan(baseline=20, end=4),  # response, remission, benefit
        Plan(baseline=20, end=3, diagnosis="F41.1", dose_mg_per_kg="0.750"),  # same
        Plan(baseline=20, end=10),  # exactly 50 %: a response; benefit
        Plan(baseline=20, end=10, diagnosis="F43.10", dose_mg_per_kg="0.600"),
        Plan(baseline=20, end=10, dose_mg_per_kg="0.800"),
        Plan(baseline=20, end=8, given=3, status=STOPPED),  # responded, did not finish
        Plan(baseline=20, end=4, corrected_end=16),  # corrected: no response after all
        Plan(baseline=20, end=22, diagnosis=None),  # worse
        Plan(baseline=20, end=None),  # finished without an end score
        Plan(baseline=15, end=10),  # 33 %: no response, but 5 points = the MCID
        Plan(baseline=None, end=5),  # no baseline: outside both denominators
        Plan(given=0, status=CourseStatus.ACTIVE),  # never started
        # Under way (2 of 6 given): its outcome is not known yet, so it is in neither
        # denominator, though its score so far would be a response.
        Plan(baseline=20, end=5, given=2, status=CourseStatus.ACTIVE, diagnosis="F41.1"),
    ]


def _scipy_wilson(k: int, n: int) -> tuple[float, float]:
    # Reference: scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson").
    ci = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _check(found: Proportion | None, k: int, n: int) -> None:
    assert found is not None
    assert (found.k, found.n) == (k, n)
    assert_allclose([found.low or 0.0, found.high or 0.0], _scipy_wilson(k, n), rtol=1e-12)


def test_six_of_ten_respond_by_intention_to_treat_and_five_of_eight_completers(
    prescriber: User,
) -> None:
    build(known_clinic(), by=prescriber)
    measures = clinic_outcomes("phq9").measures
    assert (measures.courses_started, measures.under_way, measures.without_baseline) == (12, 1, 1)
    assert (measures.started_n, measures.completers_n, measures.started_without_end) == (10, 8, 1)
    response = measures.result("response")
    _check(response.started, 6, 10)
    _check(response.completers, 5, 8)
    _check(measures.result("remission").started, 2, 10)
    _check(measures.result("remission").completers, 2, 8)
    _check(measures.result("benefit").started, 7, 10)
    _check(measures.result("benefit").completers, 6, 8)
    _check(measures.result("worse").completers, 1, 8)
    advertised = measures.advertised
    assert advertised is not None and advertised.definition.key == "benefit"


def test_breakdowns_count_each_course_once_in_its_group(prescriber: User) -> None:
    build(known_clinic(), by=prescriber)
    breakdowns = {b.title: b for b in clinic_outcomes("phq9").measures.breakdowns}
    by_diagnosis = {row.label: row for row in breakdowns["Primary diagnosis"].rows}
    assert by_diagnosis[DiagnosisGroup.DEPRESSION.label].started_n == 7
    assert by_diagnosis[DiagnosisGroup.ANXIETY.label].response_started.k == 1
    assert by_diagnosis[DiagnosisGroup.PTSD.label].started_n == 1
    assert by_diagnosis[DiagnosisGroup.NONE.label].started_n == 1
    assert all(row.small for row in by_diagnosis.values())
    by_dose = {
        row.label: row.started_n for row in breakdowns["Highest dose ordered in the course"].rows
    }
    assert by_dose == {"< 0.6 mg/kg": 7, "0.6 to < 0.8 mg/kg": 2, ">= 0.8 mg/kg": 1}
    by_count = {row.label: row.started_n for row in breakdowns["Infusions given"].rows}
    assert by_count == {"3 infusions": 1, "6 infusions": 9}  # no row for the one under way
    severity = {row.label: row.started_n for row in breakdowns["Baseline severity"].rows}
    assert severity == {"Moderately severe (15-19)": 1, "Severe (20-27)": 9}


def test_an_instrument_without_remission_or_mcid_says_so_instead_of_a_number(
    prescriber: User,
) -> None:
    build([Plan(instrument="gad7", baseline=15, end=5)], by=prescriber)
    measures = clinic_outcomes("gad7").measures
    benefit = measures.result("benefit")
    assert (
        benefit.started is None
        and "no minimal clinically important" in benefit.definition.not_defined
    )
    assert measures.advertised is None
    _check(measures.result("remission").completers, 0, 1)  # GAD-7 < 5: 5 is not remission
    pcl = clinic_outcomes("pcl5").measures
    assert pcl.result("remission").definition.not_defined.startswith("PCL-5 defines no remission")
    assert "no severity bands" in pcl.breakdowns[1].note


def test_dose_bands_split_at_0_6_and_0_8() -> None:
    assert [dose_band(Decimal(d)).key for d in ("0.5", "0.599", "0.6", "0.799", "0.8", "1.0")] == [
        "under_0_6",
        "under_0_6",
        "0_6_to_0_8",
        "0_6_to_0_8",
        "0_8_and_over",
        "0_8_and_over",
    ]
    assert dose_band(None).key == "no_order"


def test_relapse_is_a_lost_response_or_a_booster_whichever_first(prescriber: User) -> None:
    build(
        [
            Plan(baseline=20, end=6, follow_ups=[(28, 8), (56, 14)]),  # relapses at 56
            Plan(baseline=20, end=6, follow_ups=[(40, 15)], boosters_days=[30]),  # booster 30
            Plan(baseline=20, end=6, follow_ups=[(28, 6)]),  # censored at 28
            Plan(baseline=20, end=6),  # censored at the end score, day 7
            Plan(baseline=20, end=15, follow_ups=[(28, 19)]),  # not a responder: not in it
        ],
        by=prescriber,
    )
    outcomes = clinic_outcomes("phq9")
    times = sorted((t.days, t.relapsed, t.by_booster) for t in outcomes.relapses)
    assert times == [
        (7.0, False, False),
        (28.0, False, False),
        (30.0, True, True),
        (56.0, True, False),
    ]
    curve = outcomes.relapse_curve
    # By hand: 4 at risk; censored at 7 and 28; at 30 one of 2 relapses (S = 0.5); at 56
    # the last one (S = 0). Median: the first time S <= 0.5, day 30.
    assert [(s.time, s.at_risk, s.survival) for s in curve.steps] == [
        (7.0, 4, 1.0),
        (28.0, 3, 1.0),
        (30.0, 2, 0.5),
        (56.0, 1, 0.0),
    ]
    assert curve.median == 30.0
    boosters = outcomes.boosters
    assert (boosters.courses_with_booster, boosters.boosters, boosters.first.median) == (1, 1, 30.0)
