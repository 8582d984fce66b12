"""Inter-individual variability of the PK models: the omegas a population is drawn with.

Each simulated patient's volumes and clearances are log-normal around the model's typical
values::

    P_i = theta * exp(eta_i),   eta_i ~ N(0, omega^2),   CV = sqrt(exp(omega^2) - 1)

(the usual NONMEM exponential model). Its inverse, used to turn a published CV into
omega^2, is ``omega^2 = ln(1 + CV^2)``. Parameters vary independently (no correlations are
published for these models).

Where the numbers come from (:func:`default_variability`):

* Herd 2007: between-subject variability "BSV" V1 64%, V2 51.7%, CL 38.1%, Q 19% (abstract).
  The abstract reports BSV as percentages without saying whether they are CVs or
  sqrt(omega^2); we read them as CVs and convert with ``ln(1 + CV^2)`` (V1: 0.3433). Read
  as sqrt(omega^2) instead, V1 would be 0.4096; the note on :data:`HERD_VARIABILITY`
  says so.
* Simons 2022: omega^2 V1 0.057, CL 0.029, Q3 0.026 (nlmixr2lib model file; others 0).
* Every other model (Domino, Clements, Hijazi, Kamp, user-defined): no published
  inter-individual variability. An ASSUMED default of 30% CV on every volume and
  clearance is used, and every population result says so in its warnings.

References
----------
Herd DW, Anderson BJ. Paediatr Anaesth 2007;17:622-629.
Simons P et al. Front Pain Res 2022;3:946486 (omega^2 via nlmixr2lib
``Simons_2022_s_ketamine.R``).
Beal SL, Sheiner LB, Boeckmann AJ, Bauer RJ. NONMEM Users Guides (exponential
inter-individual variability model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from ketamine_clinic.pharmacology.errors import InvalidPopulationRequest
from ketamine_clinic.pharmacology.models import HERD, SIMONS, PKModel

PARAMETER_NAMES: Final = ("v1", "v2", "v3", "cl", "q2", "q3")
"""The varied parameters: volumes V1-V3 (L) and clearances CL, Q2, Q3 (L/min)."""

ASSUMED_DEFAULT_CV: Final = 0.30
"""CV of the ASSUMED default variability (not published) on every volume and clearance."""

# --------------------------------------------------------------------------------------
# Variability
# --------------------------------------------------------------------------------------


def omega_squared_from_cv(cv: float) -> float:
    """Variance of eta giving a log-normal parameter that coefficient of variation.

    ``omega^2 = ln(1 + CV^2)``, the inverse of ``CV = sqrt(exp(omega^2) - 1)``.

    Examples
    --------
    >>> round(omega_squared_from_cv(0.64), 5)
    0.34331
    """
    if not (math.isfinite(cv) and cv >= 0):
        raise InvalidPopulationRequest("cv", "must be a finite number >= 0")
    return math.log1p(cv * cv)


def cv_from_omega_squared(omega_squared: float) -> float:
    """Coefficient of variation of ``theta exp(eta)``: ``sqrt(exp(omega^2) - 1)``.

    Examples
    --------
    >>> round(cv_from_omega_squared(0.057), 4)
    0.2422
    """
    if not (math.isfinite(omega_squared) and omega_squared >= 0):
        raise InvalidPopulationRequest("omega_squared", "must be a finite number >= 0")
    return math.sqrt(math.expm1(omega_squared))


@dataclass(frozen=True, slots=True)
class Variability:
    """Inter-individual variability of one model: omega^2 per parameter, with its source.

    Attributes
    ----------
    omega_squared_v1, omega_squared_v2, omega_squared_v3 : float
        Variance of eta on V1, V2, V3 (dimensionless, >= 0; 0 = no variability).
    omega_squared_cl, omega_squared_q2, omega_squared_q3 : float
        Variance of eta on CL, Q2, Q3.
    source : str
        Where the numbers come from (citation, or a description of the assumption).
    is_published : bool
        False for an assumed default: results then carry
        :data:`~.population.ASSUMED_VARIABILITY_WARNING`.
    note : str
        How the numbers were derived (e.g. a CV converted to omega^2).

    Raises
    ------
    InvalidPopulationRequest
        An omega^2 is negative or not finite (field ``variability.omega_squared_v1`` ...).
    """

    omega_squared_v1: float = 0.0
    omega_squared_v2: float = 0.0
    omega_squared_v3: float = 0.0
    omega_squared_cl: float = 0.0
    omega_squared_q2: float = 0.0
    omega_squared_q3: float = 0.0
    source: str = ""
    is_published: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        for name in PARAMETER_NAMES:
            value = getattr(self, f"omega_squared_{name}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidPopulationRequest(
                    f"variability.omega_squared_{name}", "must be a number"
                )
            if not (math.isfinite(value) and value >= 0):
                raise InvalidPopulationRequest(
                    f"variability.omega_squared_{name}", "must be a finite number >= 0"
                )

    @classmethod
    def from_cv(
        cls,
        *,
        v1: float = 0.0,
        v2: float = 0.0,
        v3: float = 0.0,
        cl: float = 0.0,
        q2: float = 0.0,
        q3: float = 0.0,
        source: str,
        is_published: bool,
        note: str = "",
    ) -> Variability:
        """Build from coefficients of variation (fractions: 0.64 for 64%).

        Each becomes ``omega^2 = ln(1 + CV^2)``.

        Examples
        --------
        >>> v = Variability.from_cv(v1=0.64, source="example", is_published=False)
        >>> round(v.omega_squared_v1, 5), v.omega_squared_cl
        (0.34331, 0.0)
        """
        values = {"v1": v1, "v2": v2, "v3": v3, "cl": cl, "q2": q2, "q3": q3}
        omegas: dict[str, float] = {}
        for name, cv in values.items():
            if not (math.isfinite(cv) and cv >= 0):
                raise InvalidPopulationRequest(
                    f"variability.cv_{name}", "must be a finite number >= 0"
                )
            omegas[name] = math.log1p(cv * cv)
        return cls(
            omega_squared_v1=omegas["v1"],
            omega_squared_v2=omegas["v2"],
            omega_squared_v3=omegas["v3"],
            omega_squared_cl=omegas["cl"],
            omega_squared_q2=omegas["q2"],
            omega_squared_q3=omegas["q3"],
            source=source,
            is_published=is_published,
            note=note,
        )

    @property
    def omega_squared_by_parameter(self) -> dict[str, float]:
        """omega^2 keyed by parameter name (``"v1"``, ..., ``"q3"``)."""
        return {name: float(getattr(self, f"omega_squared_{name}")) for name in PARAMETER_NAMES}

    @property
    def cv_by_parameter(self) -> dict[str, float]:
        """CV = sqrt(exp(omega^2) - 1), keyed by parameter name."""
        return {
            name: cv_from_omega_squared(value)
            for name, value in self.omega_squared_by_parameter.items()
        }


HERD_VARIABILITY: Final = Variability.from_cv(
    v1=0.64,
    v2=0.517,
    cl=0.381,
    q2=0.19,
    source=(
        "Herd DW, Anderson BJ. Paediatr Anaesth 2007;17:622-629 (abstract): between-subject "
        "variability V1 64%, V2 51.7%, CL 38.1%, Q 19%"
    ),
    is_published=True,
    note=(
        "The abstract gives BSV as percentages without saying CV or sqrt(omega^2); read as "
        "CVs and converted with omega^2 = ln(1 + CV^2): V1 0.3433, V2 0.2369, CL 0.1355, "
        "Q 0.0355. Read as sqrt(omega^2) they would be 0.4096, 0.2673, 0.1452, 0.0361."
    ),
)
"""Herd 2007's published between-subject variability (CVs converted to omega^2)."""

SIMONS_VARIABILITY: Final = Variability(
    omega_squared_v1=0.057,
    omega_squared_cl=0.029,
    omega_squared_q3=0.026,
    source=(
        "Simons P et al. Front Pain Res 2022;3:946486, omega^2 as in nlmixr2lib "
        "Simons_2022_s_ketamine.R: V1 0.057, CL 0.029, Q3 0.026 (V2, V3, Q2 without)"
    ),
    is_published=True,
    note="Published as omega^2; used as given (CV V1 24.2%, CL 17.2%, Q3 16.2%).",
)
"""Simons 2022's published omega^2 for S-ketamine (the metabolite chain is not varied)."""

# Keyed by name, but a model only inherits published numbers if it IS the catalogue
# entry: a user-defined model that reuses the name "herd" gets the assumed default.
_PUBLISHED: Final[dict[str, tuple[PKModel, Variability]]] = {
    HERD.name: (HERD, HERD_VARIABILITY),
    SIMONS.name: (SIMONS, SIMONS_VARIABILITY),
}


def assumed_variability(
    *, compartment_count: int = 3, cv: float = ASSUMED_DEFAULT_CV
) -> Variability:
    """The ASSUMED default: the same CV on every volume and clearance the model has.

    Not published for any of these models; results using it carry
    :data:`~.population.ASSUMED_VARIABILITY_WARNING`. 30% is a common order of magnitude for
    between-subject variability of IV anaesthetics' volumes and clearances, nothing more.
    """
    if compartment_count not in (1, 2, 3):
        raise InvalidPopulationRequest("compartment_count", "must be 1, 2 or 3")
    present = {"v1": cv, "cl": cv}
    if compartment_count >= 2:
        present |= {"v2": cv, "q2": cv}
    if compartment_count == 3:
        present |= {"v3": cv, "q3": cv}
    omega2 = omega_squared_from_cv(cv)
    return Variability.from_cv(
        **present,
        source=(
            f"an assumed default of {cv:.0%} CV (omega^2 {omega2:.4f}) on every volume and "
            "clearance, uncorrelated"
        ),
        is_published=False,
        note="Assumed: no inter-individual variability is published for this model.",
    )


def default_variability(model: PKModel) -> Variability:
    """The variability to use for a model: published where it exists, else assumed.

    Herd 2007 and Simons 2022 have published values (:data:`HERD_VARIABILITY`,
    :data:`SIMONS_VARIABILITY`); every other model, including user-defined ones, gets
    :func:`assumed_variability` (30% CV on every volume and clearance), an assumption
    that :func:`simulate_population` reports in its warnings.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> default_variability(get_model("herd")).is_published
    True
    >>> default_variability(get_model("domino")).is_published
    False
    """
    published = _PUBLISHED.get(model.name)
    if published is not None and published[0] == model:
        return published[1]
    count = model.parameters.scaled(70.0).compartment_count
    return assumed_variability(compartment_count=count)
