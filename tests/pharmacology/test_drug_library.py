"""The drug library: its data, the check, the nurse's messages and the override model."""

from __future__ import annotations

import pytest

from ketamine_clinic.pharmacology.dosing_errors import (
    HardLimitBreach,
    InvalidDoseInput,
    OverrideRefused,
)
from ketamine_clinic.pharmacology.drug_library import (
    HARD_HIGH_MESSAGE,
    HARD_LOW_MESSAGE,
    OVERRIDE_NEEDS_PRESCRIBER,
    OVERRIDE_NEEDS_REASON,
    OVERRIDE_NOTHING_TO_OVERRIDE,
    OVERRIDE_REQUIRED,
    SOFT_HIGH_MESSAGE,
    SOFT_LOW_MESSAGE,
    AcceptedProgram,
    Direction,
    DoseRateUnit,
    DrugLibraryEntry,
    LimitBand,
    LimitedQuantity,
    PumpProgram,
    Severity,
    SoftLimitOverride,
    Verdict,
    accept_program,
    check,
    format_number,
    override_soft_limits,
)
from ketamine_clinic.pharmacology.drug_library_data import (
    CARDIOVASCULAR_CAUTION,
    DEFAULT_LIBRARY,
    DEPRESSION,
    library_entry,
)


def program(
    *, weight_kg: float = 70.0, concentration: float = 1.0, dose_rate: float, minutes: float
) -> PumpProgram:
    """A first program at ``dose_rate`` mg/kg/h for ``minutes``."""
    rate_ml_per_h = dose_rate * weight_kg / concentration
    return PumpProgram(
        concentration_mg_per_ml=concentration,
        weight_kg=weight_kg,
        rate_ml_per_h=rate_ml_per_h,
        vtbi_ml=rate_ml_per_h * minutes / 60,
    )


# 0.5 mg/kg over 55 min (0.545 mg/kg/h), the clinic's usual session.
USUAL = program(dose_rate=0.5 * 60 / 55, minutes=55.0)


def test_the_library_has_a_depression_and_a_cardiovascular_caution_care_area() -> None:
    assert sorted(DEFAULT_LIBRARY) == ["depression", "depression-cv-caution"]
    assert library_entry("depression") is DEPRESSION
    assert DEPRESSION.care_area == "Ketamine infusion clinic — depression"
    assert DEPRESSION.weight_based
    assert DEPRESSION.dosing_unit is DoseRateUnit.MG_PER_KG_PER_H


def test_the_depression_limits_are_the_documented_defaults() -> None:
    assert DEPRESSION.dose_rate == LimitBand(0.05, 0.2, 1.0, 1.5)
    assert DEPRESSION.total_dose == LimitBand(0.1, 0.3, 1.0, 1.5)
    assert DEPRESSION.duration_min == LimitBand(20.0, 40.0, 100.0, 240.0)
    assert DEPRESSION.concentration_mg_per_ml == LimitBand(hard_low=1.0, hard_high=5.0)
    assert DEPRESSION.max_rate_ml_per_h == 150.0


def test_cardiovascular_caution_is_stricter_than_depression_everywhere() -> None:
    for strict, usual in (
        (CARDIOVASCULAR_CAUTION.dose_rate, DEPRESSION.dose_rate),
        (CARDIOVASCULAR_CAUTION.total_dose, DEPRESSION.total_dose),
    ):
        assert strict.soft_high is not None and usual.soft_high is not None
        assert strict.hard_high is not None and usual.hard_high is not None
        assert strict.soft_high < usual.soft_high
        assert strict.hard_high < usual.hard_high
    assert CARDIOVASCULAR_CAUTION.duration_min.soft_low == 50.0
    assert DEPRESSION.duration_min.soft_low == 40.0
    assert CARDIOVASCULAR_CAUTION.max_rate_ml_per_h < DEPRESSION.max_rate_ml_per_h


def test_an_unknown_care_area_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidDoseInput) as raised:
        library_entry("icu")
    assert str(raised.value) == (
        "care_area: unknown care area 'icu'; choose from depression, depression-cv-caution"
    )


def test_the_usual_session_is_within_every_limit_of_both_care_areas() -> None:
    for entry in DEFAULT_LIBRARY.values():
        result = check(USUAL, entry)
        assert result.verdict is Verdict.OK
    assert check(USUAL, DEPRESSION).messages == (
        "Within every limit of Ketamine 1 mg/mL (depression).",
    )


def test_the_studied_40_minute_session_alerts_only_in_cardiovascular_caution() -> None:
    studied = program(dose_rate=0.75, minutes=40.0)
    assert check(studied, DEPRESSION).verdict is Verdict.OK
    result = check(studied, CARDIOVASCULAR_CAUTION)
    assert result.verdict is Verdict.SOFT_BREACH
    assert result.messages == (
        "Duration 40 min is below the soft limit of 50 min for Ketamine 1 mg/mL "
        "(depression, cardiovascular caution). It runs only after a prescriber overrides "
        "this alert with a reason.",
    )


def test_a_dose_rate_above_the_hard_limit_reads_as_the_brief_says() -> None:
    result = check(program(dose_rate=1.8, minutes=30.0), DEPRESSION)
    assert result.verdict is Verdict.HARD_BREACH
    (breach,) = result.hard_breaches
    assert breach.quantity is LimitedQuantity.DOSE_RATE
    assert breach.direction is Direction.HIGH
    assert breach.limit == 1.5
    assert breach.message == (
        "Dose rate 1.8 mg/kg/h is above the hard limit of 1.5 mg/kg/h for Ketamine 1 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    )


def test_each_message_template_is_filled_exactly() -> None:
    fields = {"quantity": "Total dose", "value": "2", "limit": "1.5", "unit": "mg/kg"}
    label = {"label": "Ketamine 2 mg/mL (depression)"}
    assert HARD_HIGH_MESSAGE.format(**fields, **label) == (
        "Total dose 2 mg/kg is above the hard limit of 1.5 mg/kg for Ketamine 2 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    )
    assert HARD_LOW_MESSAGE.format(**fields, **label).startswith(
        "Total dose 2 mg/kg is below the hard limit of 1.5 mg/kg"
    )
    assert SOFT_HIGH_MESSAGE.format(**fields, **label).endswith(
        "It runs only after a prescriber overrides this alert with a reason."
    )
    assert SOFT_LOW_MESSAGE.format(**fields, **label).startswith(
        "Total dose 2 mg/kg is below the soft limit"
    )


def test_every_quantity_is_checked_with_its_unit() -> None:
    # 10 mg/mL (hard max 5); 45 mL/h x 10 / 300 kg = 1.5 mg/kg/h (on the hard limit,
    # over the soft 1.0); 600 mg / 300 kg = 2 mg/kg (hard max 1.5); 80 min (fine).
    wild = PumpProgram(
        concentration_mg_per_ml=10.0, weight_kg=300.0, rate_ml_per_h=45.0, vtbi_ml=60.0
    )
    result = check(wild, DEPRESSION)
    assert [(b.quantity, b.severity, b.direction, b.unit) for b in result.breaches] == [
        (LimitedQuantity.CONCENTRATION, Severity.HARD, Direction.HIGH, "mg/mL"),
        (LimitedQuantity.DOSE_RATE, Severity.SOFT, Direction.HIGH, "mg/kg/h"),
        (LimitedQuantity.TOTAL_DOSE, Severity.HARD, Direction.HIGH, "mg/kg"),
    ]
    assert result.verdict is Verdict.HARD_BREACH
    fast = program(weight_kg=150.0, dose_rate=1.2, minutes=25.0)  # 180 mL/h
    assert [b.message for b in check(fast, DEPRESSION).hard_breaches] == [
        "Pump rate 180 mL/h is above the hard limit of 150 mL/h for Ketamine 1 mg/mL "
        "(depression). The pump will not run this program; re-enter it."
    ]


def test_a_value_on_a_limit_is_within_it_and_one_just_over_prints_distinctly() -> None:
    assert check(program(dose_rate=1.5, minutes=40.0), DEPRESSION).verdict is Verdict.SOFT_BREACH
    just_over = check(program(dose_rate=1.5004, minutes=40.0), DEPRESSION)
    assert just_over.hard_breaches[0].message.startswith(
        "Dose rate 1.5004 mg/kg/h is above the hard limit of 1.5 mg/kg/h"
    )


def test_numbers_read_without_trailing_zeros() -> None:
    assert format_number(1.8) == "1.8"
    assert format_number(150.0) == "150"
    assert format_number(0.5454545) == "0.545"
    assert format_number(-0.0001) == "0"


def test_a_total_dose_limit_sees_what_was_infused_earlier_in_the_session() -> None:
    # 70 kg: 60 mL already given (0.857 mg/kg) + 20 mL now = 80 mg = 1.143 mg/kg (soft).
    later = PumpProgram(
        concentration_mg_per_ml=1.0,
        weight_kg=70.0,
        rate_ml_per_h=52.5,
        vtbi_ml=20.0,
        infused_before_ml=60.0,
        elapsed_before_min=45.0,
    )
    result = check(later, DEPRESSION)
    assert [b.quantity for b in result.soft_breaches] == [LimitedQuantity.TOTAL_DOSE]
    assert result.soft_breaches[0].message.startswith("Total dose 1.143 mg/kg is above the soft")


def test_a_non_weight_based_entry_limits_mg_per_h_and_mg() -> None:
    flat = DrugLibraryEntry(
        key="flat",
        care_area="Test — flat dosing",
        label="flat",
        drug="Ketamine",
        concentration_mg_per_ml=LimitBand(hard_low=1.0, hard_high=5.0),
        standard_concentrations_mg_per_ml=(1.0,),
        dosing_unit=DoseRateUnit.MG_PER_H,
        dose_rate=LimitBand(soft_high=50.0, hard_high=80.0),
        total_dose=LimitBand(hard_high=70.0),
        max_rate_ml_per_h=150.0,
        duration_min=LimitBand(),
        advisory="",
    )
    result = check(USUAL, flat)  # 70 kg x 0.545 = 38.2 mg/h; 35 mg in all
    assert result.verdict is Verdict.OK
    heavy = program(weight_kg=150.0, dose_rate=0.6, minutes=50.0)  # 90 mg/h, 75 mg
    assert [b.message for b in check(heavy, flat).hard_breaches] == [
        "Dose rate 90 mg/h is above the hard limit of 80 mg/h for Ketamine 1 mg/mL (flat). "
        "The pump will not run this program; re-enter it.",
        "Total dose 75 mg is above the hard limit of 70 mg for Ketamine 1 mg/mL (flat). "
        "The pump will not run this program; re-enter it.",
    ]


def test_limits_out_of_order_are_refused_when_the_library_loads() -> None:
    with pytest.raises(ValueError, match=r"soft_high 2\.0 is above hard_high 1\.5"):
        LimitBand(hard_low=0.1, soft_high=2.0, hard_high=1.5)
    with pytest.raises(ValueError, match="a limit must be a finite number"):
        LimitBand(hard_high=float("nan"))


def test_a_program_within_limits_is_accepted_without_an_override() -> None:
    accepted = accept_program(check(USUAL, DEPRESSION))
    assert accepted.override is None
    assert accepted.check_result.verdict is Verdict.OK
    with pytest.raises(OverrideRefused) as raised:
        override_soft_limits(check(USUAL, DEPRESSION), override_by="dr.okafor", reason="why")
    assert str(raised.value) == OVERRIDE_NOTHING_TO_OVERRIDE


def test_a_soft_breach_is_accepted_with_the_prescriber_and_reason_recorded() -> None:
    result = check(program(dose_rate=1.2, minutes=45.0), DEPRESSION)
    with pytest.raises(OverrideRefused) as raised:
        accept_program(result)
    assert str(raised.value) == OVERRIDE_REQUIRED
    accepted = override_soft_limits(
        result, override_by="  dr.okafor ", reason=" Tolerated 1.0 last session; no BP rise. "
    )
    assert accepted.override == SoftLimitOverride(
        override_by="dr.okafor",
        reason="Tolerated 1.0 last session; no BP rise.",
        breaches=result.soft_breaches,
    )


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_override_without_a_reason_is_refused(reason: str) -> None:
    result = check(program(dose_rate=1.2, minutes=45.0), DEPRESSION)
    with pytest.raises(OverrideRefused) as raised:
        override_soft_limits(result, override_by="dr.okafor", reason=reason)
    assert str(raised.value) == OVERRIDE_NEEDS_REASON


def test_an_override_without_a_prescriber_is_refused() -> None:
    result = check(program(dose_rate=1.2, minutes=45.0), DEPRESSION)
    with pytest.raises(OverrideRefused) as raised:
        override_soft_limits(result, override_by=" ", reason="Tolerated it last time.")
    assert str(raised.value) == OVERRIDE_NEEDS_PRESCRIBER


def test_no_override_gets_past_a_hard_limit() -> None:
    result = check(program(dose_rate=1.8, minutes=30.0), DEPRESSION)
    with pytest.raises(HardLimitBreach):
        override_soft_limits(result, override_by="dr.okafor", reason="I insist.")
    with pytest.raises(HardLimitBreach):
        accept_program(result)


def test_an_accepted_program_cannot_be_built_around_a_breach_directly() -> None:
    over = program(dose_rate=1.8, minutes=30.0)
    with pytest.raises(HardLimitBreach):
        AcceptedProgram(program=over, entry=DEPRESSION)
    soft = program(dose_rate=1.2, minutes=45.0)
    with pytest.raises(OverrideRefused):
        AcceptedProgram(program=soft, entry=DEPRESSION)
    with pytest.raises(OverrideRefused):
        AcceptedProgram(
            program=soft,
            entry=DEPRESSION,
            override=SoftLimitOverride(override_by="dr.okafor", reason="r", breaches=()),
        )
