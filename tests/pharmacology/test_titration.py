"""Titration of a running infusion: known answers, both modes, and every refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from numpy.testing import assert_allclose

from ketamine_clinic.pharmacology.dosing import plan_infusion
from ketamine_clinic.pharmacology.dosing_errors import HardLimitBreach, InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import Verdict, override_soft_limits
from ketamine_clinic.pharmacology.drug_library_data import DEPRESSION
from ketamine_clinic.pharmacology.titration import (
    RunningInfusion,
    TitrationMode,
    TitrationStep,
    advance,
    titrate,
)

# 70 kg, 0.5 mg/kg over 55 min at 1 mg/mL: 35 mL at 38.2 mL/h (exact 38.18), half-way:
# 17.5 mL infused in 27.5 min. Current dose rate 38.2 / 70 = 0.545714 mg/kg/h.
HALF_WAY = RunningInfusion(
    concentration_mg_per_ml=1.0,
    weight_kg=70.0,
    rate_ml_per_h=38.2,
    vtbi_ml=35.0,
    infused_ml=17.5,
    elapsed_min=27.5,
    syringe_contents_ml=35.0,
)


def test_raising_by_20_percent_keeps_the_volume_and_brings_the_end_forward() -> None:
    result = titrate(HALF_WAY, TitrationStep.by_percent(20), entry=DEPRESSION)
    # 0.545714 x 1.2 = 0.654857 mg/kg/h x 70 kg / 1 mg/mL = 45.84 -> 45.8 mL/h
    assert_allclose(result.requested_dose_rate_mg_per_kg_per_h, 0.6548571, rtol=1e-6)
    assert result.rate_ml_per_h == 45.8
    assert_allclose(result.dose_rate_mg_per_kg_per_h, 45.8 / 70, rtol=1e-12)
    assert result.remaining_volume_ml == 17.5
    assert_allclose(result.remaining_min, 17.5 / 45.8 * 60, rtol=1e-12)  # 22.93 min
    assert_allclose(result.session_duration_min, 27.5 + 22.925764, rtol=1e-7)
    assert result.vtbi_ml == 35.0
    assert result.total_base_mg == 35.0  # the prescribed 0.5 mg/kg is kept
    assert_allclose(result.total_hcl_mg, 35.0 * 1.153, rtol=1e-12)
    assert result.total_dose_mg_per_kg == 0.5
    assert result.check_result.verdict is Verdict.OK
    assert result.infusion.rate_ml_per_h == 45.8
    assert result.infusion.infused_ml == 17.5


def test_lowering_by_0_1_mg_per_kg_per_h_pushes_the_end_back() -> None:
    result = titrate(HALF_WAY, TitrationStep.by_dose_rate(-0.1), entry=DEPRESSION)
    # 0.545714 - 0.1 = 0.445714 x 70 = 31.2 mL/h; 17.5 mL takes 33.65 min
    assert result.rate_ml_per_h == 31.2
    assert_allclose(result.remaining_min, 33.653846, rtol=1e-7)
    assert result.total_base_mg == 35.0


def test_setting_a_dose_rate_programs_its_rate() -> None:
    result = titrate(HALF_WAY, TitrationStep.to_dose_rate(0.75), entry=DEPRESSION)
    assert result.rate_ml_per_h == 52.5  # 0.75 x 70 / 1
    assert result.previous_rate_ml_per_h == 38.2


def test_the_new_end_time_is_counted_from_the_change() -> None:
    now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    result = titrate(HALF_WAY, TitrationStep.by_percent(20), entry=DEPRESSION, now=now)
    assert result.expected_end == now + timedelta(minutes=17.5 / 45.8 * 60)


def test_keeping_the_end_time_changes_the_total_dose_within_the_syringe() -> None:
    drawn_40_ml = replace(HALF_WAY, syringe_contents_ml=40.0)
    result = titrate(
        drawn_40_ml,
        TitrationStep.by_percent(20),
        entry=DEPRESSION,
        mode=TitrationMode.KEEP_END_TIME,
    )
    # Time left at 38.2 mL/h: 17.5 / 38.2 x 60 = 27.487 min; at 45.8 mL/h that is
    # 45.8 x 27.487 / 60 = 20.982 mL, so 17.5 + 20.982 = 38.482 mg (0.5497 mg/kg).
    assert result.rate_ml_per_h == 45.8
    assert_allclose(result.remaining_min, 27.486911, rtol=1e-7)
    assert_allclose(result.remaining_volume_ml, 20.981675, rtol=1e-7)
    assert_allclose(result.total_base_mg, 38.481675, rtol=1e-7)
    assert_allclose(result.total_dose_mg_per_kg, 0.549738, rtol=1e-6)
    assert_allclose(result.session_duration_min, 55.0 - 0.013089, rtol=1e-6)


def test_keeping_the_end_time_cannot_infuse_more_than_the_syringe_holds() -> None:
    with pytest.raises(InvalidDoseInput) as raised:
        titrate(
            HALF_WAY,
            TitrationStep.by_percent(20),
            entry=DEPRESSION,
            mode=TitrationMode.KEEP_END_TIME,
        )
    assert str(raised.value) == (
        "mode: keeping the end time needs 38.5 mL in all but the syringe holds 35.0 mL; "
        "keep the volume (end time moves) or draw up a new syringe"
    )


def test_a_step_over_the_hard_limit_is_refused_with_the_nurses_message_not_clamped() -> None:
    with pytest.raises(HardLimitBreach) as raised:
        titrate(HALF_WAY, TitrationStep.to_dose_rate(1.8), entry=DEPRESSION)
    assert str(raised.value) == (
        "Dose rate 1.8 mg/kg/h is above the hard limit of 1.5 mg/kg/h for Ketamine 1 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    )


def test_slowing_so_far_that_the_session_outruns_its_hard_duration_is_refused() -> None:
    # 0.06 mg/kg/h = 4.2 mL/h: 17.5 mL takes 250 min, 277.5 min in all (hard max 240).
    with pytest.raises(HardLimitBreach) as raised:
        titrate(HALF_WAY, TitrationStep.to_dose_rate(0.06), entry=DEPRESSION)
    assert str(raised.value) == (
        "Duration 277.5 min is above the hard limit of 240 min for Ketamine 1 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    )


def test_a_soft_breach_runs_only_after_a_prescriber_override() -> None:
    # 0.1 mg/kg/h = 7 mL/h: below the soft 0.2, and 27.5 + 150 = 177.5 min (soft 100).
    result = titrate(HALF_WAY, TitrationStep.to_dose_rate(0.1), entry=DEPRESSION)
    assert result.check_result.verdict is Verdict.SOFT_BREACH
    assert result.check_result.messages == (
        "Dose rate 0.1 mg/kg/h is below the soft limit of 0.2 mg/kg/h for Ketamine 1 mg/mL "
        "(depression). It runs only after a prescriber overrides this alert with a reason.",
        "Duration 177.5 min is above the soft limit of 100 min for Ketamine 1 mg/mL "
        "(depression). It runs only after a prescriber overrides this alert with a reason.",
    )
    accepted = override_soft_limits(
        result.check_result, override_by="dr.okafor", reason="Dissociation; slow to finish."
    )
    assert accepted.program == result.program


def test_lowering_by_100_percent_is_refused_because_stopping_is_done_at_the_pump() -> None:
    with pytest.raises(InvalidDoseInput) as raised:
        titrate(HALF_WAY, TitrationStep.by_percent(-100), entry=DEPRESSION)
    assert str(raised.value) == (
        "step: the new dose rate 0 mg/kg/h is not above 0; to stop the infusion, stop the pump"
    )


def test_a_step_of_nothing_or_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidDoseInput, match=r"^step: a step of 0 changes nothing$"):
        TitrationStep.by_percent(0)
    with pytest.raises(InvalidDoseInput, match=r"^step: must be a finite number"):
        TitrationStep.by_dose_rate(float("inf"))


def test_a_complete_infusion_cannot_be_titrated() -> None:
    complete = replace(HALF_WAY, infused_ml=35.0)
    with pytest.raises(InvalidDoseInput) as raised:
        titrate(complete, TitrationStep.by_percent(10), entry=DEPRESSION)
    assert str(raised.value) == "infused_ml: the infusion is complete; nothing is left to titrate"


def test_a_running_infusion_cannot_have_infused_more_than_its_vtbi() -> None:
    with pytest.raises(InvalidDoseInput, match=r"^infused_ml: 36 mL is more than the VTBI"):
        replace(HALF_WAY, infused_ml=36.0)
    with pytest.raises(InvalidDoseInput, match=r"^vtbi_ml: 35 mL is more than the syringe"):
        replace(HALF_WAY, syringe_contents_ml=30.0)


def test_a_naive_time_of_change_is_refused() -> None:
    with pytest.raises(InvalidDoseInput, match=r"^now: needs a time zone"):
        titrate(
            HALF_WAY,
            TitrationStep.by_percent(10),
            entry=DEPRESSION,
            now=datetime(2025, 3, 1, 9, 30),  # noqa: DTZ001 - the naive time under test
        )


def test_an_infusion_started_from_a_plan_advances_at_its_rate_and_stops_at_the_vtbi() -> None:
    plan = plan_infusion(
        weight_kg=70.0,
        dose_mg_per_kg=0.5,
        duration_min=40.0,
        vial_strength_mg_per_ml=50.0,
        concentration_mg_per_ml=1.0,
        entry=DEPRESSION,
    )
    running = RunningInfusion.from_plan(plan)
    assert running.syringe_contents_ml == 35.0
    after_20 = advance(running, 20.0)
    assert after_20.infused_ml == 17.5  # 52.5 mL/h x 1/3 h
    assert after_20.elapsed_min == 20.0
    done = advance(after_20, 60.0)
    assert done.infused_ml == 35.0
    assert done.elapsed_min == 40.0  # the pump stops at the VTBI


def test_successive_titrations_chain_through_the_returned_infusion() -> None:
    first = titrate(HALF_WAY, TitrationStep.by_percent(20), entry=DEPRESSION)
    later = advance(first.infusion, 10.0)
    second = titrate(later, TitrationStep.by_dose_rate(-0.1), entry=DEPRESSION)
    # 10 min at 45.8 mL/h = 7.633 mL more; 0.654286 - 0.1 = 0.554286 x 70 = 38.8 mL/h
    assert_allclose(later.infused_ml, 17.5 + 45.8 / 6, rtol=1e-12)
    assert second.rate_ml_per_h == 38.8
    assert second.total_base_mg == 35.0
