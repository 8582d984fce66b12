"""The clinic's default limits, as the references give them, and per-patient adjustments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.alarms.advisories import KETAMINE_ADVISORIES
from ketamine_clinic.alarms.enums import Priority, ProposedAction, Side, TechnicalKind
from ketamine_clinic.alarms.limits import (
    ABSOLUTE_BOUNDS,
    AlarmLimitsInvalid,
    AlarmRule,
    ClinicAlarmLimits,
    LimitAdjustment,
    effective_limits,
)
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices import mdc

D = Decimal
CLINIC = ClinicAlarmLimits()


def _rule(term: mdc.Term, priority: Priority = Priority.MEDIUM) -> AlarmRule:
    rule = CLINIC.rule(term.code, priority)
    assert rule is not None
    return rule


def test_the_adult_defaults_are_the_references_numbers() -> None:
    # reference/devices.md: HR/PR 50-120; SpO2 low 90, desaturation 85 as high priority;
    # NIBP systolic 90-160, diastolic 50-90, mean 60-110.
    assert (_rule(mdc.HEART_RATE).low, _rule(mdc.HEART_RATE).high) == (D(50), D(120))
    assert (_rule(mdc.PULSE_RATE_OXIMETER).low, _rule(mdc.PULSE_RATE_OXIMETER).high) == (
        D(50),
        D(120),
    )
    assert _rule(mdc.SPO2).low == D(90)
    assert _rule(mdc.SPO2).high is None
    assert _rule(mdc.SPO2, Priority.HIGH).low == D(85)
    assert (_rule(mdc.NIBP_SYSTOLIC).low, _rule(mdc.NIBP_SYSTOLIC).high) == (D(90), D(160))
    assert (_rule(mdc.NIBP_DIASTOLIC).low, _rule(mdc.NIBP_DIASTOLIC).high) == (D(50), D(90))
    assert (_rule(mdc.NIBP_MEAN).low, _rule(mdc.NIBP_MEAN).high) == (D(60), D(110))


def test_the_spo2_delays_are_within_the_references_10_to_15_s() -> None:
    assert 10 <= _rule(mdc.SPO2).delay_s <= 15
    assert 10 <= _rule(mdc.SPO2, Priority.HIGH).delay_s <= 15
    # The desaturation has its own delay, and latches.
    assert _rule(mdc.SPO2, Priority.HIGH).delay_s != _rule(mdc.SPO2).delay_s
    assert _rule(mdc.SPO2, Priority.HIGH).latching
    assert not _rule(mdc.SPO2).latching


def test_nibp_has_no_delay_and_no_no_data_alarm() -> None:
    # One reading every 3-5 min: a delay or a 10 s no-data alarm would be wrong.
    for term in (mdc.NIBP_SYSTOLIC, mdc.NIBP_DIASTOLIC, mdc.NIBP_MEAN):
        assert _rule(term).delay_s == 0
        assert term.code not in AlarmPolicy().no_data_s
    assert AlarmPolicy().no_data_s[mdc.SPO2.code] == 10


def test_the_policy_defaults() -> None:
    policy = AlarmPolicy()
    assert policy.interlock_enabled is False  # the issue: off by default
    assert policy.escalation_after_s == 30
    assert policy.max_silence_s == 120
    assert policy.technical_priority[TechnicalKind.PUMP_NEAR_END] is Priority.LOW


def test_the_ketamine_advisories_are_the_clinical_references_numbers() -> None:
    # reference/clinical.md: reduce or pause the rate when SBP > 180 or DBP > 110, or
    # HR > 130; SpO2 < 92 stimulate and give oxygen, < 90 sustained stop.
    by_name = {rule.name: rule for rule in KETAMINE_ADVISORIES}
    assert (by_name["sbp_high"].limit, by_name["sbp_high"].side) == (D(180), Side.HIGH)
    assert (by_name["dbp_high"].limit, by_name["dbp_high"].side) == (D(110), Side.HIGH)
    assert (by_name["hr_high"].limit, by_name["hr_high"].side) == (D(130), Side.HIGH)
    assert by_name["hr_high"].action is ProposedAction.LOWER_OR_PAUSE_RATE
    assert (by_name["spo2_below_92"].limit, by_name["spo2_below_92"].side) == (D(92), Side.LOW)
    assert by_name["spo2_below_92"].action is ProposedAction.STIMULATE_AND_OXYGEN
    assert by_name["spo2_below_90_sustained"].limit == D(90)
    assert by_name["spo2_below_90_sustained"].action is ProposedAction.STOP_INFUSION
    assert by_name["spo2_below_90_sustained"].delay_s > by_name["spo2_below_92"].delay_s


def _adjust(
    term: mdc.Term,
    side: Side,
    limit: str,
    priority: Priority = Priority.MEDIUM,
    reason: str = "COPD, baseline 88 %",
) -> LimitAdjustment:
    return LimitAdjustment(term.code, priority, side, D(limit), reason, "dr.okafor")


def test_a_prescriber_lowers_the_spo2_limit_for_one_patient() -> None:
    limits = effective_limits(CLINIC, [_adjust(mdc.SPO2, Side.LOW, "88")])
    assert limits.rule(mdc.SPO2.code, Priority.MEDIUM) == AlarmRule(
        mdc.SPO2, Priority.MEDIUM, D(88), None, delay_s=15
    )
    # The rest is the clinic's.
    assert limits.rule(mdc.SPO2.code, Priority.HIGH) == CLINIC.rule(mdc.SPO2.code, Priority.HIGH)
    assert CLINIC.rule(mdc.SPO2.code, Priority.MEDIUM) is not None
    assert _rule(mdc.SPO2).low == D(90)  # the clinic's own limits are untouched


def test_adjustments_apply_in_order() -> None:
    limits = effective_limits(
        CLINIC,
        [
            _adjust(mdc.NIBP_SYSTOLIC, Side.HIGH, "170"),
            _adjust(mdc.NIBP_SYSTOLIC, Side.HIGH, "175"),
        ],
    )
    rule = limits.rule(mdc.NIBP_SYSTOLIC.code, Priority.MEDIUM)
    assert rule is not None
    assert (rule.low, rule.high) == (D(90), D(175))


@pytest.mark.parametrize(
    ("adjustment", "field", "reason"),
    [
        (
            _adjust(mdc.SPO2, Side.LOW, "79"),
            "SpO2 low limit (medium priority).limit",
            "79 is outside 80-100",
        ),
        (
            _adjust(mdc.SPO2, Side.LOW, "100.5"),
            "SpO2 low limit (medium priority).limit",
            "100.5 is outside 80-100",
        ),
        (
            _adjust(mdc.SPO2, Side.LOW, "84"),
            "SpO2 low limit (medium priority).limit",
            "SpO2 high-priority low limit 85 must be at or below the medium low limit 84",
        ),
        (
            _adjust(mdc.SPO2, Side.HIGH, "99"),
            "SpO2 high limit (medium priority).parameter_code",
            "the clinic has no such limit to adjust",
        ),
        (
            _adjust(mdc.HEART_RATE, Side.HIGH, "181"),
            "HR high limit (medium priority).limit",
            "181 is outside 80-180",
        ),
        (
            _adjust(mdc.NIBP_SYSTOLIC, Side.HIGH, "210"),
            "SBP high limit (medium priority).limit",
            "210 is outside 120-200",
        ),
        (
            _adjust(mdc.SPO2, Side.LOW, "88", reason="  "),
            "SpO2 low limit (medium priority).reason",
            "an adjustment needs a reason",
        ),
        (
            _adjust(mdc.SPO2, Side.LOW, "NaN"),
            "SpO2 low limit (medium priority).limit",
            "not a number",
        ),
    ],
)
def test_an_adjustment_outside_sane_bounds_is_refused_naming_the_field(
    adjustment: LimitAdjustment, field: str, reason: str
) -> None:
    with pytest.raises(AlarmLimitsInvalid) as raised:
        effective_limits(CLINIC, [adjustment])
    assert raised.value.field == field
    assert raised.value.reason.startswith(reason)


def test_a_higher_hr_low_limit_inside_the_bounds_is_accepted() -> None:
    limits = effective_limits(CLINIC, [_adjust(mdc.HEART_RATE, Side.LOW, "95", reason="x")])
    rule = limits.rule(mdc.HEART_RATE.code, Priority.MEDIUM)
    assert rule is not None
    assert (rule.low, rule.high) == (D(95), D(120))


def test_a_low_limit_that_crosses_the_high_limit_is_refused() -> None:
    with pytest.raises(AlarmLimitsInvalid, match=r"HR low limit .*: low limit 100 must be below"):
        effective_limits(
            CLINIC,
            [_adjust(mdc.HEART_RATE, Side.HIGH, "90"), _adjust(mdc.HEART_RATE, Side.LOW, "100")],
        )


def test_a_clinic_with_two_rules_for_one_tier_is_refused() -> None:
    rule = _rule(mdc.SPO2)
    with pytest.raises(AlarmLimitsInvalid, match="one rule per parameter and priority"):
        ClinicAlarmLimits(rules=(rule, rule))


def test_a_rule_without_limits_is_refused() -> None:
    with pytest.raises(AlarmLimitsInvalid, match="at least one limit"):
        AlarmRule(mdc.SPO2, Priority.LOW, None, None, delay_s=0)


@given(st.sampled_from(sorted(ABSOLUTE_BOUNDS, key=str)), st.decimals(-1000, 1000, places=1))
def test_an_accepted_adjustment_is_always_within_the_absolute_bounds(
    key: tuple[int, Side], limit: Decimal
) -> None:
    code, side = key
    for priority in Priority:
        rule = CLINIC.rule(code, priority)
        if rule is None or rule.threshold(side) is None:
            continue
        adjustment = LimitAdjustment(code, priority, side, limit, "reason", "dr.okafor")
        try:
            limits = effective_limits(CLINIC, [adjustment])
        except AlarmLimitsInvalid:
            continue
        bound = ABSOLUTE_BOUNDS[key]
        assert bound.minimum <= limit <= bound.maximum
        adjusted = limits.rule(code, priority)
        assert adjusted is not None
        assert adjusted.threshold(side) == limit
