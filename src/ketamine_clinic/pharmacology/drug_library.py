"""Smart-pump drug library: entries, the limit check, and the soft-limit override.

A drug library entry holds, for one drug in one care area, the limits a pump applies
before it runs a program (dose error reduction software: BD Alaris Guardrails, B. Braun
DoseTrac, ISMP 2020 guidelines). Each limited quantity has up to four limits:

- hard low / hard high: the program is rejected and must be re-entered. No role, path or
  override runs it.
- soft low / soft high: the program runs only after a prescriber overrides the alert
  with a reason; the override is recorded with the breaches it covers.

`check` compares a `PumpProgram` with an entry and returns a `CheckResult`;
`accept_program` turns an in-limit result into an `AcceptedProgram`, and
`override_soft_limits` does so for a soft breach given who overrides and why. An
`AcceptedProgram` cannot be built around a hard breach (its constructor re-checks), so
the record a pump is sent from is always within the hard limits.

Totals and durations are per session: a program set during a titration carries what
was already infused (`infused_before_ml`) and how long it has run (`elapsed_before_min`),
so the total-dose and duration limits see the whole session, not only what is left.

The limits themselves are data, in `drug_library_data`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ketamine_clinic.pharmacology.dosing_errors import (
    HardLimitBreach,
    InvalidDoseInput,
    OverrideRefused,
)
from ketamine_clinic.pharmacology.units import MIN_PER_H, base_to_hcl_mg

# Values within this relative distance of a limit count as on it: float noise of the
# arithmetic (0.5 / 20 * 60 may come out as 1.5000000000000002), not a clinical margin.
RELATIVE_TOLERANCE: Final = 1e-9

# What the nurse reads. Placeholders: quantity ("Dose rate"), value, limit, unit, label
# ("Ketamine 1 mg/mL (depression)"). Tests assert these texts exactly.
HARD_HIGH_MESSAGE: Final = (
    "{quantity} {value} {unit} is above the hard limit of {limit} {unit} for {label}. "
    "The pump will not run this program; re-enter it."
)
HARD_LOW_MESSAGE: Final = (
    "{quantity} {value} {unit} is below the hard limit of {limit} {unit} for {label}. "
    "The pump will not run this program; re-enter it."
)
SOFT_HIGH_MESSAGE: Final = (
    "{quantity} {value} {unit} is above the soft limit of {limit} {unit} for {label}. "
    "It runs only after a prescriber overrides this alert with a reason."
)
SOFT_LOW_MESSAGE: Final = (
    "{quantity} {value} {unit} is below the soft limit of {limit} {unit} for {label}. "
    "It runs only after a prescriber overrides this alert with a reason."
)
WITHIN_LIMITS_MESSAGE: Final = "Within every limit of {label}."

OVERRIDE_NEEDS_REASON: Final = (
    "reason: a soft-limit override needs a reason; write why this program is right for "
    "this patient."
)
OVERRIDE_NEEDS_PRESCRIBER: Final = (
    "override_by: a soft-limit override needs the prescriber who makes it."
)
OVERRIDE_NOTHING_TO_OVERRIDE: Final = (
    "This program is within every limit; accept it without an override."
)
OVERRIDE_REQUIRED: Final = (
    "This program is outside a soft limit; a prescriber must override it with a reason "
    "before the pump runs it."
)


class DoseRateUnit(StrEnum):
    """The unit a pump entry is dosed in."""

    MG_PER_KG_PER_H = "mg/kg/h"
    MG_PER_H = "mg/h"


class LimitedQuantity(StrEnum):
    """What a limit applies to."""

    CONCENTRATION = "concentration"
    DOSE_RATE = "dose_rate"
    TOTAL_DOSE = "total_dose"
    DURATION = "duration"
    PUMP_RATE = "pump_rate"


QUANTITY_NAMES: Final[dict[LimitedQuantity, str]] = {
    LimitedQuantity.CONCENTRATION: "Concentration",
    LimitedQuantity.DOSE_RATE: "Dose rate",
    LimitedQuantity.TOTAL_DOSE: "Total dose",
    LimitedQuantity.DURATION: "Duration",
    LimitedQuantity.PUMP_RATE: "Pump rate",
}


class Severity(StrEnum):
    SOFT = "soft"
    HARD = "hard"


class Direction(StrEnum):
    LOW = "low"
    HIGH = "high"


class Verdict(StrEnum):
    """The outcome of a check: run it, run it after an override, or re-enter it."""

    OK = "ok"
    SOFT_BREACH = "soft_breach"
    HARD_BREACH = "hard_breach"


def format_number(value: float, *, decimals: int = 3) -> str:
    """A number as a nurse reads it: up to ``decimals`` decimals, no trailing zeros.

    Examples
    --------
    >>> format_number(1.8), format_number(0.5454545), format_number(150.0)
    ('1.8', '0.545', '150')
    """
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _distinct_texts(value: float, limit: float) -> tuple[str, str]:
    """Value and limit printed with enough decimals that they do not read the same.

    "1.5 is above the hard limit of 1.5" would puzzle a nurse; 1.5000004 prints whole.
    """
    for decimals in range(3, 10):
        value_text = format_number(value, decimals=decimals)
        limit_text = format_number(limit, decimals=decimals)
        if value_text != limit_text:
            return value_text, limit_text
    return value_text, limit_text


@dataclass(frozen=True)
class LimitBand:
    """The soft and hard limits, low and high, of one quantity (``None``: no limit).

    Limits are inclusive: a value equal to a limit is within it. They must be ordered
    ``hard_low <= soft_low <= soft_high <= hard_high`` wherever both are set.
    """

    hard_low: float | None = None
    soft_low: float | None = None
    soft_high: float | None = None
    hard_high: float | None = None

    def __post_init__(self) -> None:
        present = [
            (name, value)
            for name, value in (
                ("hard_low", self.hard_low),
                ("soft_low", self.soft_low),
                ("soft_high", self.soft_high),
                ("hard_high", self.hard_high),
            )
            if value is not None
        ]
        for name, value in present:
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name}: a limit must be a finite number >= 0; got {value}")
        for (low_name, low), (high_name, high) in itertools.pairwise(present):
            if low > high:
                raise ValueError(f"{low_name} {low} is above {high_name} {high}")

    def contains_hard(self, value: float) -> bool:
        """Whether ``value`` is within the hard limits (tolerance: float noise only)."""
        return not (_above(value, self.hard_high) or _below(value, self.hard_low))


def _above(value: float, limit: float | None) -> bool:
    return limit is not None and value > limit * (1 + RELATIVE_TOLERANCE)


def _below(value: float, limit: float | None) -> bool:
    return limit is not None and value < limit * (1 - RELATIVE_TOLERANCE)


@dataclass(frozen=True)
class DrugLibraryEntry:
    """One drug in one care area, with every limit the pump applies.

    Attributes
    ----------
    key : str
        The care area's identifier (``"depression"``), as given to ``--care-area``.
    care_area : str
        Its full name, e.g. "Ketamine infusion clinic — depression".
    label : str
        The short name used in messages: "Ketamine 1 mg/mL (<label>)".
    drug : str
        Drug name as the pump shows it ("Ketamine").
    concentration_mg_per_ml : LimitBand
        Allowed concentrations, mg of base per mL (hard limits only).
    standard_concentrations_mg_per_ml : tuple of float
        The concentrations the clinic stocks, offered first.
    dosing_unit : DoseRateUnit
        mg/kg/h (weight-based) or mg/h.
    dose_rate : LimitBand
        Continuous dose-rate limits in ``dosing_unit``.
    total_dose : LimitBand
        Limits on the session's total dose, mg/kg (weight-based) or mg, of base.
    max_rate_ml_per_h : float
        Hard ceiling on the pump rate, mL/h, whatever the weight and concentration.
    duration_min : LimitBand
        Limits on the session's infusion time, min.
    advisory : str
        Text the pump and the chart show with the entry.

    Notes
    -----
    Boluses are not supported: the antidepressant protocol has none, so an entry has no
    bolus limits and no code here programs a bolus.
    """

    key: str
    care_area: str
    label: str
    drug: str
    concentration_mg_per_ml: LimitBand
    standard_concentrations_mg_per_ml: tuple[float, ...]
    dosing_unit: DoseRateUnit
    dose_rate: LimitBand
    total_dose: LimitBand
    max_rate_ml_per_h: float
    duration_min: LimitBand
    advisory: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_rate_ml_per_h) and self.max_rate_ml_per_h > 0):
            raise ValueError(f"max_rate_ml_per_h must be > 0; got {self.max_rate_ml_per_h}")
        for concentration in self.standard_concentrations_mg_per_ml:
            if not self.concentration_mg_per_ml.contains_hard(concentration):
                raise ValueError(
                    f"standard concentration {concentration} mg/mL is outside the entry's "
                    "concentration limits"
                )

    @property
    def weight_based(self) -> bool:
        """Whether doses are per kg of body weight."""
        return self.dosing_unit is DoseRateUnit.MG_PER_KG_PER_H

    @property
    def total_dose_unit(self) -> str:
        return "mg/kg" if self.weight_based else "mg"

    def display_name(self, concentration_mg_per_ml: float) -> str:
        """The name a nurse reads, e.g. "Ketamine 1 mg/mL (depression)"."""
        return f"{self.drug} {format_number(concentration_mg_per_ml)} mg/mL ({self.label})"


@dataclass(frozen=True)
class PumpProgram:
    """What a syringe pump is set to run, and what of the session came before.

    Attributes
    ----------
    concentration_mg_per_ml : float
        Drug in the syringe, mg of ketamine base per mL.
    weight_kg : float
        The patient's weight measured for this visit, kg.
    rate_ml_per_h : float
        Pump rate, mL/h.
    vtbi_ml : float
        Volume to be infused from now on, mL (the pump stops when it is delivered).
    infused_before_ml : float
        Volume already infused in this session before this program, mL (0 for the first
        program; set by titration).
    elapsed_before_min : float
        Time the session has already run, min.

    Notes
    -----
    Everything else follows, so a program cannot contradict itself:
    dose rate = rate * c / W (mg/kg/h); session total = (infused_before + VTBI) * c
    (mg base); session duration = elapsed_before + 60 * VTBI / rate (min).
    """

    concentration_mg_per_ml: float
    weight_kg: float
    rate_ml_per_h: float
    vtbi_ml: float
    infused_before_ml: float = 0.0
    elapsed_before_min: float = 0.0

    def __post_init__(self) -> None:
        for name in ("concentration_mg_per_ml", "weight_kg", "rate_ml_per_h", "vtbi_ml"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InvalidDoseInput(name, f"must be a number above 0; got {value}")
        for name in ("infused_before_ml", "elapsed_before_min"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidDoseInput(name, f"must be a number of at least 0; got {value}")

    @property
    def dose_rate_mg_per_h(self) -> float:
        return self.rate_ml_per_h * self.concentration_mg_per_ml

    @property
    def dose_rate_mg_per_kg_per_h(self) -> float:
        return self.dose_rate_mg_per_h / self.weight_kg

    @property
    def run_min(self) -> float:
        """Time this program takes to infuse its VTBI, min."""
        return MIN_PER_H * self.vtbi_ml / self.rate_ml_per_h

    @property
    def session_volume_ml(self) -> float:
        return self.infused_before_ml + self.vtbi_ml

    @property
    def session_duration_min(self) -> float:
        return self.elapsed_before_min + self.run_min

    @property
    def total_base_mg(self) -> float:
        """Session total if the program runs to its end, mg of ketamine base."""
        return self.session_volume_ml * self.concentration_mg_per_ml

    @property
    def total_hcl_mg(self) -> float:
        """The same total as mg of ketamine hydrochloride."""
        return base_to_hcl_mg(self.total_base_mg)

    @property
    def total_dose_mg_per_kg(self) -> float:
        return self.total_base_mg / self.weight_kg


@dataclass(frozen=True)
class LimitBreach:
    """One value outside one limit, with the message the nurse reads."""

    quantity: LimitedQuantity
    severity: Severity
    direction: Direction
    value: float
    limit: float
    unit: str
    message: str


@dataclass(frozen=True)
class CheckResult:
    """A program checked against an entry: every breach found, and the verdict."""

    program: PumpProgram
    entry: DrugLibraryEntry
    breaches: tuple[LimitBreach, ...]

    @property
    def hard_breaches(self) -> tuple[LimitBreach, ...]:
        return tuple(b for b in self.breaches if b.severity is Severity.HARD)

    @property
    def soft_breaches(self) -> tuple[LimitBreach, ...]:
        return tuple(b for b in self.breaches if b.severity is Severity.SOFT)

    @property
    def verdict(self) -> Verdict:
        if self.hard_breaches:
            return Verdict.HARD_BREACH
        if self.soft_breaches:
            return Verdict.SOFT_BREACH
        return Verdict.OK

    @property
    def messages(self) -> tuple[str, ...]:
        """What the nurse reads: every breach, or that all is within limits."""
        if not self.breaches:
            return (
                WITHIN_LIMITS_MESSAGE.format(
                    label=self.entry.display_name(self.program.concentration_mg_per_ml)
                ),
            )
        return tuple(breach.message for breach in self.breaches)


# Soft duration limits compare the session time as a pump shows it (0.1 min): rounding
# the rate to the pump's resolution moves a 40 min order to 39.98 min, and a standard
# order must not ask for an override. Hard limits compare the exact value.
SOFT_DURATION_RESOLUTION_MIN: Final = 0.1


def _breaches_of(
    quantity: LimitedQuantity,
    value: float,
    band: LimitBand,
    unit: str,
    label: str,
    *,
    soft_resolution: float | None = None,
) -> list[LimitBreach]:
    """The worst breach of ``band`` by ``value``: hard before soft; none when within."""
    soft_value = (
        value if soft_resolution is None else round(value / soft_resolution) * soft_resolution
    )
    candidates = (
        (Severity.HARD, Direction.HIGH, band.hard_high, _above, HARD_HIGH_MESSAGE),
        (Severity.HARD, Direction.LOW, band.hard_low, _below, HARD_LOW_MESSAGE),
        (Severity.SOFT, Direction.HIGH, band.soft_high, _above, SOFT_HIGH_MESSAGE),
        (Severity.SOFT, Direction.LOW, band.soft_low, _below, SOFT_LOW_MESSAGE),
    )
    for severity, direction, limit, outside, template in candidates:
        compared = soft_value if severity is Severity.SOFT else value
        if limit is not None and outside(compared, limit):
            value_text, limit_text = _distinct_texts(value, limit)
            message = template.format(
                quantity=QUANTITY_NAMES[quantity],
                value=value_text,
                limit=limit_text,
                unit=unit,
                label=label,
            )
            return [LimitBreach(quantity, severity, direction, value, limit, unit, message)]
    return []


def check(program: PumpProgram, entry: DrugLibraryEntry) -> CheckResult:
    """Check a pump program against a drug library entry.

    Parameters
    ----------
    program : PumpProgram
        The program, with what the session infused before it.
    entry : DrugLibraryEntry
        The entry for the drug and care area.

    Returns
    -------
    CheckResult
        Every breach (at most one per quantity: the hard one when both apply), and the
        verdict: ``ok``, ``soft_breach`` (runs after a prescriber override) or
        ``hard_breach`` (rejected).

    Notes
    -----
    Quantities checked, in order: concentration c (mg/mL); dose rate r c / W (mg/kg/h)
    or r c (mg/h); session total (V_before + VTBI) c / W (mg/kg) or (mg); session
    duration t_before + 60 VTBI / r (min); pump rate r against the entry's maximum
    (a hard limit). Limits are inclusive, up to a relative 1e-9 of float noise.

    References
    ----------
    ISMP, Guidelines for Optimizing Safe Implementation and Use of Smart Infusion Pumps
    (2020); BD Alaris Guardrails and B. Braun Perfusor Space drug library manuals.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.drug_library_data import library_entry
    >>> program = PumpProgram(
    ...     concentration_mg_per_ml=1.0, weight_kg=70.0, rate_ml_per_h=52.5, vtbi_ml=35.0
    ... )
    >>> check(program, library_entry("depression")).verdict
    <Verdict.OK: 'ok'>
    """
    label = entry.display_name(program.concentration_mg_per_ml)
    if entry.weight_based:
        dose_rate = program.dose_rate_mg_per_kg_per_h
        total_dose = program.total_dose_mg_per_kg
    else:
        dose_rate = program.dose_rate_mg_per_h
        total_dose = program.total_base_mg
    breaches = [
        *_breaches_of(
            LimitedQuantity.CONCENTRATION,
            program.concentration_mg_per_ml,
            entry.concentration_mg_per_ml,
            "mg/mL",
            label,
        ),
        *_breaches_of(
            LimitedQuantity.DOSE_RATE, dose_rate, entry.dose_rate, entry.dosing_unit.value, label
        ),
        *_breaches_of(
            LimitedQuantity.TOTAL_DOSE, total_dose, entry.total_dose, entry.total_dose_unit, label
        ),
        *_breaches_of(
            LimitedQuantity.DURATION,
            program.session_duration_min,
            entry.duration_min,
            "min",
            label,
            soft_resolution=SOFT_DURATION_RESOLUTION_MIN,
        ),
        *_breaches_of(
            LimitedQuantity.PUMP_RATE,
            program.rate_ml_per_h,
            LimitBand(hard_high=entry.max_rate_ml_per_h),
            "mL/h",
            label,
        ),
    ]
    return CheckResult(program=program, entry=entry, breaches=tuple(breaches))


def refuse_hard_breaches(result: CheckResult) -> CheckResult:
    """Return ``result`` unless it holds a hard breach; then raise `HardLimitBreach`."""
    if result.hard_breaches:
        raise HardLimitBreach(result.hard_breaches)
    return result


@dataclass(frozen=True)
class SoftLimitOverride:
    """A prescriber's override of the soft breaches of one program.

    ``override_by`` identifies the prescriber (a user id or name); checking that the
    person holds the prescriber role is the caller's job (the clinic's service layer),
    as this library knows no users.
    """

    override_by: str
    reason: str
    breaches: tuple[LimitBreach, ...]


@dataclass(frozen=True)
class AcceptedProgram:
    """A program cleared to be sent to the pump: in limits, or soft breaches overridden.

    The constructor re-checks, so no code path can hold an accepted program over a hard
    limit or with an unrecorded soft breach.
    """

    program: PumpProgram
    entry: DrugLibraryEntry
    override: SoftLimitOverride | None = None

    def __post_init__(self) -> None:
        result = refuse_hard_breaches(check(self.program, self.entry))
        if result.soft_breaches and (
            self.override is None or self.override.breaches != result.soft_breaches
        ):
            raise OverrideRefused(OVERRIDE_REQUIRED)
        if self.override is not None and not result.soft_breaches:
            raise OverrideRefused(OVERRIDE_NOTHING_TO_OVERRIDE)

    @property
    def check_result(self) -> CheckResult:
        return check(self.program, self.entry)


def accept_program(result: CheckResult) -> AcceptedProgram:
    """Accept a program that is within every limit.

    Raises
    ------
    HardLimitBreach
        If the result holds a hard breach.
    OverrideRefused
        If it holds a soft breach (use `override_soft_limits`).
    """
    refuse_hard_breaches(result)
    if result.soft_breaches:
        raise OverrideRefused(OVERRIDE_REQUIRED)
    return AcceptedProgram(program=result.program, entry=result.entry)


def override_soft_limits(result: CheckResult, *, override_by: str, reason: str) -> AcceptedProgram:
    """Accept a soft-breach program on a prescriber's say-so, recording who and why.

    Parameters
    ----------
    result : CheckResult
        A check with soft breaches and no hard one.
    override_by : str
        The prescriber overriding (the caller has verified the role).
    reason : str
        Why this program is right for this patient; blank is refused.

    Returns
    -------
    AcceptedProgram
        The program with a `SoftLimitOverride` naming every soft breach it covers.

    Raises
    ------
    HardLimitBreach
        If any breach is hard: a hard limit cannot be overridden by anyone.
    OverrideRefused
        If the reason or the prescriber is blank, or there is nothing to override.
    """
    refuse_hard_breaches(result)
    if not result.soft_breaches:
        raise OverrideRefused(OVERRIDE_NOTHING_TO_OVERRIDE)
    if not override_by.strip():
        raise OverrideRefused(OVERRIDE_NEEDS_PRESCRIBER)
    if not reason.strip():
        raise OverrideRefused(OVERRIDE_NEEDS_REASON)
    return AcceptedProgram(
        program=result.program,
        entry=result.entry,
        override=SoftLimitOverride(
            override_by=override_by.strip(), reason=reason.strip(), breaches=result.soft_breaches
        ),
    )
