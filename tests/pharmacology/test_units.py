"""Unit conversions: known answers, round trips, and arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ketamine_clinic.pharmacology.units import (
    KG_PER_LB,
    MG_HCL_PER_MG_BASE,
    SaltForm,
    base_to_hcl_mg,
    h_to_min,
    hcl_to_base_mg,
    kg_to_lb,
    lb_to_kg,
    min_to_h,
    strength_as_base_mg_per_ml,
)


def test_the_constants_are_the_referenced_values() -> None:
    assert KG_PER_LB == 0.45359237  # exact by the 1959 agreement
    assert MG_HCL_PER_MG_BASE == 1.153  # shared pharmacology reference


def test_the_salt_ratio_matches_the_molar_masses() -> None:
    # C13H16ClNO 237.73 g/mol; its hydrochloride 274.19 g/mol (PubChem).
    assert_allclose(274.19 / 237.73, MG_HCL_PER_MG_BASE, rtol=5e-4)


def test_180_lb_is_81_6466_kg() -> None:
    # 180 x 0.45359237 = 81.6466266
    assert_allclose(lb_to_kg(180.0), 81.6466266, rtol=1e-12)


def test_41_mg_base_is_47_273_mg_hcl() -> None:
    # 41 x 1.153 = 47.273
    assert_allclose(base_to_hcl_mg(41.0), 47.273, rtol=1e-12)


def test_a_vial_labelled_as_hcl_holds_less_base_than_its_label() -> None:
    # 50 mg/mL of HCl / 1.153 = 43.365 mg/mL of base
    assert_allclose(strength_as_base_mg_per_ml(50.0, SaltForm.HCL), 43.3651344, rtol=1e-8)
    assert strength_as_base_mg_per_ml(50.0, SaltForm.BASE) == 50.0


def test_minutes_and_hours_convert_both_ways() -> None:
    assert min_to_h(55.0) == 55.0 / 60.0
    assert h_to_min(0.75) == 45.0


def test_conversions_broadcast_over_arrays() -> None:
    weights_lb = np.array([100.0, 180.0, 300.0])
    assert_allclose(lb_to_kg(weights_lb), weights_lb * 0.45359237)
    assert_allclose(hcl_to_base_mg(base_to_hcl_mg(weights_lb)), weights_lb)


@given(st.floats(min_value=1e-3, max_value=1e6))
def test_every_conversion_round_trips(value: float) -> None:
    assert_allclose(kg_to_lb(lb_to_kg(value)), value, rtol=1e-12)
    assert_allclose(hcl_to_base_mg(base_to_hcl_mg(value)), value, rtol=1e-12)
    assert_allclose(h_to_min(min_to_h(value)), value, rtol=1e-12)


def test_every_docstring_example_of_the_dosing_modules_runs() -> None:
    import doctest

    from ketamine_clinic.pharmacology import (
        dosing,
        drug_library,
        drug_library_data,
        titration,
        units,
    )

    for module in (units, dosing, titration, drug_library, drug_library_data):
        failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert attempted > 0, module.__name__
        assert failed == 0, module.__name__
