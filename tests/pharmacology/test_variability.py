"""Variability data: published omegas (Herd as CVs, Simons) and the marked assumed default."""

from __future__ import annotations

import math

import pytest

from ketamine_clinic.pharmacology.errors import (
    InvalidPopulationRequest,
)
from ketamine_clinic.pharmacology.models import (
    HERD,
    get_model,
    model_from_clearances,
)
from ketamine_clinic.pharmacology.variability import (
    ASSUMED_DEFAULT_CV,
    HERD_VARIABILITY,
    SIMONS_VARIABILITY,
    Variability,
    cv_from_omega_squared,
    default_variability,
    omega_squared_from_cv,
)

# --------------------------------------------------------------------------------------
# Variability data
# --------------------------------------------------------------------------------------


def test_a_cv_of_64_percent_is_an_omega_squared_of_ln_1_4096() -> None:
    # ln(1 + 0.64^2) = ln(1.4096) = 0.343305976...
    assert omega_squared_from_cv(0.64) == pytest.approx(0.3433059762, rel=1e-9)
    assert cv_from_omega_squared(math.log(1.4096)) == pytest.approx(0.64, rel=1e-12)


def test_herds_bsv_is_read_as_cvs_and_converted() -> None:
    v = HERD_VARIABILITY
    assert v.is_published
    assert v.omega_squared_v1 == pytest.approx(math.log(1 + 0.64**2))
    assert v.omega_squared_v2 == pytest.approx(math.log(1 + 0.517**2))  # 0.2369
    assert v.omega_squared_cl == pytest.approx(math.log(1 + 0.381**2))  # 0.1355
    assert v.omega_squared_q2 == pytest.approx(math.log(1 + 0.19**2))  # 0.0355
    assert v.omega_squared_v3 == v.omega_squared_q3 == 0.0
    assert v.cv_by_parameter["v1"] == pytest.approx(0.64)
    assert "ln(1 + CV^2)" in v.note
    assert default_variability(HERD) is HERD_VARIABILITY


def test_simons_omega_squared_are_used_as_published() -> None:
    v = SIMONS_VARIABILITY
    assert v.is_published
    assert v.omega_squared_by_parameter == {
        "v1": 0.057,
        "v2": 0.0,
        "v3": 0.0,
        "cl": 0.029,
        "q2": 0.0,
        "q3": 0.026,
    }
    assert default_variability(get_model("simons")) is SIMONS_VARIABILITY


@pytest.mark.parametrize("name", ["domino", "clements", "hijazi", "kamp"])
def test_models_without_published_variability_get_the_assumed_default(name: str) -> None:
    model = get_model(name)
    v = default_variability(model)
    assert not v.is_published
    assert "assumed" in v.source
    count = model.for_patient(weight_kg=70).compartment_count
    expected = {"v1", "cl"} | ({"v2", "q2"} if count >= 2 else set())
    expected |= {"v3", "q3"} if count == 3 else set()
    for parameter, cv in v.cv_by_parameter.items():
        assert cv == pytest.approx(ASSUMED_DEFAULT_CV if parameter in expected else 0.0)


def test_a_user_defined_model_reusing_a_published_name_does_not_inherit_its_numbers() -> None:
    impostor = model_from_clearances(
        name="herd", v1_l=38.7, cl_l_per_min=1.5, v2_l=102.0, q2_l_per_min=3.58
    )
    v = default_variability(impostor)
    assert not v.is_published
    assert v.cv_by_parameter["v1"] == pytest.approx(0.30)


@pytest.mark.parametrize(
    "field", ["omega_squared_v1", "omega_squared_v2", "omega_squared_cl", "omega_squared_q3"]
)
@pytest.mark.parametrize("bad", [-0.01, math.nan, math.inf])
def test_a_variability_refuses_negative_or_non_finite_omega_squared(field: str, bad: float) -> None:
    with pytest.raises(InvalidPopulationRequest) as info:
        Variability(**{field: bad}, source="test")  # type: ignore[arg-type]
    assert info.value.field == f"variability.{field}"


# --------------------------------------------------------------------------------------
