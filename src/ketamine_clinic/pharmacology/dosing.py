"""Weight-based dosing and syringe maths for a ketamine infusion.

From the visit's weight, the ordered dose (mg/kg of base) and duration, the stock vial
and the chosen syringe concentration, `plan_infusion` works out what the nurse draws up
and what the pump is set to, checks it against the drug library, and refuses anything
over a hard limit (`HardLimitBreach`) or any input that cannot be right
(`InvalidDoseInput`, naming the field and the reason).

The arithmetic is also available as small functions that broadcast over numpy arrays
(`total_dose_mg`, `dose_rate_mg_per_kg_per_h`, `infusion_rate_ml_per_h`), for tables
and simulations; `plan_infusion` is scalar because it validates one patient's order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, overload

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.dosing_errors import InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import (
    CheckResult,
    DrugLibraryEntry,
    PumpProgram,
    check,
    refuse_hard_breaches,
)
from ketamine_clinic.pharmacology.units import (
    MIN_PER_H,
    SaltForm,
    base_to_hcl_mg,
    lb_to_kg,
    strength_as_base_mg_per_ml,
)

Array = npt.NDArray[np.float64]
Floats = float | Array

# Plausibility ranges: outside them an input is a typing or unit error, whatever the
# drug library says. Clinical limits live in the library, not here.
WEIGHT_RANGE_KG: Final = (20.0, 300.0)  # the brief's adult range
# 5 mg/kg is above any IV antidepressant or anaesthetic-induction dose (1-4.5 mg/kg).
DOSE_RANGE_MG_PER_KG: Final = (0.01, 5.0)
DURATION_RANGE_MIN: Final = (1.0, 1440.0)  # one minute to one day
# Marketed ketamine strengths are 10, 50 and 100 mg/mL (reference); above 100 is a slip.
VIAL_STRENGTH_MAX_MG_PER_ML: Final = 100.0
PUMP_RESOLUTION_RANGE_ML_PER_H: Final = (0.001, 10.0)

# Standard syringe sizes, mL (BD Plastipak / Terumo ranges used on syringe pumps).
DEFAULT_SYRINGE_SIZES_ML: Final = (10.0, 20.0, 30.0, 50.0, 60.0)
# Most syringe pumps (Alaris CC, Perfusor Space) set rates in 0.1 mL/h steps at this range.
DEFAULT_PUMP_RESOLUTION_ML_PER_H: Final = 0.1
# Less than 0.1 mL of stock cannot be drawn accurately even in a 1 mL syringe
# (0.01 mL graduations: +-10% at 0.1 mL); dilute the stock first or use a weaker vial.
MIN_MEASURABLE_STOCK_ML: Final = 0.1


# The core equations broadcast: scalars give a float, any array gives an array.
@overload
def total_dose_mg(weight_kg: float, dose_mg_per_kg: float) -> float: ...
@overload
def total_dose_mg(weight_kg: Array, dose_mg_per_kg: Floats) -> Array: ...
@overload
def total_dose_mg(weight_kg: float, dose_mg_per_kg: Array) -> Array: ...
def total_dose_mg(weight_kg: Floats, dose_mg_per_kg: Floats) -> Floats:
    """Total dose, mg of base: ``D = W * d``.

    Examples
    --------
    >>> total_dose_mg(82.0, 0.5)
    41.0
    """
    return weight_kg * dose_mg_per_kg


@overload
def dose_rate_mg_per_kg_per_h(dose_mg_per_kg: float, duration_min: float) -> float: ...
@overload
def dose_rate_mg_per_kg_per_h(dose_mg_per_kg: Array, duration_min: Floats) -> Array: ...
@overload
def dose_rate_mg_per_kg_per_h(dose_mg_per_kg: float, duration_min: Array) -> Array: ...
def dose_rate_mg_per_kg_per_h(dose_mg_per_kg: Floats, duration_min: Floats) -> Floats:
    """Dose rate of a dose spread evenly over a duration: ``d * 60 / T`` (mg/kg/h).

    Examples
    --------
    >>> dose_rate_mg_per_kg_per_h(0.5, 40.0)
    0.75
    """
    return dose_mg_per_kg * MIN_PER_H / duration_min


@overload
def infusion_rate_ml_per_h(
    weight_kg: float, dose_rate_mg_per_kg_per_h: float, concentration_mg_per_ml: float
) -> float: ...
@overload
def infusion_rate_ml_per_h(
    weight_kg: Array, dose_rate_mg_per_kg_per_h: Floats, concentration_mg_per_ml: Floats
) -> Array: ...
@overload
def infusion_rate_ml_per_h(
    weight_kg: float, dose_rate_mg_per_kg_per_h: Array, concentration_mg_per_ml: Floats
) -> Array: ...
@overload
def infusion_rate_ml_per_h(
    weight_kg: float, dose_rate_mg_per_kg_per_h: float, concentration_mg_per_ml: Array
) -> Array: ...
def infusion_rate_ml_per_h(
    weight_kg: Floats, dose_rate_mg_per_kg_per_h: Floats, concentration_mg_per_ml: Floats
) -> Floats:
    """Pump rate that delivers a weight-based dose rate: ``r = W * k / c`` (mL/h).

    Examples
    --------
    >>> infusion_rate_ml_per_h(70.0, 0.75, 1.0)
    52.5
    """
    return weight_kg * dose_rate_mg_per_kg_per_h / concentration_mg_per_ml


def round_to_resolution(value: float, resolution: float) -> float:
    """Round ``value`` to the nearest multiple of ``resolution``, halves away from zero.

    Decimal arithmetic, so 44.7272... at 0.1 gives exactly 44.7 and 0.25 at 0.1 gives 0.3
    (float ``round`` gives 0.2: it rounds halves to even, on a binary approximation).

    Examples
    --------
    >>> round_to_resolution(44.72727, 0.1)
    44.7
    >>> round_to_resolution(0.25, 0.1)
    0.3
    """
    step = Decimal(repr(resolution))
    steps = (Decimal(repr(value)) / step).to_integral_value(rounding=ROUND_HALF_UP)
    return float(steps * step)


def smallest_syringe_ml(volume_ml: float, syringe_sizes_ml: Sequence[float]) -> float | None:
    """The smallest syringe that holds ``volume_ml``, or ``None`` when none does."""
    fitting = [size for size in syringe_sizes_ml if size >= volume_ml]
    return min(fitting) if fitting else None


def patient_weight_kg(*, weight_kg: float | None = None, weight_lb: float | None = None) -> float:
    """The visit's weight in kg, from kg or from lb (exactly one of them).

    Raises
    ------
    InvalidDoseInput
        If both or neither are given, or the weight is outside 20-300 kg.

    Examples
    --------
    >>> round(patient_weight_kg(weight_lb=180.0), 4)
    81.6466
    """
    if (weight_kg is None) == (weight_lb is None):
        raise InvalidDoseInput("weight_kg", "give the weight in kg or in lb (exactly one)")
    if weight_lb is not None:
        _require_finite("weight_lb", weight_lb, "lb")
        converted = lb_to_kg(weight_lb)
        low, high = WEIGHT_RANGE_KG
        if not low <= converted <= high:
            raise InvalidDoseInput(
                "weight_lb",
                f"{weight_lb:g} lb ({converted:.1f} kg) is outside {low:g}-{high:g} kg",
            )
        return converted
    assert weight_kg is not None  # noqa: S101 - narrowed by the exactly-one check above
    _require_in_range("weight_kg", weight_kg, WEIGHT_RANGE_KG, "kg")
    return weight_kg


def _require_finite(field: str, value: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidDoseInput(field, f"must be a number of {unit}; got {value!r}")
    if not math.isfinite(value):
        raise InvalidDoseInput(field, f"must be a finite number of {unit}; got {value}")


def _require_in_range(field: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    _require_finite(field, value, unit)
    low, high = bounds
    if not low <= value <= high:
        raise InvalidDoseInput(field, f"{value:g} {unit} is outside {low:g}-{high:g} {unit}")


def _require_positive(field: str, value: float, unit: str) -> None:
    _require_finite(field, value, unit)
    if value <= 0:
        raise InvalidDoseInput(field, f"must be above 0 {unit}; got {value:g}")


def require_aware(field: str, moment: datetime | None) -> None:
    """Refuse a naive datetime: a clock time without a zone is ambiguous."""
    if moment is not None and moment.utcoffset() is None:
        raise InvalidDoseInput(field, "needs a time zone (e.g. 2025-03-01T09:00+00:00)")


@dataclass(frozen=True)
class InfusionPlan:
    """What to draw up and how to program the pump for one infusion.

    All drug amounts are mg of ketamine base unless the name says ``hcl``.

    Attributes
    ----------
    weight_kg, dose_mg_per_kg, duration_min : float
        The order: weight for this visit (kg), dose (mg base/kg), planned duration (min).
    ordered_dose_rate_mg_per_kg_per_h : float
        ``dose_mg_per_kg * 60 / duration_min``.
    vial_strength_mg_per_ml : float
        Stock strength as labelled; ``vial_labelled_as`` says base or HCl.
    vial_strength_base_mg_per_ml : float
        The same stock as mg base/mL.
    concentration_mg_per_ml : float
        Syringe concentration, mg base/mL.
    total_base_mg, total_hcl_mg : float
        Total dose as base, and the same amount expressed as the HCl salt (x 1.153).
    stock_volume_ml, diluent_volume_ml : float
        Stock drawn from the vial(s), and diluent (e.g. 0.9% saline) added, mL.
    vtbi_ml : float
        Volume to be infused: stock + diluent, mL.
    syringe_size_ml : float
        Smallest configured syringe that holds ``vtbi_ml``.
    exact_rate_ml_per_h, rate_ml_per_h, pump_resolution_ml_per_h : float
        Rate the order implies, the rate programmed (rounded to the pump's resolution),
        and that resolution, mL/h.
    delivered_dose_rate_mg_per_kg_per_h : float
        Dose rate at the programmed rate.
    rounding_dose_error_mg, rounding_dose_error_percent : float
        Dose delivered in ``duration_min`` at the rounded rate minus the ordered dose
        (mg, and % of the ordered dose): what rounding costs if the infusion is stopped
        at the planned time.
    run_min : float
        Time the pump takes to deliver ``vtbi_ml`` at the rounded rate (it stops at the
        VTBI, so the whole dose is given and rounding moves the end by
        ``run_min - duration_min``).
    start, expected_end : datetime or None
        Start given by the caller, and ``start + run_min``.
    program : PumpProgram
        The program the pump is set to (rounded rate, VTBI).
    check_result : CheckResult
        ``program`` checked against the library entry: ``ok`` or ``soft_breach`` (a
        hard breach is never returned; it raises).
    """

    weight_kg: float
    dose_mg_per_kg: float
    duration_min: float
    ordered_dose_rate_mg_per_kg_per_h: float
    vial_strength_mg_per_ml: float
    vial_labelled_as: SaltForm
    vial_strength_base_mg_per_ml: float
    concentration_mg_per_ml: float
    total_base_mg: float
    total_hcl_mg: float
    stock_volume_ml: float
    diluent_volume_ml: float
    vtbi_ml: float
    syringe_size_ml: float
    exact_rate_ml_per_h: float
    rate_ml_per_h: float
    pump_resolution_ml_per_h: float
    delivered_dose_rate_mg_per_kg_per_h: float
    rounding_dose_error_mg: float
    rounding_dose_error_percent: float
    run_min: float
    start: datetime | None
    expected_end: datetime | None
    program: PumpProgram
    check_result: CheckResult


def plan_infusion(
    *,
    weight_kg: float,
    dose_mg_per_kg: float,
    duration_min: float,
    vial_strength_mg_per_ml: float,
    concentration_mg_per_ml: float,
    entry: DrugLibraryEntry,
    vial_labelled_as: SaltForm = SaltForm.BASE,
    pump_resolution_ml_per_h: float = DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    syringe_sizes_ml: Sequence[float] = DEFAULT_SYRINGE_SIZES_ML,
    start: datetime | None = None,
) -> InfusionPlan:
    """Plan a weight-based ketamine infusion and check it against the drug library.

    Parameters
    ----------
    weight_kg : float
        Weight measured for this visit, kg (20-300; convert lb with
        `patient_weight_kg`).
    dose_mg_per_kg : float
        Ordered dose for the session, mg of ketamine base per kg.
    duration_min : float
        Planned infusion time, min.
    vial_strength_mg_per_ml : float
        Stock vial strength as printed on the label, mg/mL.
    concentration_mg_per_ml : float
        Syringe concentration, mg of base per mL; at most the stock's base strength.
    entry : DrugLibraryEntry
        Drug library entry of the care area; its hard limits are enforced.
    vial_labelled_as : SaltForm
        Whether the label's strength is base (usual) or HCl.
    pump_resolution_ml_per_h : float
        Smallest rate step of the pump, mL/h.
    syringe_sizes_ml : sequence of float
        Syringe sizes the clinic stocks, mL.
    start : datetime, optional
        Start time (aware); gives ``expected_end``.

    Returns
    -------
    InfusionPlan
        Everything to draw up and program; ``check_result.verdict`` is ``ok`` or
        ``soft_breach`` (needs `override_soft_limits` before the pump runs it).

    Raises
    ------
    InvalidDoseInput
        An input outside what it can be; the message names the field and the reason.
    HardLimitBreach
        The order, or the program after rounding, crosses a hard limit of ``entry``.

    Notes
    -----
    With W weight (kg), d dose (mg/kg), T duration (min), S stock strength (mg base/mL;
    S = S_label / 1.153 when labelled as HCl), c concentration (mg base/mL), q pump
    resolution (mL/h)::

        D      = W d                       total, mg base   (D_HCl = 1.153 D)
        V_s    = D / S                     stock drawn, mL
        VTBI   = D / c                     volume to be infused, mL
        V_dil  = VTBI - V_s                diluent, mL
        r*     = 60 VTBI / T               exact rate, mL/h
        r      = q round(r* / q)           programmed rate, mL/h
        e      = (r - r*) (T / 60) c       dose error if stopped at T, mg (100 e / D %)
        T_run  = 60 VTBI / r               time to deliver the VTBI at r, min

    Both the exact order (rate r*) and the rounded program (rate r) are checked: an
    order over a hard limit is refused even when rounding would bring it under.

    References
    ----------
    Sanacora G et al. A consensus statement on the use of ketamine in the treatment of
    mood disorders. JAMA Psychiatry 2017;74:399-405 (0.5 mg/kg over 40 min).

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.drug_library_data import library_entry
    >>> plan = plan_infusion(
    ...     weight_kg=82.0, dose_mg_per_kg=0.5, duration_min=55.0,
    ...     vial_strength_mg_per_ml=50.0, concentration_mg_per_ml=1.0,
    ...     entry=library_entry("depression"),
    ... )
    >>> plan.total_base_mg, plan.stock_volume_ml, plan.rate_ml_per_h, plan.syringe_size_ml
    (41.0, 0.82, 44.7, 50.0)
    """
    _require_in_range("weight_kg", weight_kg, WEIGHT_RANGE_KG, "kg")
    _require_in_range("dose_mg_per_kg", dose_mg_per_kg, DOSE_RANGE_MG_PER_KG, "mg/kg")
    _require_in_range("duration_min", duration_min, DURATION_RANGE_MIN, "min")
    _require_positive("vial_strength_mg_per_ml", vial_strength_mg_per_ml, "mg/mL")
    if vial_strength_mg_per_ml > VIAL_STRENGTH_MAX_MG_PER_ML:
        raise InvalidDoseInput(
            "vial_strength_mg_per_ml",
            f"{vial_strength_mg_per_ml:g} mg/mL is above the strongest vial made "
            f"({VIAL_STRENGTH_MAX_MG_PER_ML:g} mg/mL)",
        )
    _require_positive("concentration_mg_per_ml", concentration_mg_per_ml, "mg/mL")
    _require_in_range(
        "pump_resolution_ml_per_h",
        pump_resolution_ml_per_h,
        PUMP_RESOLUTION_RANGE_ML_PER_H,
        "mL/h",
    )
    if not syringe_sizes_ml or any(
        not (math.isfinite(size) and size > 0) for size in syringe_sizes_ml
    ):
        raise InvalidDoseInput("syringe_sizes_ml", "give one or more sizes above 0 mL")
    require_aware("start", start)

    stock_base_mg_per_ml = strength_as_base_mg_per_ml(vial_strength_mg_per_ml, vial_labelled_as)
    if concentration_mg_per_ml > stock_base_mg_per_ml:
        raise InvalidDoseInput(
            "concentration_mg_per_ml",
            f"{concentration_mg_per_ml:g} mg/mL is stronger than the stock "
            f"({stock_base_mg_per_ml:.4g} mg base/mL); a dilution cannot concentrate",
        )

    total_base_mg = total_dose_mg(weight_kg, dose_mg_per_kg)
    vtbi_ml = total_base_mg / concentration_mg_per_ml
    stock_volume_ml = total_base_mg / stock_base_mg_per_ml
    exact_rate_ml_per_h = vtbi_ml * MIN_PER_H / duration_min

    # The order itself, before any rounding: over a hard limit, it is refused outright.
    refuse_hard_breaches(
        check(
            PumpProgram(
                concentration_mg_per_ml=concentration_mg_per_ml,
                weight_kg=weight_kg,
                rate_ml_per_h=exact_rate_ml_per_h,
                vtbi_ml=vtbi_ml,
            ),
            entry,
        )
    )

    syringe_size_ml = smallest_syringe_ml(vtbi_ml, syringe_sizes_ml)
    if syringe_size_ml is None:
        raise InvalidDoseInput(
            "concentration_mg_per_ml",
            f"the volume to infuse, {vtbi_ml:.1f} mL at {concentration_mg_per_ml:g} mg/mL, "
            f"does not fit the largest syringe ({max(syringe_sizes_ml):g} mL); "
            "choose a higher concentration",
        )
    if stock_volume_ml < MIN_MEASURABLE_STOCK_ML:
        raise InvalidDoseInput(
            "vial_strength_mg_per_ml",
            f"only {stock_volume_ml:.3f} mL of stock would be drawn, below the "
            f"{MIN_MEASURABLE_STOCK_ML:g} mL that can be measured; use a weaker vial",
        )

    rate_ml_per_h = round_to_resolution(exact_rate_ml_per_h, pump_resolution_ml_per_h)
    if rate_ml_per_h <= 0:
        raise InvalidDoseInput(
            "pump_resolution_ml_per_h",
            f"the rate {exact_rate_ml_per_h:.3g} mL/h rounds to 0 at "
            f"{pump_resolution_ml_per_h:g} mL/h steps",
        )
    program = PumpProgram(
        concentration_mg_per_ml=concentration_mg_per_ml,
        weight_kg=weight_kg,
        rate_ml_per_h=rate_ml_per_h,
        vtbi_ml=vtbi_ml,
    )
    # Rounding can tip a program at a limit over it: the rounded one is checked too.
    check_result = refuse_hard_breaches(check(program, entry))

    rounding_dose_error_mg = (
        (rate_ml_per_h - exact_rate_ml_per_h) * duration_min / MIN_PER_H * concentration_mg_per_ml
    )
    run_min = program.run_min
    return InfusionPlan(
        weight_kg=weight_kg,
        dose_mg_per_kg=dose_mg_per_kg,
        duration_min=duration_min,
        ordered_dose_rate_mg_per_kg_per_h=dose_rate_mg_per_kg_per_h(dose_mg_per_kg, duration_min),
        vial_strength_mg_per_ml=vial_strength_mg_per_ml,
        vial_labelled_as=vial_labelled_as,
        vial_strength_base_mg_per_ml=stock_base_mg_per_ml,
        concentration_mg_per_ml=concentration_mg_per_ml,
        total_base_mg=total_base_mg,
        total_hcl_mg=base_to_hcl_mg(total_base_mg),
        stock_volume_ml=stock_volume_ml,
        diluent_volume_ml=vtbi_ml - stock_volume_ml,
        vtbi_ml=vtbi_ml,
        syringe_size_ml=syringe_size_ml,
        exact_rate_ml_per_h=exact_rate_ml_per_h,
        rate_ml_per_h=rate_ml_per_h,
        pump_resolution_ml_per_h=pump_resolution_ml_per_h,
        delivered_dose_rate_mg_per_kg_per_h=program.dose_rate_mg_per_kg_per_h,
        rounding_dose_error_mg=rounding_dose_error_mg,
        rounding_dose_error_percent=100.0 * rounding_dose_error_mg / total_base_mg,
        run_min=run_min,
        start=start,
        expected_end=None if start is None else start + timedelta(minutes=run_min),
        program=program,
        check_result=check_result,
    )
