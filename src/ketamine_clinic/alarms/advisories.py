"""Ketamine advisories: what the clinical reference proposes when a vital sign crosses a line.

An advisory is not an alarm: it has no sound, it proposes an action to the nurse and the
prescriber (lower or pause the rate, stimulate and give oxygen, stop), and it is recorded
and shown. The clinician decides; the pump is never changed by an advisory.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketamine_clinic.alarms.enums import ProposedAction, Side
from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.mdc import Term


@dataclass(frozen=True, slots=True)
class AdvisoryRule:
    """``parameter`` beyond ``limit`` on ``side`` for ``delay_s`` proposes ``action``."""

    name: str  # stable, part of the advisory's id
    parameter: Term
    side: Side
    limit: Decimal
    delay_s: int
    action: ProposedAction
    advice: str  # the words after "SBP 186 > 180: "
    say_duration: bool = False  # "SpO2 89 < 90 for 60 s: ..." when the time is the point

    def breached(self, value: Decimal) -> bool:
        return value < self.limit if self.side is Side.LOW else value > self.limit


_LOWER = "consider lowering the rate or pausing"

# reference/clinical.md, "Reasonable configurable defaults (verify per clinic)": during
# infusion reduce or pause the rate when SBP > 180 or DBP > 110, or HR > 130; SpO2 < 92 %
# stimulate and give oxygen, < 90 % sustained stop.
KETAMINE_ADVISORIES: Final[tuple[AdvisoryRule, ...]] = (
    # NIBP: one reading every 3-5 min, so no delay.
    AdvisoryRule(
        "sbp_high",
        mdc.NIBP_SYSTOLIC,
        Side.HIGH,
        Decimal(180),
        0,
        ProposedAction.LOWER_OR_PAUSE_RATE,
        _LOWER,
    ),
    AdvisoryRule(
        "dbp_high",
        mdc.NIBP_DIASTOLIC,
        Side.HIGH,
        Decimal(110),
        0,
        ProposedAction.LOWER_OR_PAUSE_RATE,
        _LOWER,
    ),
    # HR: the HR alarm's 10 s delay (ours, verify); pulse rate when there is no ECG.
    AdvisoryRule(
        "hr_high",
        mdc.HEART_RATE,
        Side.HIGH,
        Decimal(130),
        10,
        ProposedAction.LOWER_OR_PAUSE_RATE,
        _LOWER,
    ),
    AdvisoryRule(
        "pr_high",
        mdc.PULSE_RATE_OXIMETER,
        Side.HIGH,
        Decimal(130),
        10,
        ProposedAction.LOWER_OR_PAUSE_RATE,
        _LOWER,
    ),
    # SpO2 < 92: the SpO2 alarm's 15 s delay (reference/devices.md 10-15 s).
    AdvisoryRule(
        "spo2_below_92",
        mdc.SPO2,
        Side.LOW,
        Decimal(92),
        15,
        ProposedAction.STIMULATE_AND_OXYGEN,
        "stimulate the patient and give oxygen",
    ),
    # SpO2 < 90 "sustained": the reference gives no time; 60 s is ours (verify).
    AdvisoryRule(
        "spo2_below_90_sustained",
        mdc.SPO2,
        Side.LOW,
        Decimal(90),
        60,
        ProposedAction.STOP_INFUSION,
        "consider stopping the infusion",
        say_duration=True,
    ),
)
