"""Concentration-effect (pharmacodynamic) models for simulated patient responses.

Two models, of very different standing:

* :func:`dissociation_vas_mm`: psychedelic/dissociative intensity on a 0-100 mm visual
  analogue scale (VAS), linear in plasma concentration between 50 and 200 ng/mL. The
  linearity is published (Bowdle 1998); the zero point, the value at 200 ng/mL and the cap
  are modelling choices consistent with it.
* :func:`haemodynamic_response`: heart rate and mean arterial pressure rising along a
  sigmoid Emax curve of the effect-site concentration. The maxima are published
  (Langsjo 2005); the EC50 and Hill coefficient are made up. No published Emax/EC50 for
  blood pressure was found, so the model is ILLUSTRATIVE and every result carries
  :data:`HAEMODYNAMIC_LABEL`.

Both are for simulators of patient responses (teaching, testing alarm logic), never for
dosing decisions. Functions are vectorised: a scalar in gives a float out, an array in
gives an array of the same shape.

Units: concentrations in ng/mL of ketamine (= ug/L); VAS in mm; heart rate in beats/min;
MAP in mmHg.

References
----------
Bowdle TA, Radant AD, Cowley DS, Kharasch ED, Strassman RJ, Roy-Byrne PP. Psychedelic
effects of ketamine in healthy volunteers: relationship to steady-state plasma
concentrations. Anesthesiology 1998;88:82-88 (doi:10.1097/00000542-199801000-00015).
Langsjo JW, Maksimow A, Salmi E, et al. S-ketamine anesthesia increases cerebral blood
flow in excess of the metabolic needs in humans. Anesthesiology 2005;103:258-268.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, overload

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import InvalidPharmacodynamicInput

FloatArray = npt.NDArray[np.float64]

# --------------------------------------------------------------------------------------
# Dissociation (Bowdle 1998)
# --------------------------------------------------------------------------------------

VAS_SCALE_MAX_MM: Final = 100.0
"""The VAS line is 100 mm long: 0 = not at all, 100 = extremely."""

DISSOCIATION_ONSET_NG_PER_ML: Final = 50.0
"""Lowest step of Bowdle 1998's linear range; below it the model gives 0 mm (a choice)."""

DISSOCIATION_TOP_NG_PER_ML: Final = 200.0
"""Highest step of Bowdle 1998's linear range; above it the model is capped (a choice)."""

DISSOCIATION_VAS_AT_TOP_MM: Final = 60.0
"""VAS at 200 ng/mL, mm: a modelling choice, not a published value.

Bowdle 1998 reports linearity (R 0.93-0.99 across the 13 VAS items) but the abstract
gives no slope. A companion abstract of the same study reports that at the top step most
scales reached 37-89% of the maximum possible effect (anxiety, suspiciousness and ideas
of reference under 22%); 60 mm sits inside that range.
"""

DISSOCIATION_SOURCE: Final = (
    "Bowdle TA et al. Psychedelic effects of ketamine in healthy volunteers: relationship "
    "to steady-state plasma concentrations. Anesthesiology 1998;88:82-88. Linear in "
    "concentration over 50-200 ng/mL (published); zero below 50 ng/mL, 60 mm at 200 ng/mL "
    "and the cap above are modelling choices."
)


@overload
def dissociation_vas_mm(
    cp_ng_per_ml: float, *, vas_at_top_mm: float = DISSOCIATION_VAS_AT_TOP_MM
) -> float: ...
@overload
def dissociation_vas_mm(
    cp_ng_per_ml: npt.ArrayLike, *, vas_at_top_mm: float = DISSOCIATION_VAS_AT_TOP_MM
) -> FloatArray: ...
def dissociation_vas_mm(
    cp_ng_per_ml: npt.ArrayLike, *, vas_at_top_mm: float = DISSOCIATION_VAS_AT_TOP_MM
) -> float | FloatArray:
    """Dissociative (psychedelic) intensity on a 0-100 mm VAS from plasma concentration.

    Parameters
    ----------
    cp_ng_per_ml : float or array_like
        Plasma (venous) ketamine concentration, ng/mL, >= 0. Bowdle measured at steady
        state after 20 min at each level, so for a changing concentration an
        effect-site concentration is the closer input.
    vas_at_top_mm : float
        VAS at 200 ng/mL, mm, in (0, 100]; default :data:`DISSOCIATION_VAS_AT_TOP_MM`.

    Returns
    -------
    float or ndarray
        VAS, mm: 0 up to 50 ng/mL, linear to ``vas_at_top_mm`` at 200 ng/mL, constant
        above. A float for a scalar input, else an array of the input's shape.

    Raises
    ------
    InvalidPharmacodynamicInput
        A concentration is negative or not finite, or ``vas_at_top_mm`` is outside
        (0, 100].

    Notes
    -----
    ``VAS = vas_at_top * clip((Cp - 50) / (200 - 50), 0, 1)``.

    Why linear and capped: Bowdle 1998 found every VAS item linear in steady-state
    concentration between 50 and 200 ng/mL (R 0.93-0.99). Outside that range there is
    no data in that study, so the model neither extrapolates the line above 200 ng/mL
    (the scale is bounded and effects saturate towards anaesthesia) nor invents an
    effect below 50 ng/mL. The slope is a choice (:data:`DISSOCIATION_VAS_AT_TOP_MM`).

    References
    ----------
    Bowdle TA et al. Anesthesiology 1998;88:82-88.

    Examples
    --------
    >>> dissociation_vas_mm(125.0)
    30.0
    >>> dissociation_vas_mm([0.0, 50.0, 200.0, 400.0])
    array([ 0.,  0., 60., 60.])
    """
    if not (np.isfinite(vas_at_top_mm) and 0.0 < vas_at_top_mm <= VAS_SCALE_MAX_MM):
        raise InvalidPharmacodynamicInput("vas_at_top_mm", "must be a number in (0, 100] mm")
    c = _concentrations("cp_ng_per_ml", cp_ng_per_ml)
    fraction = np.clip(
        (c - DISSOCIATION_ONSET_NG_PER_ML)
        / (DISSOCIATION_TOP_NG_PER_ML - DISSOCIATION_ONSET_NG_PER_ML),
        0.0,
        1.0,
    )
    return _scalar_or_array(vas_at_top_mm * fraction)


# --------------------------------------------------------------------------------------
# Haemodynamics (ILLUSTRATIVE)
# --------------------------------------------------------------------------------------

HAEMODYNAMIC_MODEL_IS_ILLUSTRATIVE: Final = True
"""The haemodynamic model's EC50 and Hill coefficient are invented: see the module doc."""

HAEMODYNAMIC_LABEL: Final = (
    "ILLUSTRATIVE: heart-rate and MAP rise from a sigmoid Emax curve with a made-up EC50 "
    "(no published Emax/EC50 for BP was found); maxima +43% HR, +27% MAP from Langsjo "
    "2005 at high S-ketamine levels. Not for clinical decisions."
)
"""Returned with every :class:`HaemodynamicResponse`; show it wherever the curve is."""

HR_EMAX_FRACTION: Final = 0.43
"""Largest heart-rate rise, fraction of baseline (Langsjo 2005, high S-ketamine levels)."""

MAP_EMAX_FRACTION: Final = 0.27
"""Largest MAP rise, fraction of baseline (Langsjo 2005, high S-ketamine levels)."""

HAEMODYNAMIC_EC50_NG_PER_ML: Final = 400.0
"""ILLUSTRATIVE, made up: effect-site concentration giving half the maximal rise.

Chosen so that the antidepressant infusion's peak (about 185-240 ng/mL) gives a rise of
roughly a quarter of Emax (HR about +11%, MAP about +7%), of the order seen clinically;
no published EC50 exists for this.
"""

HAEMODYNAMIC_HILL: Final = 1.5
"""ILLUSTRATIVE, made up: Hill coefficient (steepness) of the haemodynamic curve."""


@dataclass(frozen=True, eq=False)
class HaemodynamicResponse:
    """Heart rate and MAP predicted by the ILLUSTRATIVE haemodynamic model.

    Attributes
    ----------
    hr_per_min : float or ndarray
        Heart rate, beats/min (shape of the concentration input).
    map_mmhg : float or ndarray
        Mean arterial pressure, mmHg.
    fraction_of_emax : float or ndarray
        Sigmoid Emax fraction in [0, 1] shared by both signs.
    label : str
        :data:`HAEMODYNAMIC_LABEL`; must be shown with the numbers.
    """

    hr_per_min: float | FloatArray
    map_mmhg: float | FloatArray
    fraction_of_emax: float | FloatArray
    label: str


@overload
def haemodynamic_fraction_of_emax(ce_ng_per_ml: float) -> float: ...
@overload
def haemodynamic_fraction_of_emax(ce_ng_per_ml: npt.ArrayLike) -> FloatArray: ...
def haemodynamic_fraction_of_emax(ce_ng_per_ml: npt.ArrayLike) -> float | FloatArray:
    """ILLUSTRATIVE sigmoid Emax fraction ``Ce^h / (EC50^h + Ce^h)``, in [0, 1].

    EC50 (:data:`HAEMODYNAMIC_EC50_NG_PER_ML`) and h (:data:`HAEMODYNAMIC_HILL`) are
    made-up values: no published Emax/EC50 for BP was found.

    Examples
    --------
    >>> haemodynamic_fraction_of_emax(HAEMODYNAMIC_EC50_NG_PER_ML)
    0.5
    """
    c = _concentrations("ce_ng_per_ml", ce_ng_per_ml)
    # (Ce/EC50)^h / (1 + (Ce/EC50)^h): no overflow to inf/inf for very large Ce.
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = (c / HAEMODYNAMIC_EC50_NG_PER_ML) ** HAEMODYNAMIC_HILL
        fraction = np.where(np.isinf(ratio), 1.0, ratio / (1.0 + ratio))
    return _scalar_or_array(fraction)


@overload
def haemodynamic_response(
    ce_ng_per_ml: float, *, baseline_hr_per_min: float, baseline_map_mmhg: float
) -> HaemodynamicResponse: ...
@overload
def haemodynamic_response(
    ce_ng_per_ml: npt.ArrayLike, *, baseline_hr_per_min: float, baseline_map_mmhg: float
) -> HaemodynamicResponse: ...
def haemodynamic_response(
    ce_ng_per_ml: npt.ArrayLike, *, baseline_hr_per_min: float, baseline_map_mmhg: float
) -> HaemodynamicResponse:
    """ILLUSTRATIVE heart rate and MAP at an effect-site ketamine concentration.

    No published Emax/EC50 for BP was found. The maxima are published (Langsjo 2005: HR
    up to +43%, MAP up to +27% at high S-ketamine levels); the EC50 and Hill coefficient
    are made up. The result carries :data:`HAEMODYNAMIC_LABEL`.

    Parameters
    ----------
    ce_ng_per_ml : float or array_like
        Effect-site concentration, ng/mL, >= 0 (the sympathetic response lags plasma).
    baseline_hr_per_min : float
        Heart rate before ketamine, beats/min, > 0.
    baseline_map_mmhg : float
        Mean arterial pressure before ketamine, mmHg, > 0.

    Returns
    -------
    HaemodynamicResponse
        Values of the input's shape (floats for a scalar) and the ILLUSTRATIVE label.

    Raises
    ------
    InvalidPharmacodynamicInput
        A concentration is negative or not finite, or a baseline is not a finite
        number > 0.

    Notes
    -----
    ``f = Ce^h / (EC50^h + Ce^h)``; ``HR = HR0 (1 + 0.43 f)``; ``MAP = MAP0 (1 + 0.27 f)``.
    One curve drives both signs: the rise is sympathomimetic (Langsjo 2005) and nothing
    published separates their potencies.

    References
    ----------
    Langsjo JW et al. Anesthesiology 2005;103:258-268.

    Examples
    --------
    >>> r = haemodynamic_response(400.0, baseline_hr_per_min=70.0, baseline_map_mmhg=90.0)
    >>> round(r.hr_per_min, 2), round(r.map_mmhg, 2), r.label.startswith("ILLUSTRATIVE")
    (85.05, 102.15, True)
    """
    for name, value in (
        ("baseline_hr_per_min", baseline_hr_per_min),
        ("baseline_map_mmhg", baseline_map_mmhg),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidPharmacodynamicInput(name, "must be a number")
        if not (np.isfinite(value) and value > 0):
            raise InvalidPharmacodynamicInput(name, "must be a finite number > 0")
    fraction = haemodynamic_fraction_of_emax(ce_ng_per_ml)
    return HaemodynamicResponse(
        hr_per_min=_scalar_or_array(
            baseline_hr_per_min * (1.0 + HR_EMAX_FRACTION * np.asarray(fraction))
        ),
        map_mmhg=_scalar_or_array(
            baseline_map_mmhg * (1.0 + MAP_EMAX_FRACTION * np.asarray(fraction))
        ),
        fraction_of_emax=fraction,
        label=HAEMODYNAMIC_LABEL,
    )


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _concentrations(field: str, values: npt.ArrayLike) -> FloatArray:
    try:
        c = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidPharmacodynamicInput(
            field, "must be a number or an array of numbers"
        ) from None
    if not np.all(np.isfinite(c)):
        raise InvalidPharmacodynamicInput(field, "every concentration must be finite")
    if np.any(c < 0):
        raise InvalidPharmacodynamicInput(field, "every concentration must be >= 0 ng/mL")
    return c


def _scalar_or_array(values: npt.ArrayLike) -> float | FloatArray:
    a = np.asarray(values, dtype=np.float64)
    return float(a) if a.ndim == 0 else a
