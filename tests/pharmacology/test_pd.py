"""Concentration-effect models: known answers, monotonicity, refusals.

Known answers are worked by hand from the equations in the docstrings: the VAS line runs
from 0 mm at 50 ng/mL to 60 mm at 200 ng/mL (so 30 mm at 125 ng/mL); the haemodynamic
curve is at half its maximum at EC50, so HR = HR0 (1 + 0.43/2) there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ketamine_clinic.pharmacology.errors import InvalidPharmacodynamicInput, PharmacologyError
from ketamine_clinic.pharmacology.pd import (
    DISSOCIATION_VAS_AT_TOP_MM,
    HAEMODYNAMIC_EC50_NG_PER_ML,
    HAEMODYNAMIC_HILL,
    HAEMODYNAMIC_LABEL,
    HAEMODYNAMIC_MODEL_IS_ILLUSTRATIVE,
    HR_EMAX_FRACTION,
    MAP_EMAX_FRACTION,
    dissociation_vas_mm,
    haemodynamic_fraction_of_emax,
    haemodynamic_response,
)

concentrations = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


# --- dissociation ---------------------------------------------------------------------


def test_dissociation_is_halfway_at_125_ng_per_ml() -> None:
    assert dissociation_vas_mm(125.0) == pytest.approx(DISSOCIATION_VAS_AT_TOP_MM / 2)
    assert dissociation_vas_mm(125.0) == pytest.approx(30.0)


def test_dissociation_is_zero_below_50_and_capped_above_200() -> None:
    cp = np.array([0.0, 10.0, 50.0, 80.0, 200.0, 250.0, 5000.0])
    # 80 ng/mL: 60 mm * (80 - 50) / 150 = 12 mm.
    assert_allclose(dissociation_vas_mm(cp), [0.0, 0.0, 0.0, 12.0, 60.0, 60.0, 60.0])


def test_dissociation_top_value_can_be_chosen() -> None:
    assert dissociation_vas_mm(200.0, vas_at_top_mm=100.0) == pytest.approx(100.0)
    assert dissociation_vas_mm(125.0, vas_at_top_mm=100.0) == pytest.approx(50.0)


def test_dissociation_returns_a_float_for_a_scalar_and_keeps_array_shapes() -> None:
    assert isinstance(dissociation_vas_mm(100.0), float)
    out = dissociation_vas_mm(np.full((2, 3), 140.0))
    assert out.shape == (2, 3)
    assert_allclose(out, 36.0)  # 60 * 90 / 150


@given(a=concentrations, b=concentrations)
def test_dissociation_never_falls_as_concentration_rises(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert dissociation_vas_mm(lo) <= dissociation_vas_mm(hi)
    assert 0.0 <= dissociation_vas_mm(hi) <= DISSOCIATION_VAS_AT_TOP_MM


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, [10.0, -0.1], [math.nan]])
def test_dissociation_refuses_negative_or_non_finite_concentrations(bad: object) -> None:
    with pytest.raises(InvalidPharmacodynamicInput) as info:
        dissociation_vas_mm(bad)  # type: ignore[call-overload]
    assert info.value.field == "cp_ng_per_ml"
    assert isinstance(info.value, PharmacologyError)


@pytest.mark.parametrize("bad", [0.0, -5.0, 101.0, math.nan])
def test_dissociation_refuses_a_top_value_off_the_scale(bad: float) -> None:
    with pytest.raises(InvalidPharmacodynamicInput) as info:
        dissociation_vas_mm(100.0, vas_at_top_mm=bad)
    assert info.value.field == "vas_at_top_mm"


# --- haemodynamics --------------------------------------------------------------------


def test_the_haemodynamic_model_is_labelled_illustrative() -> None:
    assert HAEMODYNAMIC_MODEL_IS_ILLUSTRATIVE is True
    r = haemodynamic_response(100.0, baseline_hr_per_min=70.0, baseline_map_mmhg=90.0)
    assert r.label == HAEMODYNAMIC_LABEL
    assert r.label.startswith("ILLUSTRATIVE")
    assert "no published Emax/EC50 for BP was found" in r.label


def test_at_ec50_the_rise_is_half_of_emax() -> None:
    r = haemodynamic_response(
        HAEMODYNAMIC_EC50_NG_PER_ML, baseline_hr_per_min=70.0, baseline_map_mmhg=90.0
    )
    assert r.fraction_of_emax == pytest.approx(0.5)
    assert r.hr_per_min == pytest.approx(70.0 * (1 + 0.43 / 2))  # 85.05
    assert r.map_mmhg == pytest.approx(90.0 * (1 + 0.27 / 2))  # 102.15


def test_the_maxima_are_langsjo_2005s_and_baseline_holds_at_zero() -> None:
    assert HR_EMAX_FRACTION == 0.43
    assert MAP_EMAX_FRACTION == 0.27
    zero = haemodynamic_response(0.0, baseline_hr_per_min=60.0, baseline_map_mmhg=80.0)
    assert zero.hr_per_min == 60.0
    assert zero.map_mmhg == 80.0
    huge = haemodynamic_response(1e300, baseline_hr_per_min=60.0, baseline_map_mmhg=80.0)
    assert huge.hr_per_min == pytest.approx(60.0 * 1.43)
    assert huge.map_mmhg == pytest.approx(80.0 * 1.27)


def test_the_sigmoid_matches_its_equation_off_ec50() -> None:
    ce = np.array([50.0, 200.0, 800.0])
    x = (ce / HAEMODYNAMIC_EC50_NG_PER_ML) ** HAEMODYNAMIC_HILL
    assert_allclose(haemodynamic_fraction_of_emax(ce), x / (1 + x), rtol=1e-14)
    # 200 ng/mL: (0.5)^1.5 = 0.353553; f = 0.261204.
    assert haemodynamic_fraction_of_emax(200.0) == pytest.approx(0.261204, abs=1e-6)


def test_haemodynamic_response_is_vectorised() -> None:
    r = haemodynamic_response(
        np.array([0.0, HAEMODYNAMIC_EC50_NG_PER_ML]),
        baseline_hr_per_min=70.0,
        baseline_map_mmhg=90.0,
    )
    assert_allclose(r.hr_per_min, [70.0, 85.05])
    assert_allclose(r.map_mmhg, [90.0, 102.15])


@given(a=concentrations, b=concentrations)
def test_heart_rate_and_map_never_fall_as_concentration_rises(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    r_lo = haemodynamic_response(lo, baseline_hr_per_min=72.0, baseline_map_mmhg=88.0)
    r_hi = haemodynamic_response(hi, baseline_hr_per_min=72.0, baseline_map_mmhg=88.0)
    assert r_lo.hr_per_min <= r_hi.hr_per_min
    assert r_lo.map_mmhg <= r_hi.map_mmhg
    assert 72.0 <= r_hi.hr_per_min <= 72.0 * 1.43 + 1e-9
    assert 88.0 <= r_hi.map_mmhg <= 88.0 * 1.27 + 1e-9


@pytest.mark.parametrize("bad", [-1e-9, math.nan, -math.inf, math.inf])
def test_haemodynamics_refuse_negative_or_non_finite_concentrations(bad: float) -> None:
    with pytest.raises(InvalidPharmacodynamicInput) as info:
        haemodynamic_response(bad, baseline_hr_per_min=70.0, baseline_map_mmhg=90.0)
    assert info.value.field == "ce_ng_per_ml"


@pytest.mark.parametrize(
    ("hr", "map_", "field"),
    [
        (0.0, 90.0, "baseline_hr_per_min"),
        (math.nan, 90.0, "baseline_hr_per_min"),
        (70.0, -1.0, "baseline_map_mmhg"),
        (70.0, math.inf, "baseline_map_mmhg"),
    ],
)
def test_haemodynamics_refuse_impossible_baselines(hr: float, map_: float, field: str) -> None:
    with pytest.raises(InvalidPharmacodynamicInput) as info:
        haemodynamic_response(100.0, baseline_hr_per_min=hr, baseline_map_mmhg=map_)
    assert info.value.field == field


def test_every_docstring_example_of_the_pd_module_runs() -> None:
    import doctest

    from ketamine_clinic.pharmacology import pd

    failed, attempted = doctest.testmod(pd, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
