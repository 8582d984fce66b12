"""Unit constants and conversions for ketamine dosing, each with its source.

Every function is pure and broadcasts: a float in gives a float out, a numpy array in
gives an array out. Names carry their units (`weight_lb`, `base_mg`), so a conversion
reads as what it does.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

FloatOrArray = TypeVar("FloatOrArray", float, npt.NDArray[np.float64])

# 1 mg of ketamine base is contained in 1.153 mg of ketamine hydrochloride.
# Source: /work/shared/reference/pharmacology.md ("1 mg base = 1.153 mg HCl"); it is the
# ratio of molar masses, C13H16ClNO.HCl 274.19 g/mol over C13H16ClNO 237.73 g/mol = 1.1534.
MG_HCL_PER_MG_BASE: Final = 1.153

# The international avoirdupois pound is exactly 0.45359237 kg (International Yard and
# Pound Agreement, 1959; NIST SP 811, appendix B).
KG_PER_LB: Final = 0.45359237

MIN_PER_H: Final = 60.0


class SaltForm(StrEnum):
    """What a vial's strength is expressed as: ketamine base or the hydrochloride salt.

    Most ketamine injections (e.g. Ketalar) are labelled "ketamine hydrochloride
    equivalent to 50 mg ketamine base per mL", that is, as base; some compounded or
    foreign products state mg of the HCl salt. Read the label and say which.
    """

    BASE = "base"
    HCL = "hcl"


def lb_to_kg(weight_lb: FloatOrArray) -> FloatOrArray:
    """Convert a weight in pounds to kilograms.

    Parameters
    ----------
    weight_lb : float or ndarray
        Weight in pounds (avoirdupois).

    Returns
    -------
    float or ndarray
        Weight in kilograms, same shape.

    Notes
    -----
    ``weight_kg = weight_lb * 0.45359237`` (exact by definition).

    References
    ----------
    NIST Special Publication 811 (2008), appendix B.8.

    Examples
    --------
    >>> round(lb_to_kg(180.0), 4)
    81.6466
    """
    return weight_lb * KG_PER_LB


def kg_to_lb(weight_kg: FloatOrArray) -> FloatOrArray:
    """Convert a weight in kilograms to pounds (``weight_kg / 0.45359237``).

    Examples
    --------
    >>> round(kg_to_lb(81.6466266), 4)
    180.0
    """
    return weight_kg / KG_PER_LB


def base_to_hcl_mg(base_mg: FloatOrArray) -> FloatOrArray:
    """Mass of ketamine hydrochloride that contains ``base_mg`` of ketamine base.

    Notes
    -----
    ``hcl_mg = base_mg * 1.153`` (molar mass ratio 274.19 / 237.73).

    References
    ----------
    Shared pharmacology reference, "Units"; PubChem CID 3821 (ketamine) and 15851
    (ketamine hydrochloride) for the molar masses.

    Examples
    --------
    >>> round(base_to_hcl_mg(41.0), 3)
    47.273
    """
    return base_mg * MG_HCL_PER_MG_BASE


def hcl_to_base_mg(hcl_mg: FloatOrArray) -> FloatOrArray:
    """Mass of ketamine base contained in ``hcl_mg`` of ketamine hydrochloride.

    Examples
    --------
    >>> round(hcl_to_base_mg(57.65), 3)
    50.0
    """
    return hcl_mg / MG_HCL_PER_MG_BASE


def strength_as_base_mg_per_ml(strength_mg_per_ml: float, labelled_as: SaltForm) -> float:
    """A vial's strength in mg of base per mL, whichever form its label states.

    Examples
    --------
    >>> strength_as_base_mg_per_ml(50.0, SaltForm.BASE)
    50.0
    >>> round(strength_as_base_mg_per_ml(57.65, SaltForm.HCL), 3)
    50.0
    """
    if labelled_as is SaltForm.HCL:
        return hcl_to_base_mg(strength_mg_per_ml)
    return strength_mg_per_ml


def min_to_h(duration_min: FloatOrArray) -> FloatOrArray:
    """Minutes to hours (``/ 60``)."""
    return duration_min / MIN_PER_H


def h_to_min(duration_h: FloatOrArray) -> FloatOrArray:
    """Hours to minutes (``* 60``)."""
    return duration_h * MIN_PER_H
