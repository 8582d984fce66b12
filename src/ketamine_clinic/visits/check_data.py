"""The pre-infusion checks and their limits, as data a clinic configures.

Each number is a default from ``/work/shared/reference/clinical.md`` ("the
reference"); (verify) marks values the reference does not give, to be reviewed by the
clinic. Whether a failing check blocks or only warns, and whether a prescriber may
override it, is configured here too; ``checks.py`` holds how each one is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Severity(StrEnum):
    """What a failing check does to the transition to ``checks_done``."""

    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class VitalsLimits:
    """Baseline vitals: at or beyond a ``block`` limit the infusion waits; at or beyond a
    ``warn`` limit the nurse reads a warning."""

    # Reference: "defer if pre-infusion BP >= 160/100 (warn >= 140/90)" (verify per
    # clinic); the Spravato label also considers deferring above 140/90.
    systolic_block_mmhg: int = 160
    diastolic_block_mmhg: int = 100
    systolic_warn_mmhg: int = 140
    diastolic_warn_mmhg: int = 90
    # Reference: "SpO2 < 92% stimulate and give oxygen": do not start below it.
    spo2_block_below_percent: int = 92
    # 95%: the lower end of normal on room air; 92-94 is worth a second look (verify).
    spo2_warn_below_percent: int = 95
    # 130/min: the reference pauses a running infusion above HR 130, so an infusion
    # must not start there.
    heart_rate_block_above_per_min: int = 130
    # Above 100 (tachycardia) or below 50 (bradycardia): warn (verify).
    heart_rate_warn_above_per_min: int = 100
    heart_rate_warn_below_per_min: int = 50
    # Respiratory rate, when recorded: outside 10-24/min warns (verify).
    respiratory_rate_warn_below_per_min: int = 10
    respiratory_rate_warn_above_per_min: int = 24
    # Baseline vitals older than this are not a baseline (verify).
    max_age: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class FastingRules:
    """Reference: "no food for 4 h before; water allowed until 2 h before"."""

    solid_food: timedelta = timedelta(hours=4)
    clear_fluids: timedelta = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class CheckDefinition:
    """One pre-infusion check: what it is called, what a failure does, who may overrule."""

    key: str
    label: str
    severity: Severity
    # False for checks no prescriber may wave through: they stand for a legal or safety
    # requirement that has its own way to be met (sign the consent, assess the flag).
    overridable: bool


CHECKS: Final[tuple[CheckDefinition, ...]] = (
    CheckDefinition("fasting", "Fasting", Severity.BLOCKING, overridable=True),
    CheckDefinition("escort", "Escort confirmed for today", Severity.BLOCKING, overridable=True),
    CheckDefinition("consent", "Consent current", Severity.BLOCKING, overridable=False),
    CheckDefinition("weight", "Weight measured today", Severity.BLOCKING, overridable=True),
    CheckDefinition("vitals", "Baseline vitals within limits", Severity.BLOCKING, True),
    CheckDefinition("pregnancy", "Pregnancy test", Severity.BLOCKING, overridable=False),
    CheckDefinition("phq9", "PHQ-9 recorded today", Severity.BLOCKING, overridable=True),
    CheckDefinition("suicide_risk", "No open suicide-risk flag", Severity.BLOCKING, False),
    CheckDefinition("eligibility", "Eligibility decision in force", Severity.BLOCKING, False),
    # A yes/no the nurse records; a "no" is worth a warning, not a lost session.
    CheckDefinition("medications", "Medication changes reviewed", Severity.WARNING, True),
    CheckDefinition("iv_access", "IV access in place", Severity.BLOCKING, overridable=False),
)

DEFAULT_CHECKS: Final[Mapping[str, CheckDefinition]] = MappingProxyType(
    {check.key: check for check in CHECKS}
)
DEFAULT_VITALS_LIMITS: Final = VitalsLimits()
DEFAULT_FASTING_RULES: Final = FastingRules()
