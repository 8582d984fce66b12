"""The dashboard's statistics against independent references (scipy 1.17) and known
answers, with property tests for what must hold for any data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from ketamine_clinic.outcomes.stats import kaplan_meier, wilson_interval


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 10), (6, 10), (10, 10), (83, 100), (1, 3), (537, 1002)]
)
def test_the_wilson_interval_matches_scipy(k: int, n: int) -> None:
    # Reference: scipy.stats.binomtest(k, n).proportion_ci(0.95, method="wilson").
    reference = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    ours = wilson_interval(k, n)
    assert_allclose(
        np.array([ours.low, ours.high], dtype=float),
        [reference.low, reference.high],
        rtol=1e-12,
        atol=1e-15,
    )
    assert ours.estimate == k / n


def test_six_of_ten_is_60_percent_from_31_to_83() -> None:
    # Known answer (Wilson 1927 formula by hand, z = 1.95996): 0.3127 - 0.8318.
    result = wilson_interval(6, 10)
    assert (result.k, result.n, result.percent) == (6, 10, 60.0)
    assert (round(result.low or 0, 4), round(result.high or 0, 4)) == (0.3127, 0.8318)


def test_no_denominator_gives_no_proportion_rather_than_zero() -> None:
    result = wilson_interval(0, 0)
    assert (result.estimate, result.low, result.high, result.percent) == (None, None, None, None)


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (1, -1)])
def test_impossible_counts_are_refused(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="need 0 <= k <= n"):
        wilson_interval(k, n)


@given(
    st.integers(min_value=1, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_the_interval_is_inside_0_1_and_holds_the_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    result = wilson_interval(k, n)
    assert result.low is not None and result.high is not None and result.estimate is not None
    assert 0.0 <= result.low <= result.estimate <= result.high <= 1.0


def _scipy_sf(times: list[float], events: list[bool]) -> Any:
    data = scipy_stats.CensoredData(
        uncensored=[t for t, e in zip(times, events, strict=True) if e],
        right=[t for t, e in zip(times, events, strict=True) if not e],
    )
    return scipy_stats.ecdf(data)


TIMES = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
EVENTS = [True, True, False, True, False, True, True, False, True, False]


def test_kaplan_meier_matches_scipy_with_its_log_log_band() -> None:
    # Reference: scipy.stats.ecdf(CensoredData(...)).sf and its
    # confidence_interval(0.95, method="log-log") (Greenwood on the log-log scale).
    ours = kaplan_meier(TIMES, EVENTS)
    reference = _scipy_sf(TIMES, EVENTS)
    grid = np.array([step.time for step in ours.steps])
    band = reference.sf.confidence_interval(0.95, method="log-log")
    assert_allclose([s.survival for s in ours.steps], reference.sf.evaluate(grid), rtol=1e-12)
    assert_allclose(
        np.array([s.low for s in ours.steps], dtype=float), band.low.evaluate(grid), rtol=1e-10
    )
    assert_allclose(
        np.array([s.high for s in ours.steps], dtype=float), band.high.evaluate(grid), rtol=1e-10
    )


def test_kaplan_meier_known_answer_with_a_tie_of_event_and_censoring() -> None:
    # By hand: at t=2 one event and one censoring among 9 at risk: 0.9 * 8/9 = 0.8;
    # then 7 at risk at t=3: 0.8 * 6/7 = 0.6857; median at t=6 (S = 0.4114).
    ours = kaplan_meier(TIMES, EVENTS)
    assert [(s.time, s.at_risk, s.events, s.censored) for s in ours.steps[:3]] == [
        (1.0, 10, 1, 0),
        (2.0, 9, 1, 1),
        (3.0, 7, 1, 0),
    ]
    assert_allclose(ours.survival_at(2.5), 0.8)
    assert_allclose(ours.survival_at(3.0), 0.8 * 6 / 7)
    assert ours.survival_at(0.5) == 1.0
    assert (ours.n, ours.events, ours.median) == (10, 6, 6.0)
    # The lower band reaches 0.5 at once (n is small); the upper never does.
    assert (ours.median_low, ours.median_high) == (1.0, None)
    assert ours.censor_times == (2.0, 4.0, 7.0, 9.0)
    assert ours.at_risk_at(5.0) == 5
    assert ours.band_at(0.5) == (None, None)
    assert ours.band_at(3.5) == (ours.steps[2].low, ours.steps[2].high)
    assert ours.followed_to(9.0) and not ours.followed_to(9.5)


def test_a_curve_that_stays_above_half_has_no_median() -> None:
    ours = kaplan_meier([10.0, 20.0, 30.0, 40.0], [True, False, False, False])
    assert ours.median is None
    assert_allclose(ours.survival_at(40.0), 0.75)


def test_everyone_having_the_event_takes_the_curve_to_zero() -> None:
    ours = kaplan_meier([1.0, 2.0, 3.0], [True, True, True])
    assert [s.survival for s in ours.steps][-1] == 0.0
    assert ours.median == 2.0
    assert ours.steps[-1].low is None  # no log-log band at S = 0


def test_bad_input_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        kaplan_meier([1.0], [True, False])
    with pytest.raises(ValueError, match="times: -1"):
        kaplan_meier([-1.0], [True])


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=400), st.booleans()), min_size=1, max_size=80
    )
)
def test_survival_never_rises_and_its_band_holds_it(data: list[tuple[int, bool]]) -> None:
    times = [float(t) for t, _ in data]
    events = [e for _, e in data]
    ours = kaplan_meier(times, events)
    survival = [s.survival for s in ours.steps]
    assert all(b <= a for a, b in zip([1.0, *survival], survival, strict=False))
    for step in ours.steps:
        assert 0.0 <= step.survival <= 1.0
        if step.low is not None and step.high is not None:
            assert 0.0 <= step.low <= step.survival <= step.high <= 1.0
    reference = _scipy_sf(times, events)
    grid = np.array([s.time for s in ours.steps])
    assert_allclose(survival, reference.sf.evaluate(grid), rtol=1e-9, atol=1e-12)
