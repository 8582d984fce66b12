"""Titration of a running ketamine infusion: raise, lower or set the dose rate.

A titration changes the pump rate of an infusion already running. It is checked
against the drug library like a new program, over the whole session (what was infused
before plus what the new program will infuse), and:

- a step that would cross a hard limit is refused with `HardLimitBreach`, carrying the
  message the nurse reads; it is never silently clamped. A nurse who presses "up" and
  gets a different rate from the one asked for would be misled about the dose; a
  refusal that names the limit lets her choose a smaller step, as a smart pump does.
- a step that crosses a soft limit returns a result whose ``check_result`` is a soft
  breach: the pump runs it only after `override_soft_limits`.

How a titration meets the planned total dose (``mode``):

- `TitrationMode.KEEP_VTBI` (default): the prescribed total dose stays. The VTBI is
  unchanged, so raising the rate brings the end time forward and lowering it pushes the
  end back. This is what a syringe pump does when its rate is changed, and the order
  (mg/kg per session) stays what the prescriber wrote.
- `TitrationMode.KEEP_END_TIME`: the end time stays (the chair is booked, the escort
  is coming). The remaining volume becomes new rate x time left, so the total dose
  moves with the rate, and the session total is checked against the total-dose limits.
  It can only add what is in the syringe: asking for more is refused
  (`InvalidDoseInput` on ``mode``).

To stop an infusion, stop the pump: stopping is not a program, and no limit applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from ketamine_clinic.pharmacology.dosing import (
    DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    PUMP_RESOLUTION_RANGE_ML_PER_H,
    InfusionPlan,
    require_aware,
    round_to_resolution,
)
from ketamine_clinic.pharmacology.dosing_errors import InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import (
    CheckResult,
    DrugLibraryEntry,
    PumpProgram,
    check,
    refuse_hard_breaches,
)
from ketamine_clinic.pharmacology.units import MIN_PER_H, base_to_hcl_mg

# Float noise allowed when comparing volumes (mL), e.g. infused against VTBI.
VOLUME_TOLERANCE_ML: Final = 1e-9

STOP_INSTEAD_MESSAGE: Final = (
    "the new dose rate {dose_rate} mg/kg/h is not above 0; to stop the infusion, stop the pump"
)
COMPLETE_MESSAGE: Final = "the infusion is complete; nothing is left to titrate"
SYRINGE_TOO_SMALL_MESSAGE: Final = (
    "keeping the end time needs {needed:.1f} mL in all but the syringe holds {held:.1f} mL; "
    "keep the volume (end time moves) or draw up a new syringe"
)


class TitrationMode(StrEnum):
    """What a titration keeps: the session's volume (and total dose), or its end time."""

    KEEP_VTBI = "keep_vtbi"
    KEEP_END_TIME = "keep_end_time"


class StepKind(StrEnum):
    PERCENT = "percent"
    DOSE_RATE_DELTA = "dose_rate_delta"
    SET_DOSE_RATE = "set_dose_rate"


@dataclass(frozen=True)
class TitrationStep:
    """A change of dose rate: by a percentage, by mg/kg/h, or to a new mg/kg/h.

    Build one with `by_percent`, `by_dose_rate` or `to_dose_rate`.
    """

    kind: StepKind
    value: float

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not math.isfinite(self.value):
            raise InvalidDoseInput("step", f"must be a finite number; got {self.value!r}")
        if self.kind is not StepKind.SET_DOSE_RATE and self.value == 0:
            raise InvalidDoseInput("step", "a step of 0 changes nothing")

    @classmethod
    def by_percent(cls, percent: float) -> TitrationStep:
        """Raise (+) or lower (-) the current dose rate by ``percent`` %."""
        return cls(StepKind.PERCENT, percent)

    @classmethod
    def by_dose_rate(cls, delta_mg_per_kg_per_h: float) -> TitrationStep:
        """Raise (+) or lower (-) the dose rate by ``delta_mg_per_kg_per_h``."""
        return cls(StepKind.DOSE_RATE_DELTA, delta_mg_per_kg_per_h)

    @classmethod
    def to_dose_rate(cls, dose_rate_mg_per_kg_per_h: float) -> TitrationStep:
        """Set the dose rate to ``dose_rate_mg_per_kg_per_h``."""
        return cls(StepKind.SET_DOSE_RATE, dose_rate_mg_per_kg_per_h)

    def target_mg_per_kg_per_h(self, current_mg_per_kg_per_h: float) -> float:
        """The dose rate this step asks for, from the current one."""
        if self.kind is StepKind.PERCENT:
            return current_mg_per_kg_per_h * (1 + self.value / 100)
        if self.kind is StepKind.DOSE_RATE_DELTA:
            return current_mg_per_kg_per_h + self.value
        return self.value


@dataclass(frozen=True)
class RunningInfusion:
    """The state of a running infusion, as the pump reports it.

    Attributes
    ----------
    concentration_mg_per_ml : float
        Syringe concentration, mg base/mL.
    weight_kg : float
        Weight for this visit, kg.
    rate_ml_per_h : float
        Current pump rate, mL/h.
    vtbi_ml : float
        Session volume to be infused (everything, including what has run), mL.
    infused_ml : float
        Volume infused so far, mL.
    elapsed_min : float
        Infusing time so far, min (pauses excluded).
    syringe_contents_ml : float
        Volume drawn into the syringe, mL: the most the session can ever infuse.
    """

    concentration_mg_per_ml: float
    weight_kg: float
    rate_ml_per_h: float
    vtbi_ml: float
    infused_ml: float
    elapsed_min: float
    syringe_contents_ml: float

    def __post_init__(self) -> None:
        for name in (
            "concentration_mg_per_ml",
            "weight_kg",
            "rate_ml_per_h",
            "vtbi_ml",
            "syringe_contents_ml",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
                raise InvalidDoseInput(name, f"must be a number above 0; got {value!r}")
        for name in ("infused_ml", "elapsed_min"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (math.isfinite(value) and value >= 0):
                raise InvalidDoseInput(name, f"must be a number of at least 0; got {value!r}")
        if self.infused_ml > self.vtbi_ml + VOLUME_TOLERANCE_ML:
            raise InvalidDoseInput(
                "infused_ml",
                f"{self.infused_ml:g} mL is more than the VTBI of {self.vtbi_ml:g} mL",
            )
        if self.vtbi_ml > self.syringe_contents_ml + VOLUME_TOLERANCE_ML:
            raise InvalidDoseInput(
                "vtbi_ml",
                f"{self.vtbi_ml:g} mL is more than the syringe holds "
                f"({self.syringe_contents_ml:g} mL)",
            )

    @classmethod
    def from_plan(
        cls, plan: InfusionPlan, *, infused_ml: float = 0.0, elapsed_min: float = 0.0
    ) -> RunningInfusion:
        """The infusion a plan started, after ``elapsed_min`` with ``infused_ml`` given."""
        return cls(
            concentration_mg_per_ml=plan.concentration_mg_per_ml,
            weight_kg=plan.weight_kg,
            rate_ml_per_h=plan.rate_ml_per_h,
            vtbi_ml=plan.vtbi_ml,
            infused_ml=infused_ml,
            elapsed_min=elapsed_min,
            syringe_contents_ml=plan.vtbi_ml,
        )

    @property
    def dose_rate_mg_per_kg_per_h(self) -> float:
        return self.rate_ml_per_h * self.concentration_mg_per_ml / self.weight_kg

    @property
    def remaining_ml(self) -> float:
        return max(0.0, self.vtbi_ml - self.infused_ml)

    @property
    def remaining_min(self) -> float:
        """Infusing time left at the current rate, min."""
        return MIN_PER_H * self.remaining_ml / self.rate_ml_per_h

    @property
    def total_base_mg(self) -> float:
        """Session total if run to the end, mg base."""
        return self.vtbi_ml * self.concentration_mg_per_ml


def advance(infusion: RunningInfusion, minutes: float) -> RunningInfusion:
    """The infusion ``minutes`` later at its current rate (stopping at the VTBI).

    Examples
    --------
    >>> running = RunningInfusion(1.0, 70.0, 52.5, 35.0, 0.0, 0.0, 35.0)
    >>> advance(running, 20.0).infused_ml
    17.5
    """
    if not (math.isfinite(minutes) and minutes >= 0):
        raise InvalidDoseInput("minutes", f"must be a number of at least 0; got {minutes!r}")
    run_min = min(minutes, infusion.remaining_min)
    infused_ml = min(infusion.vtbi_ml, infusion.infused_ml + infusion.rate_ml_per_h * run_min / 60)
    return replace(infusion, infused_ml=infused_ml, elapsed_min=infusion.elapsed_min + run_min)


@dataclass(frozen=True)
class TitrationResult:
    """A titration worked out and checked.

    Attributes
    ----------
    step : TitrationStep
    mode : TitrationMode
    previous_rate_ml_per_h, previous_dose_rate_mg_per_kg_per_h : float
        The rate before the step, and its dose rate.
    requested_dose_rate_mg_per_kg_per_h : float
        The dose rate the step asked for, before rounding to the pump's resolution.
    rate_ml_per_h : float
        New pump rate, rounded to the pump's resolution.
    dose_rate_mg_per_kg_per_h : float
        Dose rate delivered at the new rate.
    remaining_volume_ml, remaining_min : float
        What the new program infuses, and how long it takes.
    vtbi_ml : float
        Session VTBI (infused + remaining), mL.
    total_base_mg, total_hcl_mg, total_dose_mg_per_kg : float
        Session total if run to the end (base; as HCl; per kg of base).
    session_duration_min : float
        Infusing time of the whole session if run to the end.
    expected_end : datetime or None
        ``now + remaining_min`` when ``now`` was given.
    program : PumpProgram
        The new program (with what came before it this session).
    check_result : CheckResult
        ``ok`` or ``soft_breach``; a hard breach raises instead.
    infusion : RunningInfusion
        The infusion once the new rate is set, for the next titration.
    """

    step: TitrationStep
    mode: TitrationMode
    previous_rate_ml_per_h: float
    previous_dose_rate_mg_per_kg_per_h: float
    requested_dose_rate_mg_per_kg_per_h: float
    rate_ml_per_h: float
    dose_rate_mg_per_kg_per_h: float
    remaining_volume_ml: float
    remaining_min: float
    vtbi_ml: float
    total_base_mg: float
    total_hcl_mg: float
    total_dose_mg_per_kg: float
    session_duration_min: float
    expected_end: datetime | None
    program: PumpProgram
    check_result: CheckResult
    infusion: RunningInfusion


def _remaining_ml(infusion: RunningInfusion, rate_ml_per_h: float, mode: TitrationMode) -> float:
    if mode is TitrationMode.KEEP_VTBI:
        return infusion.remaining_ml
    return rate_ml_per_h * infusion.remaining_min / MIN_PER_H


def titrate(
    infusion: RunningInfusion,
    step: TitrationStep,
    *,
    entry: DrugLibraryEntry,
    mode: TitrationMode = TitrationMode.KEEP_VTBI,
    pump_resolution_ml_per_h: float = DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    now: datetime | None = None,
) -> TitrationResult:
    """Raise, lower or set the dose rate of a running infusion, within the library.

    Parameters
    ----------
    infusion : RunningInfusion
        The infusion as it runs now.
    step : TitrationStep
        ±x % or ±y mg/kg/h from the current dose rate, or a new dose rate.
    entry : DrugLibraryEntry
        The library entry the infusion runs under; hard limits are enforced.
    mode : TitrationMode
        ``KEEP_VTBI`` (default): total dose stays, end time moves. ``KEEP_END_TIME``: end
        time stays, total dose moves (only within what the syringe holds).
    pump_resolution_ml_per_h : float
        Smallest rate step of the pump, mL/h.
    now : datetime, optional
        The time of the change (aware); gives ``expected_end``.

    Returns
    -------
    TitrationResult
        The new rate, what is left, the new end, the session total; and the check.

    Raises
    ------
    HardLimitBreach
        The step, as asked or once rounded, crosses a hard limit (never clamped).
    InvalidDoseInput
        The step asks for a dose rate of 0 or less, the infusion is complete, the rate
        rounds to 0, or the syringe cannot hold what ``KEEP_END_TIME`` needs.

    Notes
    -----
    With current rate r0 (mL/h), concentration c, weight W, VTBI V, infused v, time left
    at r0 t_left = 60 (V - v) / r0::

        k0 = r0 c / W                 current dose rate, mg/kg/h
        k* = k0 (1 + p/100) | k0 + y | z        requested dose rate
        r  = q round(k* W / (c q))    new rate, mL/h
        KEEP_VTBI:      V_rem = V - v;          t_rem = 60 V_rem / r
        KEEP_END_TIME:  V_rem = r t_left / 60;  t_rem = t_left
        total = (v + V_rem) c         mg base, if run to the end

    References
    ----------
    ISMP, Guidelines for Optimizing Safe Implementation and Use of Smart Infusion Pumps
    (2020): limits apply to rate changes as to new programs.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.drug_library_data import library_entry
    >>> running = RunningInfusion(1.0, 70.0, 38.2, 35.0, 17.5, 27.5, 35.0)
    >>> result = titrate(running, TitrationStep.by_percent(20), entry=library_entry("depression"))
    >>> result.rate_ml_per_h, round(result.remaining_min, 1)
    (45.8, 22.9)
    """
    require_aware("now", now)
    low, high = PUMP_RESOLUTION_RANGE_ML_PER_H
    if not (math.isfinite(pump_resolution_ml_per_h) and low <= pump_resolution_ml_per_h <= high):
        raise InvalidDoseInput(
            "pump_resolution_ml_per_h",
            f"{pump_resolution_ml_per_h:g} mL/h is outside {low:g}-{high:g} mL/h",
        )
    if infusion.remaining_ml <= VOLUME_TOLERANCE_ML:
        raise InvalidDoseInput("infused_ml", COMPLETE_MESSAGE)

    current = infusion.dose_rate_mg_per_kg_per_h
    requested = step.target_mg_per_kg_per_h(current)
    if requested <= 0:
        raise InvalidDoseInput("step", STOP_INSTEAD_MESSAGE.format(dose_rate=f"{requested:.3g}"))

    def program_at(rate_ml_per_h: float) -> PumpProgram:
        return PumpProgram(
            concentration_mg_per_ml=infusion.concentration_mg_per_ml,
            weight_kg=infusion.weight_kg,
            rate_ml_per_h=rate_ml_per_h,
            vtbi_ml=_remaining_ml(infusion, rate_ml_per_h, mode),
            infused_before_ml=infusion.infused_ml,
            elapsed_before_min=infusion.elapsed_min,
        )

    def require_syringe_holds(program: PumpProgram) -> None:
        if program.session_volume_ml > infusion.syringe_contents_ml + VOLUME_TOLERANCE_ML:
            raise InvalidDoseInput(
                "mode",
                SYRINGE_TOO_SMALL_MESSAGE.format(
                    needed=program.session_volume_ml, held=infusion.syringe_contents_ml
                ),
            )

    exact_rate_ml_per_h = requested * infusion.weight_kg / infusion.concentration_mg_per_ml
    # As asked, before rounding: a step over a hard limit is refused, never clamped. The
    # hard limits come first so the nurse reads the limit, not a syringe problem.
    exact_program = program_at(exact_rate_ml_per_h)
    refuse_hard_breaches(check(exact_program, entry))
    require_syringe_holds(exact_program)

    rate_ml_per_h = round_to_resolution(exact_rate_ml_per_h, pump_resolution_ml_per_h)
    if rate_ml_per_h <= 0:
        raise InvalidDoseInput(
            "step",
            f"the new rate {exact_rate_ml_per_h:.3g} mL/h rounds to 0 at "
            f"{pump_resolution_ml_per_h:g} mL/h steps; to stop the infusion, stop the pump",
        )
    program = program_at(rate_ml_per_h)
    check_result = refuse_hard_breaches(check(program, entry))
    require_syringe_holds(program)

    after = replace(infusion, rate_ml_per_h=rate_ml_per_h, vtbi_ml=program.session_volume_ml)
    return TitrationResult(
        step=step,
        mode=mode,
        previous_rate_ml_per_h=infusion.rate_ml_per_h,
        previous_dose_rate_mg_per_kg_per_h=current,
        requested_dose_rate_mg_per_kg_per_h=requested,
        rate_ml_per_h=rate_ml_per_h,
        dose_rate_mg_per_kg_per_h=program.dose_rate_mg_per_kg_per_h,
        remaining_volume_ml=program.vtbi_ml,
        remaining_min=program.run_min,
        vtbi_ml=program.session_volume_ml,
        total_base_mg=program.total_base_mg,
        total_hcl_mg=base_to_hcl_mg(program.total_base_mg),
        total_dose_mg_per_kg=program.total_dose_mg_per_kg,
        session_duration_min=program.session_duration_min,
        expected_end=None if now is None else now + timedelta(minutes=program.run_min),
        program=program,
        check_result=check_result,
        infusion=after,
    )
