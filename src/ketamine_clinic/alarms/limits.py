"""The clinic's alarm limits, and each patient's adjustments to them.

A limit is an ``AlarmRule``: one priority tier of one parameter (identified by its MDC
term), with a low and/or high threshold, the alarm condition delay and whether it latches.
A parameter may have several tiers on one side (SpO2 < 90 medium, < 85 high): they make
one alarm condition whose priority is that of the worst tier breached long enough.

A prescriber adjusts a limit for one patient (a lower SpO2 limit for a patient whose
normal is 88, a higher SBP limit for a treated hypertensive) with a reason; adjustments
outside sane absolute bounds are refused, so no adjustment can switch an alarm off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise
from typing import Final

from ketamine_clinic.alarms.enums import PRIORITY_RANK, Priority, Side
from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.mdc import Term


@dataclass(frozen=True, slots=True)
class Label:
    """How a nurse reads a parameter in a message: ``SpO2 84 % < 85``."""

    short: str
    unit: str


LABELS: Final[dict[int, Label]] = {
    mdc.HEART_RATE.code: Label("HR", "/min"),
    mdc.SPO2.code: Label("SpO2", "%"),
    mdc.PULSE_RATE_OXIMETER.code: Label("PR", "/min"),
    mdc.NIBP_SYSTOLIC.code: Label("SBP", "mmHg"),
    mdc.NIBP_DIASTOLIC.code: Label("DBP", "mmHg"),
    mdc.NIBP_MEAN.code: Label("MAP", "mmHg"),
    mdc.NIBP.code: Label("NIBP", "mmHg"),  # the reading as a whole (one cuff inflation)
    mdc.RESP_RATE.code: Label("RR", "/min"),
    mdc.TEMPERATURE.code: Label("Temp", "°C"),
}


def label(code: int) -> Label:
    """The parameter's label; an unknown code is named by its number."""
    return LABELS.get(code) or Label(f"MDC {code}", "")


class AlarmLimitsInvalid(ValueError):
    """A rule or an adjustment the clinic cannot use: ``field`` and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AlarmRule:
    """One priority tier of one parameter's limits.

    ``delay_s`` is the alarm condition delay: a breach must last that long before it is an
    alarm, because most short breaches are artefacts (87-99 % of monitor alarms are not
    actionable, Bonafide 2015) and a 10-15 s SpO2 delay cuts alarm counts without missing
    events (Lansdowne 2016; reference/devices.md). ``latching``: the alarm stays shown until
    someone acknowledges it, even after the value recovers, so a desaturation that resolved
    on its own while nobody was in the room is still seen.
    """

    parameter: Term
    priority: Priority
    low: Decimal | None
    high: Decimal | None
    delay_s: int
    latching: bool = False

    def __post_init__(self) -> None:
        where = f"{label(self.parameter.code).short} {self.priority} rule"
        if self.low is None and self.high is None:
            raise AlarmLimitsInvalid(f"{where}.low/high", "a rule needs at least one limit")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise AlarmLimitsInvalid(
                f"{where}.low", f"low limit {self.low} must be below high limit {self.high}"
            )
        if self.delay_s < 0:
            raise AlarmLimitsInvalid(f"{where}.delay_s", "a delay cannot be negative")

    def threshold(self, side: Side) -> Decimal | None:
        return self.low if side is Side.LOW else self.high


def _d(text: str) -> Decimal:
    return Decimal(text)


# Adult defaults (reference/devices.md, "Alarm systems (IEC 60601-1-8)": typical adult
# defaults HR/PR 50-120, SpO2 low 90 and desaturation 85 as high priority, NIBP systolic
# 90-160, diastolic 50-90, mean 60-110). The reference gives no priority except for the
# desaturation; medium for the rest is this clinic's choice (verify per clinic).
# Delays: SpO2 10-15 s (reference, Lansdowne 2016); the others are ours (verify).
DEFAULT_RULES: Final[tuple[AlarmRule, ...]] = (
    # HR 50-120 (reference); 10 s delay: ours, the shortest SpO2 delay (verify).
    AlarmRule(mdc.HEART_RATE, Priority.MEDIUM, _d("50"), _d("120"), delay_s=10),
    AlarmRule(mdc.PULSE_RATE_OXIMETER, Priority.MEDIUM, _d("50"), _d("120"), delay_s=10),
    # SpO2 low 90 (reference) after 15 s (the reference's 10-15 s, upper end: fewer alarms).
    AlarmRule(mdc.SPO2, Priority.MEDIUM, _d("90"), None, delay_s=15),
    # Desaturation 85 as high priority (reference: 85 or 80; verify). Its own, shorter
    # delay (10 s, the reference's lower end; verify): a deeper fall is less likely an
    # artefact and more dangerous. Latching: a desaturation must be seen by someone.
    AlarmRule(mdc.SPO2, Priority.HIGH, _d("85"), None, delay_s=10, latching=True),
    # NIBP (reference): one reading every 3-5 min, so no delay (a delay would wait for
    # the next cuff cycle, minutes later).
    AlarmRule(mdc.NIBP_SYSTOLIC, Priority.MEDIUM, _d("90"), _d("160"), delay_s=0),
    AlarmRule(mdc.NIBP_DIASTOLIC, Priority.MEDIUM, _d("50"), _d("90"), delay_s=0),
    AlarmRule(mdc.NIBP_MEAN, Priority.MEDIUM, _d("60"), _d("110"), delay_s=0),
    # Not in the reference: common adult monitor defaults (verify per clinic).
    AlarmRule(mdc.RESP_RATE, Priority.MEDIUM, _d("8"), _d("30"), delay_s=15),
    AlarmRule(mdc.TEMPERATURE, Priority.LOW, _d("35.5"), _d("38.5"), delay_s=60),
)


@dataclass(frozen=True, slots=True)
class AbsoluteBound:
    minimum: Decimal
    maximum: Decimal
    why: str


# Sane absolute bounds for any limit of a parameter, whoever sets it (verify: ours, not the
# reference's). They keep an adjustment from switching an alarm off in effect: an SpO2 low
# limit of 50 would never sound, one of 101 would always sound.
ABSOLUTE_BOUNDS: Final[dict[tuple[int, Side], AbsoluteBound]] = {
    (mdc.SPO2.code, Side.LOW): AbsoluteBound(
        _d("80"),
        _d("100"),
        "the reference's lowest desaturation limit is 80; a saturation cannot exceed 100",
    ),
    (mdc.HEART_RATE.code, Side.LOW): AbsoluteBound(
        _d("30"), _d("100"), "below 30/min an alarm would come too late (verify)"
    ),
    (mdc.HEART_RATE.code, Side.HIGH): AbsoluteBound(
        _d("80"), _d("180"), "above 180/min an adult tachycardia would not alarm (verify)"
    ),
    (mdc.PULSE_RATE_OXIMETER.code, Side.LOW): AbsoluteBound(
        _d("30"), _d("100"), "as for HR (verify)"
    ),
    (mdc.PULSE_RATE_OXIMETER.code, Side.HIGH): AbsoluteBound(
        _d("80"), _d("180"), "as for HR (verify)"
    ),
    (mdc.NIBP_SYSTOLIC.code, Side.LOW): AbsoluteBound(
        _d("70"), _d("130"), "hypotension below 70 mmHg must alarm (verify)"
    ),
    (mdc.NIBP_SYSTOLIC.code, Side.HIGH): AbsoluteBound(
        _d("120"),
        _d("200"),
        "the clinical reference pauses the rate above 180; 200 leaves room, no more (verify)",
    ),
    (mdc.NIBP_DIASTOLIC.code, Side.LOW): AbsoluteBound(
        _d("35"), _d("80"), "diastolic hypotension below 35 mmHg must alarm (verify)"
    ),
    (mdc.NIBP_DIASTOLIC.code, Side.HIGH): AbsoluteBound(
        _d("70"),
        _d("120"),
        "the clinical reference pauses the rate above 110; 120 leaves room, no more (verify)",
    ),
    (mdc.NIBP_MEAN.code, Side.LOW): AbsoluteBound(
        _d("45"), _d("90"), "a mean below 45 mmHg must alarm (verify)"
    ),
    (mdc.NIBP_MEAN.code, Side.HIGH): AbsoluteBound(
        _d("80"), _d("140"), "a mean above 140 mmHg must alarm (verify)"
    ),
    (mdc.RESP_RATE.code, Side.LOW): AbsoluteBound(
        _d("4"), _d("16"), "bradypnoea below 4/min must alarm (verify)"
    ),
    (mdc.RESP_RATE.code, Side.HIGH): AbsoluteBound(
        _d("20"), _d("50"), "tachypnoea above 50/min must alarm (verify)"
    ),
    (mdc.TEMPERATURE.code, Side.LOW): AbsoluteBound(
        _d("33"), _d("37"), "hypothermia below 33 °C must alarm (verify)"
    ),
    (mdc.TEMPERATURE.code, Side.HIGH): AbsoluteBound(
        _d("37.5"), _d("41"), "fever above 41 °C must alarm (verify)"
    ),
}


@dataclass(frozen=True, slots=True)
class ClinicAlarmLimits:
    """The clinic's limits: every rule, at most one per (parameter, priority).

    Tiers on one side must grow more extreme with priority (the high-priority SpO2 limit
    is at or below the medium one), otherwise a value could be "high" without being
    "medium" and the condition's priority would jump about.
    """

    rules: tuple[AlarmRule, ...] = DEFAULT_RULES

    def __post_init__(self) -> None:
        seen: set[tuple[int, Priority]] = set()
        for rule in self.rules:
            key = (rule.parameter.code, rule.priority)
            if key in seen:
                raise AlarmLimitsInvalid(
                    f"{label(rule.parameter.code).short} {rule.priority} rule",
                    "one rule per parameter and priority",
                )
            seen.add(key)
        for code in {rule.parameter.code for rule in self.rules}:
            _check_tiers(self.for_parameter(code))

    def for_parameter(self, code: int) -> tuple[AlarmRule, ...]:
        """The parameter's rules, least urgent first."""
        return tuple(
            sorted(
                (rule for rule in self.rules if rule.parameter.code == code),
                key=lambda rule: PRIORITY_RANK[rule.priority],
            )
        )

    def rule(self, code: int, priority: Priority) -> AlarmRule | None:
        for rule in self.rules:
            if rule.parameter.code == code and rule.priority is priority:
                return rule
        return None

    @property
    def parameters(self) -> frozenset[int]:
        return frozenset(rule.parameter.code for rule in self.rules)


def _check_tiers(rules: tuple[AlarmRule, ...]) -> None:
    for less, more in pairwise(rules):
        name = label(less.parameter.code).short
        if less.low is not None and more.low is not None and more.low > less.low:
            raise AlarmLimitsInvalid(
                f"{name} {more.priority}-priority low limit",
                f"{more.low} must be at or below the {less.priority} low limit {less.low}",
            )
        if less.high is not None and more.high is not None and more.high < less.high:
            raise AlarmLimitsInvalid(
                f"{name} {more.priority}-priority high limit",
                f"{more.high} must be at or above the {less.priority} high limit {less.high}",
            )


@dataclass(frozen=True, slots=True)
class LimitAdjustment:
    """A prescriber's change of one limit for one patient, with why (kept on the record)."""

    parameter_code: int
    priority: Priority
    side: Side
    limit: Decimal
    reason: str
    by: str


def effective_limits(
    clinic: ClinicAlarmLimits, adjustments: Iterable[LimitAdjustment]
) -> ClinicAlarmLimits:
    """The clinic's limits with one patient's adjustments applied, in order.

    Raises ``AlarmLimitsInvalid`` naming the field and the reason for an adjustment of a
    limit the clinic does not have, without a reason or author, outside the absolute
    bounds, or one that would cross the other side's limit or the neighbouring tier.
    """
    rules = {(rule.parameter.code, rule.priority): rule for rule in clinic.rules}
    for adjustment in adjustments:
        name = label(adjustment.parameter_code).short
        where = f"{name} {adjustment.side} limit ({adjustment.priority} priority)"
        if not adjustment.reason.strip():
            raise AlarmLimitsInvalid(f"{where}.reason", "an adjustment needs a reason")
        if not adjustment.by.strip():
            raise AlarmLimitsInvalid(f"{where}.by", "an adjustment needs its prescriber")
        rule = rules.get((adjustment.parameter_code, adjustment.priority))
        if rule is None or rule.threshold(adjustment.side) is None:
            raise AlarmLimitsInvalid(
                f"{where}.parameter_code", "the clinic has no such limit to adjust"
            )
        if not adjustment.limit.is_finite():
            raise AlarmLimitsInvalid(f"{where}.limit", "not a number")
        bound = ABSOLUTE_BOUNDS.get((adjustment.parameter_code, adjustment.side))
        if bound is not None and not bound.minimum <= adjustment.limit <= bound.maximum:
            raise AlarmLimitsInvalid(
                f"{where}.limit",
                f"{adjustment.limit} is outside {bound.minimum}-{bound.maximum} ({bound.why})",
            )
        try:
            adjusted = (
                replace(rule, low=adjustment.limit)
                if adjustment.side is Side.LOW
                else replace(rule, high=adjustment.limit)
            )
        except AlarmLimitsInvalid as error:
            raise AlarmLimitsInvalid(f"{where}.limit", error.reason) from None
        rules[(adjustment.parameter_code, adjustment.priority)] = adjusted
        tiers = sorted(
            (r for (code, _p), r in rules.items() if code == adjustment.parameter_code),
            key=lambda r: PRIORITY_RANK[r.priority],
        )
        try:
            _check_tiers(tuple(tiers))
        except AlarmLimitsInvalid as error:
            raise AlarmLimitsInvalid(f"{where}.limit", f"{error.field} {error.reason}") from None
    return ClinicAlarmLimits(rules=tuple(rules.values()))
