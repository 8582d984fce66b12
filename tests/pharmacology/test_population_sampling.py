"""Sampling a population: medians at theta, the stated CVs, equivalent volumes, seeds."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from numpy.testing import assert_array_equal

from ketamine_clinic.pharmacology.models import (
    HERD,
    get_model,
)
from ketamine_clinic.pharmacology.population_sampling import sample_parameters
from ketamine_clinic.pharmacology.variability import (
    HERD_VARIABILITY,
    omega_squared_from_cv,
)

FloatArray = npt.NDArray[np.float64]


# Sampling
# --------------------------------------------------------------------------------------


def _robust_cv(values: FloatArray) -> float:
    return float(np.std(values) / np.mean(values))


def test_sampled_parameters_have_median_theta_and_the_stated_cv() -> None:
    # Herd at 20 kg: V1 has CV 64% (omega 0.586), Q 19%. With P = 400,000 draws, the
    # standard error of the log-median is sqrt(pi/2) omega / sqrt(P) <= 1.2e-3 and that
    # of the log-SD omega / sqrt(2P) <= 6.6e-4; the sample CV of a log-normal with CV
    # 0.64 has a relative standard error of about 0.5% here. Tolerances are 4-6 SE.
    p = 400_000
    s = sample_parameters(HERD, n_patients=p, weight_kg=20.0, seed=11)
    theta = HERD.parameters.scaled(20.0)
    typical = {
        "v1": theta.v1_l,
        "cl": theta.k10_per_min * theta.v1_l,
        "q2": theta.k12_per_min * theta.v1_l,
        "v2": theta.v1_l * theta.k12_per_min / theta.k21_per_min,
    }
    arrays = {"v1": s.v1_l, "cl": s.cl_l_per_min, "q2": s.q2_l_per_min, "v2": s.v2_l}
    for name, values in arrays.items():
        assert values is not None
        omega = math.sqrt(HERD_VARIABILITY.omega_squared_by_parameter[name])
        log_ratio = np.log(values / typical[name])
        assert abs(float(np.median(log_ratio))) < 5 * math.sqrt(math.pi / 2) * omega / math.sqrt(p)
        assert float(np.std(log_ratio)) == pytest.approx(omega, abs=6 * omega / math.sqrt(2 * p))
        assert _robust_cv(values) == pytest.approx(HERD_VARIABILITY.cv_by_parameter[name], rel=0.03)
    assert s.v3_l is None and s.q3_l_per_min is None


def test_rate_constant_models_vary_their_equivalent_volumes_and_clearances() -> None:
    domino = get_model("domino")
    s = sample_parameters(domino, n_patients=200_000, weight_kg=70.0, seed=3)
    micro = domino.for_patient(weight_kg=70.0).micro
    # V2 = V1 k12/k21 = 4.41 * 0.592/0.247 = 10.5697 L at 70 kg.
    assert s.v2_l is not None
    assert float(np.median(s.v2_l)) == pytest.approx(4.41 * 0.592 / 0.247, rel=0.01)
    assert _robust_cv(s.v2_l) == pytest.approx(0.30, rel=0.03)
    # k10 = CL/V1 has log-variance omega^2_CL + omega^2_V1: CV sqrt(exp(2 * 0.0862) - 1).
    assert float(np.median(s.k10_per_min)) == pytest.approx(micro.k10_per_min, rel=0.01)
    assert _robust_cv(s.k10_per_min) == pytest.approx(
        math.sqrt(math.expm1(2 * omega_squared_from_cv(0.30))), rel=0.03
    )


def test_sampling_is_reproducible_by_seed() -> None:
    a = sample_parameters(get_model("kamp"), n_patients=50, weight_kg=80.0, seed=7)
    b = sample_parameters(get_model("kamp"), n_patients=50, weight_kg=80.0, seed=7)
    c = sample_parameters(get_model("kamp"), n_patients=50, weight_kg=80.0, seed=8)
    assert_array_equal(a.v1_l, b.v1_l)
    assert_array_equal(a.k31_per_min, b.k31_per_min)
    assert not np.array_equal(a.v1_l, c.v1_l)


# --------------------------------------------------------------------------------------
