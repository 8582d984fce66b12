"""Dosing and syringe maths: known answers worked by hand, and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ketamine_clinic.pharmacology.dosing import (
    InfusionPlan,
    dose_rate_mg_per_kg_per_h,
    infusion_rate_ml_per_h,
    patient_weight_kg,
    plan_infusion,
    round_to_resolution,
    smallest_syringe_ml,
    total_dose_mg,
)
from ketamine_clinic.pharmacology.dosing_errors import HardLimitBreach, InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import Verdict
from ketamine_clinic.pharmacology.drug_library_data import DEPRESSION
from ketamine_clinic.pharmacology.units import SaltForm


def plan(**overrides: object) -> InfusionPlan:
    """The brief's example order (82 kg, 0.5 mg/kg over 55 min, 50 -> 1 mg/mL), varied."""
    arguments: dict[str, object] = {
        "weight_kg": 82.0,
        "dose_mg_per_kg": 0.5,
        "duration_min": 55.0,
        "vial_strength_mg_per_ml": 50.0,
        "concentration_mg_per_ml": 1.0,
        "entry": DEPRESSION,
    }
    arguments.update(overrides)
    return plan_infusion(**arguments)  # type: ignore[arg-type]


def test_the_82_kg_order_gives_the_hand_worked_plan() -> None:
    result = plan()
    assert result.total_base_mg == 41.0  # 82 kg x 0.5 mg/kg
    assert_allclose(result.total_hcl_mg, 47.273, rtol=1e-12)  # 41 x 1.153
    assert_allclose(result.stock_volume_ml, 0.82, rtol=1e-12)  # 41 mg / 50 mg/mL
    assert_allclose(result.vtbi_ml, 41.0, rtol=1e-12)  # 41 mg / 1 mg/mL
    assert_allclose(result.diluent_volume_ml, 40.18, rtol=1e-12)  # 41 - 0.82 mL
    assert result.syringe_size_ml == 50.0  # 41 mL does not fit 30, fits 50
    # 41 mL / (55/60 h) = 44.727272... mL/h, rounded to 0.1 -> 44.7
    assert_allclose(result.exact_rate_ml_per_h, 44.72727272727, rtol=1e-12)
    assert result.rate_ml_per_h == 44.7
    # Stopped at 55 min: 44.7 x 55/60 x 1 = 40.975 mg, 0.025 mg (0.061 %) short.
    assert_allclose(result.rounding_dose_error_mg, -0.025, rtol=1e-9)
    assert_allclose(result.rounding_dose_error_percent, -0.025 / 41 * 100, rtol=1e-9)
    # Run to the VTBI: 41 / 44.7 x 60 = 55.03356 min, two seconds late.
    assert_allclose(result.run_min, 55.033557, rtol=1e-7)
    assert_allclose(result.ordered_dose_rate_mg_per_kg_per_h, 0.545454545, rtol=1e-9)
    assert_allclose(result.delivered_dose_rate_mg_per_kg_per_h, 44.7 / 82, rtol=1e-12)
    assert result.check_result.verdict is Verdict.OK
    assert result.program.rate_ml_per_h == 44.7
    assert result.program.vtbi_ml == result.vtbi_ml


def test_the_standard_70_kg_order_runs_at_0_75_mg_per_kg_per_h() -> None:
    result = plan(weight_kg=70.0, duration_min=40.0)
    assert_allclose(result.ordered_dose_rate_mg_per_kg_per_h, 0.75, rtol=1e-12)  # 0.5 x 60/40
    assert result.total_base_mg == 35.0  # 70 x 0.5
    assert result.rate_ml_per_h == 52.5  # 35 mL over 2/3 h, exact at 0.1 mL/h
    assert result.rounding_dose_error_mg == 0.0
    assert result.syringe_size_ml == 50.0


def test_a_weight_in_pounds_is_converted_exactly() -> None:
    weight_kg = patient_weight_kg(weight_lb=180.0)
    assert_allclose(weight_kg, 81.6466266, rtol=1e-12)  # 180 x 0.45359237
    result = plan(weight_kg=weight_kg)
    assert_allclose(result.total_base_mg, 40.8233133, rtol=1e-9)  # 81.6466266 x 0.5


def test_a_vial_labelled_as_hcl_is_drawn_by_its_base_content() -> None:
    # 57.65 mg/mL of HCl = 57.65 / 1.153 = 50 mg/mL of base: the same 0.82 mL.
    result = plan(vial_strength_mg_per_ml=57.65, vial_labelled_as=SaltForm.HCL)
    assert_allclose(result.vial_strength_base_mg_per_ml, 50.0, rtol=1e-12)
    assert_allclose(result.stock_volume_ml, 0.82, rtol=1e-12)


def test_a_start_time_gives_the_end_time_at_the_rounded_rate() -> None:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    result = plan(start=start)
    # 55.033557 min after 09:00 = 09:55:02.013
    assert result.expected_end == start + timedelta(minutes=41 / 44.7 * 60)
    assert plan().expected_end is None


def test_a_coarser_pump_resolution_rounds_to_whole_ml_per_h() -> None:
    result = plan(pump_resolution_ml_per_h=1.0)
    assert result.rate_ml_per_h == 45.0  # 44.727 -> 45
    # (45 - 44.7272...) x 55/60 x 1 mg/mL = 0.25 mg over the 41 mg ordered
    assert_allclose(result.rounding_dose_error_mg, 0.25, rtol=1e-9)


def test_the_smallest_configured_syringe_that_holds_the_volume_is_chosen() -> None:
    assert plan(weight_kg=40.0).syringe_size_ml == 20.0  # 20 mL fits exactly
    assert plan(syringe_sizes_ml=(50.0, 60.0)).syringe_size_ml == 50.0
    assert smallest_syringe_ml(61.0, (10.0, 60.0)) is None


def test_rounding_is_half_up_on_the_decimal_value() -> None:
    assert round_to_resolution(0.25, 0.1) == 0.3
    assert round_to_resolution(105.45, 0.1) == 105.5
    assert round_to_resolution(44.72727, 0.1) == 44.7
    assert round_to_resolution(12.34, 0.01) == 12.34


def test_the_core_equations_broadcast_over_arrays() -> None:
    weights_kg = np.array([50.0, 70.0, 100.0])
    assert_allclose(total_dose_mg(weights_kg, 0.5), [25.0, 35.0, 50.0])
    assert_allclose(dose_rate_mg_per_kg_per_h(0.5, np.array([40.0, 60.0])), [0.75, 0.5])
    assert_allclose(infusion_rate_ml_per_h(weights_kg, 0.75, 2.0), [18.75, 26.25, 37.5])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weight_kg": 19.9}, "weight_kg: 19.9 kg is outside 20-300 kg"),
        ({"weight_kg": 301.0}, "weight_kg: 301 kg is outside 20-300 kg"),
        ({"weight_kg": float("nan")}, "weight_kg: must be a finite number of kg; got nan"),
        ({"weight_kg": True}, "weight_kg: must be a number of kg; got True"),
        ({"dose_mg_per_kg": 0.0}, "dose_mg_per_kg: 0 mg/kg is outside 0.01-5 mg/kg"),
        ({"dose_mg_per_kg": 50.0}, "dose_mg_per_kg: 50 mg/kg is outside 0.01-5 mg/kg"),
        ({"duration_min": 0.0}, "duration_min: 0 min is outside 1-1440 min"),
        ({"duration_min": -55.0}, "duration_min: -55 min is outside 1-1440 min"),
        ({"vial_strength_mg_per_ml": 0.0}, "vial_strength_mg_per_ml: must be above 0 mg/mL; got 0"),
        (
            {"vial_strength_mg_per_ml": 500.0},
            "vial_strength_mg_per_ml: 500 mg/mL is above the strongest vial made (100 mg/mL)",
        ),
        (
            {"concentration_mg_per_ml": -1.0},
            "concentration_mg_per_ml: must be above 0 mg/mL; got -1",
        ),
        (
            {"vial_strength_mg_per_ml": 10.0, "concentration_mg_per_ml": 20.0},
            "concentration_mg_per_ml: 20 mg/mL is stronger than the stock (10 mg base/mL); "
            "a dilution cannot concentrate",
        ),
        (
            {"pump_resolution_ml_per_h": 0.0},
            "pump_resolution_ml_per_h: 0 mL/h is outside 0.001-10 mL/h",
        ),
        ({"syringe_sizes_ml": ()}, "syringe_sizes_ml: give one or more sizes above 0 mL"),
        (
            {"start": datetime(2025, 3, 1, 9, 0)},  # noqa: DTZ001 - the naive time under test
            "start: needs a time zone (e.g. 2025-03-01T09:00+00:00)",
        ),
        (
            # 150 kg x 0.5 mg/kg = 75 mg = 75 mL at 1 mg/mL: more than a 60 mL syringe.
            {"weight_kg": 150.0},
            "concentration_mg_per_ml: the volume to infuse, 75.0 mL at 1 mg/mL, does not fit "
            "the largest syringe (60 mL); choose a higher concentration",
        ),
        (
            # 20 kg x 0.2 mg/kg = 4 mg = 0.04 mL of 100 mg/mL stock: not measurable.
            {"weight_kg": 20.0, "dose_mg_per_kg": 0.2, "vial_strength_mg_per_ml": 100.0},
            "vial_strength_mg_per_ml: only 0.040 mL of stock would be drawn, below the 0.1 mL "
            "that can be measured; use a weaker vial",
        ),
    ],
)
def test_each_impossible_input_is_refused_naming_the_field(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidDoseInput) as raised:
        plan(**overrides)
    assert str(raised.value) == message
    assert raised.value.field == message.partition(":")[0]


def test_a_weight_must_be_given_once_in_kg_or_in_lb() -> None:
    with pytest.raises(InvalidDoseInput, match="exactly one"):
        patient_weight_kg()
    with pytest.raises(InvalidDoseInput, match="exactly one"):
        patient_weight_kg(weight_kg=80.0, weight_lb=176.0)
    with pytest.raises(InvalidDoseInput) as raised:
        patient_weight_kg(weight_lb=30.0)
    assert str(raised.value) == "weight_lb: 30 lb (13.6 kg) is outside 20-300 kg"


def test_an_order_over_the_hard_dose_rate_limit_is_refused_with_the_nurses_message() -> None:
    # 1.0 mg/kg over 30 min = 2 mg/kg/h; at 2 mg/mL 41 mL at 82 mL/h.
    with pytest.raises(HardLimitBreach) as raised:
        plan(dose_mg_per_kg=1.0, duration_min=30.0, concentration_mg_per_ml=2.0)
    assert str(raised.value) == (
        "Dose rate 2 mg/kg/h is above the hard limit of 1.5 mg/kg/h for Ketamine 2 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    )


def test_an_order_just_over_a_hard_limit_is_refused_even_when_rounding_would_hide_it() -> None:
    # 1.0 mg/kg over 39.99 min = 1.50038 mg/kg/h. For 20 kg at 1 mg/mL the exact rate,
    # 30.0075 mL/h, rounds to 30.0 mL/h = 1.5 mg/kg/h: the order is still refused.
    with pytest.raises(HardLimitBreach) as raised:
        plan(weight_kg=20.0, dose_mg_per_kg=1.0, duration_min=39.99)
    assert str(raised.value).startswith(
        "Dose rate 1.5004 mg/kg/h is above the hard limit of 1.5 mg/kg/h"
    )


def test_an_order_on_a_hard_limit_is_refused_when_rounding_up_crosses_it() -> None:
    # 70.3 kg, 0.5 mg/kg over 20 min = exactly 1.5 mg/kg/h (on the limit: allowed), but
    # 35.15 mL x 3 /h = 105.45 mL/h rounds up to 105.5 = 1.50071 mg/kg/h: over it.
    with pytest.raises(HardLimitBreach) as raised:
        plan(weight_kg=70.3, duration_min=20.0)
    assert str(raised.value).startswith(
        "Dose rate 1.501 mg/kg/h is above the hard limit of 1.5 mg/kg/h"
    )


def test_a_soft_breach_is_returned_for_a_prescriber_to_override() -> None:
    # 70 kg, 0.9 mg/kg over 45 min = 1.2 mg/kg/h (soft high 1.0); 2 mg/mL -> 31.5 mL.
    result = plan(
        weight_kg=70.0, dose_mg_per_kg=0.9, duration_min=45.0, concentration_mg_per_ml=2.0
    )
    assert result.rate_ml_per_h == 42.0  # 31.5 mL over 0.75 h
    assert result.check_result.verdict is Verdict.SOFT_BREACH
    assert result.check_result.messages == (
        "Dose rate 1.2 mg/kg/h is above the soft limit of 1 mg/kg/h for Ketamine 2 mg/mL "
        "(depression). It runs only after a prescriber overrides this alert with a reason.",
    )


def test_a_standard_40_min_order_is_not_a_soft_breach_because_of_rate_rounding() -> None:
    # 72.5 kg, 0.5 mg/kg over 40 min at 1 mg/mL: 54.375 mL/h rounds to 54.4, which runs
    # 39.98 min, under the 40 min soft limit by 1 s. The pump shows 40.0 min: no override.
    plan = plan_infusion(
        weight_kg=72.5,
        dose_mg_per_kg=0.5,
        duration_min=40,
        vial_strength_mg_per_ml=50,
        concentration_mg_per_ml=1,
        entry=DEPRESSION,
    )
    assert plan.run_min == pytest.approx(39.98, abs=0.005)
    assert plan.check_result.verdict == Verdict.OK
