"""Population simulation: the spread of concentrations across patients given one program.

Each simulated patient's volumes and clearances are log-normal around the model's typical
values::

    P_i = theta * exp(eta_i),   eta_i ~ N(0, omega^2),   CV = sqrt(exp(omega^2) - 1)

(the usual NONMEM exponential model). Its inverse, used to turn a published CV into
omega^2, is ``omega^2 = ln(1 + CV^2)``. Parameters vary independently (no correlations are
published for these models); ke0, the metabolite chain and the dose are not varied.

Where the numbers come from (:func:`default_variability`):

* Herd 2007: between-subject variability "BSV" V1 64%, V2 51.7%, CL 38.1%, Q 19% (abstract).
  The abstract reports BSV as percentages without saying whether they are CVs or
  sqrt(omega^2); we read them as CVs and convert with ``ln(1 + CV^2)`` (V1: 0.3433). Read
  as sqrt(omega^2) instead, V1 would be 0.4096; the note on :data:`HERD_VARIABILITY`
  says so.
* Simons 2022: omega^2 V1 0.057, CL 0.029, Q3 0.026 (nlmixr2lib model file; others 0).
* Every other model (Domino, Clements, Hijazi, Kamp, user-defined): no published
  inter-individual variability. An ASSUMED default of 30% CV on every volume and
  clearance is used, and every result says so in its warnings.

Rate-constant models (Domino, Clements, Hijazi) carry variability on their equivalent
volumes and clearances (V1, V2 = V1 k12/k21, V3 = V1 k13/k31, CL = k10 V1, Q2 = k12 V1,
Q3 = k13 V1); the rate constants are rebuilt from the sampled values, so a patient's
k10 = CL/V1 and so on.

How it stays fast: all patients' system matrices are built at once
(:func:`~.models.mammillary_system_matrix_per_s` over parameter arrays) and
eigen-decomposed in batches. Each patient's exact solution is then a sum of exponentials
per program segment (the solver's method, with its safety checks and its exact
single-patient path for any patient whose decomposition is unsafe). It is evaluated one
tile of 64 times at a time for all patients, on ``workers`` threads: one set of exponentials
serves both Cp and Ce, thresholds are counted as the values are produced, and each
tile is sorted across patients (numpy's SIMD sort, GIL released) for its percentiles.
Memory stays at tens of MB whatever the number of patients or program segments; the
full float64 (P, T) matrix exists only when ``keep_concentrations`` asks for it.
(Why not :func:`~.solver.simulate_many` itself: see :func:`_simulate_curves`.)

The metabolite (Simons 2022's S-norketamine) is not simulated here: Cp and Ce do not
depend on it, and its equal-rate transit chain would send every patient down the solver's
slow path. Population results are of the parent drug only.

References
----------
Herd DW, Anderson BJ. Paediatr Anaesth 2007;17:622-629.
Simons P et al. Front Pain Res 2022;3:946486 (omega^2 via nlmixr2lib
``Simons_2022_s_ketamine.R``).
Beal SL, Sheiner LB, Boeckmann AJ, Bauer RJ. NONMEM Users Guides (exponential
inter-individual variability model).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import (
    InvalidPatient,
    InvalidPopulationRequest,
    InvalidTimeGrid,
)
from ketamine_clinic.pharmacology.models import (
    HERD,
    NG_PER_ML_PER_MG_PER_L,
    SIMONS,
    MicroConstants,
    PKModel,
    mammillary_system_matrix_per_s,
)
from ketamine_clinic.pharmacology.program import S_PER_H, InfusionProgram
from ketamine_clinic.pharmacology.solver import (
    MAX_EIGENVECTOR_CONDITION,
    MIN_RELATIVE_EIGENVALUE_GAP,
    simulate_states,
)

FloatArray = npt.NDArray[np.float64]

PARAMETER_NAMES: Final = ("v1", "v2", "v3", "cl", "q2", "q3")
"""The varied parameters: volumes V1-V3 (L) and clearances CL, Q2, Q3 (L/min)."""

ASSUMED_DEFAULT_CV: Final = 0.30
"""CV of the ASSUMED default variability (not published) on every volume and clearance."""

ASSUMED_VARIABILITY_WARNING: Final = (
    "{model}: no published inter-individual variability; the population uses {source}. "
    "This is an assumption, not a published value."
)
METABOLITE_NOT_SIMULATED_WARNING: Final = (
    "{model}: the {metabolite} chain is not simulated in population runs; the bands are "
    "of the parent drug only."
)

# Patients per batch of eigen-decompositions and per inner block of the kernel: 512 ran
# fastest here (see _TILE_ROWS).
CHUNK_PATIENTS: Final = 512
# The kernel's tile buffer holds 64 times x P patients x 2 curves in float32: 512 MB at
# this limit.
MAX_PATIENTS: Final = 1_000_000
# Above this many (patient, time) values a run would take tens of seconds: refuse rather
# than hang a caller that asked for 10^7 patients by mistake.
MAX_POPULATION_VALUES: Final = 500_000_000
# keep_concentrations holds a float64 (P, T) matrix: 1.6 GB at this limit.
MAX_KEPT_VALUES: Final = 200_000_000


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
        :data:`ASSUMED_VARIABILITY_WARNING`.
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
    :data:`ASSUMED_VARIABILITY_WARNING`. 30% is a common order of magnitude for
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


# --------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SampledParameters:
    """Each simulated patient's volumes and clearances (arrays of shape (P,)).

    Absent compartments are None. Rate constants (per minute) follow as properties:
    ``k10 = CL/V1``, ``k12 = Q2/V1``, ``k21 = Q2/V2``, ``k13 = Q3/V1``, ``k31 = Q3/V3``.

    Attributes
    ----------
    v1_l, cl_l_per_min : ndarray, shape (P,)
    v2_l, q2_l_per_min, v3_l, q3_l_per_min : ndarray, shape (P,), or None
    compartment_count : int
    ke0_per_min : float | None
        Not varied: the same (assumed) value for every patient.
    typical : MicroConstants
        The model's typical patient at ``weight_kg`` (theta).
    weight_kg : float
    variability : Variability
    seed : int
    """

    v1_l: FloatArray
    cl_l_per_min: FloatArray
    v2_l: FloatArray | None
    q2_l_per_min: FloatArray | None
    v3_l: FloatArray | None
    q3_l_per_min: FloatArray | None
    compartment_count: int
    ke0_per_min: float | None
    typical: MicroConstants
    weight_kg: float
    variability: Variability
    seed: int

    @property
    def n_patients(self) -> int:
        return int(self.v1_l.size)

    @property
    def k10_per_min(self) -> FloatArray:
        return self.cl_l_per_min / self.v1_l

    @property
    def k12_per_min(self) -> FloatArray:
        return self._zero() if self.q2_l_per_min is None else self.q2_l_per_min / self.v1_l

    @property
    def k21_per_min(self) -> FloatArray:
        if self.q2_l_per_min is None or self.v2_l is None:
            return self._zero()
        return self.q2_l_per_min / self.v2_l

    @property
    def k13_per_min(self) -> FloatArray:
        return self._zero() if self.q3_l_per_min is None else self.q3_l_per_min / self.v1_l

    @property
    def k31_per_min(self) -> FloatArray:
        if self.q3_l_per_min is None or self.v3_l is None:
            return self._zero()
        return self.q3_l_per_min / self.v3_l

    def _zero(self) -> FloatArray:
        return np.zeros_like(self.v1_l)

    def system_matrices_per_s(self, *, effect_site: bool = False) -> FloatArray:
        """Every patient's K, per second: shape (P, n, n), built in one vectorised call.

        ``n = compartment_count`` (+1 with ``effect_site``, the state ``Ae = Ce V1``);
        the metabolite chain is left out (Cp and Ce do not depend on it).
        """
        if effect_site and self.ke0_per_min is None:
            raise InvalidPopulationRequest("effect_site", "the model has no ke0")
        return mammillary_system_matrix_per_s(
            k10_per_min=self.k10_per_min,
            k12_per_min=self.k12_per_min,
            k13_per_min=self.k13_per_min,
            k21_per_min=self.k21_per_min,
            k31_per_min=self.k31_per_min,
            compartment_count=self.compartment_count,
            ke0_per_min=self.ke0_per_min if effect_site else None,
        )


def _typical_volumes_and_clearances(
    micro: MicroConstants,
) -> dict[str, float | None]:
    """theta for each varied parameter, from the scaled rate constants."""
    v1 = micro.v1_l
    theta: dict[str, float | None] = {
        "v1": v1,
        "cl": micro.k10_per_min * v1,
        "v2": None,
        "q2": None,
        "v3": None,
        "q3": None,
    }
    if micro.compartment_count >= 2:
        theta["q2"] = micro.k12_per_min * v1
        theta["v2"] = v1 * micro.k12_per_min / micro.k21_per_min
    if micro.compartment_count == 3:
        theta["q3"] = micro.k13_per_min * v1
        theta["v3"] = v1 * micro.k13_per_min / micro.k31_per_min
    return theta


def sample_parameters(
    model: PKModel,
    *,
    n_patients: int,
    weight_kg: float,
    variability: Variability | None = None,
    seed: int = 0,
) -> SampledParameters:
    """Draw each patient's volumes and clearances: ``theta exp(eta)``, eta ~ N(0, omega^2).

    Parameters
    ----------
    model : PKModel
    n_patients : int
        P >= 1.
    weight_kg : float
        Every patient's weight (the population varies around the typical patient of
        this weight; weight itself is not sampled).
    variability : Variability, optional
        Default :func:`default_variability`.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same patients.

    Returns
    -------
    SampledParameters

    Notes
    -----
    Six standard normals are drawn per patient in the fixed order V1, V2, V3, CL, Q2,
    Q3 (also for absent or unvaried parameters), so a patient's draw does not depend on
    which parameters vary. This does not check the model's population (see
    :func:`simulate_population`).

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> s = sample_parameters(get_model("domino"), n_patients=3, weight_kg=70, seed=1)
    >>> s.v1_l.shape, s.v3_l is not None
    ((3,), True)
    """
    p = _check_n_patients(n_patients)
    _check_weight(weight_kg)
    seed = _check_seed(seed)
    variability = default_variability(model) if variability is None else variability
    micro = model.parameters.scaled(float(weight_kg))
    theta = _typical_volumes_and_clearances(micro)
    omega2 = variability.omega_squared_by_parameter
    eta = np.random.default_rng(seed).standard_normal((len(PARAMETER_NAMES), p))
    values: dict[str, FloatArray | None] = {}
    for row, name in enumerate(PARAMETER_NAMES):
        typical = theta[name]
        if typical is None:
            values[name] = None
            continue
        omega = math.sqrt(omega2[name])
        values[name] = typical * np.exp(omega * eta[row]) if omega > 0 else np.full(p, typical)
    v1, cl = values["v1"], values["cl"]
    assert v1 is not None and cl is not None  # noqa: S101 - every model has V1 and CL
    return SampledParameters(
        v1_l=v1,
        cl_l_per_min=cl,
        v2_l=values["v2"],
        q2_l_per_min=values["q2"],
        v3_l=values["v3"],
        q3_l_per_min=values["q3"],
        compartment_count=micro.compartment_count,
        ke0_per_min=model.ke0_per_min,
        typical=micro,
        weight_kg=float(weight_kg),
        variability=variability,
        seed=seed,
    )


# --------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PopulationSimulation:
    """The result of :func:`simulate_population`.

    Attributes
    ----------
    t_s : ndarray, shape (T,)
        Times, s, in the order requested.
    n_patients : int
    percentiles : tuple[float, ...]
        Percentiles (0-100) of the bands, in the order requested.
    cp_percentiles_ng_per_ml : ndarray, shape (len(percentiles), T)
        Plasma concentration percentiles across patients at each time (numpy's default
        linear interpolation; computed from float32 copies, relative rounding ~6e-8).
    ce_percentiles_ng_per_ml : ndarray, shape (len(percentiles), T), or None
        Effect-site percentiles; None when the model has no ke0. ke0 is assumed for
        every ketamine model (see the warnings) and is not varied.
    variability : Variability
    seed : int
    warnings : tuple[str, ...]
        The typical patient model's warnings (population forced, unverified parameters,
        assumed ke0), an assumed-variability warning, a metabolite note.
    thresholds_ng_per_ml : tuple[float, ...]
    fraction_above_ng_per_ml : ndarray, shape (len(thresholds), T)
        Fraction of patients whose Cp is strictly above each threshold at each time.
    fraction_ever_above : ndarray, shape (len(thresholds),)
        Fraction of patients whose Cp is strictly above each threshold at some grid time.
    cp_ng_per_ml : ndarray, shape (n_patients, T), or None
        Every patient's Cp (float64), only with ``keep_concentrations=True``.
    model_name, model_title : str
    weight_kg : float
    age_years : float | None
    """

    t_s: FloatArray
    n_patients: int
    percentiles: tuple[float, ...]
    cp_percentiles_ng_per_ml: FloatArray
    ce_percentiles_ng_per_ml: FloatArray | None
    variability: Variability
    seed: int
    warnings: tuple[str, ...]
    thresholds_ng_per_ml: tuple[float, ...]
    fraction_above_ng_per_ml: FloatArray
    fraction_ever_above: FloatArray
    cp_ng_per_ml: FloatArray | None
    model_name: str
    model_title: str
    weight_kg: float
    age_years: float | None

    def probability_exceeding(self, threshold_ng_per_ml: float) -> FloatArray:
        """Fraction of patients with Cp strictly above a threshold at each time: (T,).

        Answered from the precomputed thresholds when the value is one of them, else from
        the kept concentrations.

        Raises
        ------
        InvalidPopulationRequest
            The threshold is not finite, or it was not precomputed and the concentrations
            were not kept (``keep_concentrations=False``).
        """
        threshold = float(threshold_ng_per_ml)
        if not math.isfinite(threshold):
            raise InvalidPopulationRequest("threshold_ng_per_ml", "must be finite")
        if threshold in self.thresholds_ng_per_ml:
            row = self.thresholds_ng_per_ml.index(threshold)
            return np.asarray(self.fraction_above_ng_per_ml[row], dtype=np.float64)
        if self.cp_ng_per_ml is None:
            raise InvalidPopulationRequest(
                "threshold_ng_per_ml",
                "not among thresholds_ng_per_ml, and the concentrations were not kept "
                "(pass it in thresholds_ng_per_ml or use keep_concentrations=True)",
            )
        return np.asarray(
            np.count_nonzero(self.cp_ng_per_ml > threshold, axis=0) / self.n_patients,
            dtype=np.float64,
        )


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------


def simulate_population(
    model: PKModel,
    program: InfusionProgram,
    t_s: npt.ArrayLike,
    *,
    n_patients: int,
    weight_kg: float,
    age_years: float | None = None,
    variability: Variability | None = None,
    seed: int = 0,
    percentiles: Sequence[float] = (5, 25, 50, 75, 95),
    thresholds_ng_per_ml: Sequence[float] = (),
    keep_concentrations: bool = False,
    force: bool = False,
    workers: int | None = None,
) -> PopulationSimulation:
    """Simulate many patients given the same program: percentile bands and exceedance.

    Parameters
    ----------
    model : PKModel
    program : InfusionProgram
        The same program (mg/h, mg) for every patient.
    t_s : array_like, shape (T,)
        Output times, s, >= 0 (any order; at least one).
    n_patients : int
        P >= 1.
    weight_kg, age_years : float
        The patient the population is centred on; checked against the model's
        population as :meth:`~.models.PKModel.for_patient` does (Herd refuses adults).
    variability : Variability, optional
        Default :func:`default_variability` (published, or the assumed 30% CV).
    seed : int
        Same seed, same patients, same result (independent of ``workers``).
    percentiles : sequence of float
        In [0, 100].
    thresholds_ng_per_ml : sequence of float
        Cp thresholds (>= 0) for :attr:`PopulationSimulation.fraction_above_ng_per_ml`
        and :attr:`PopulationSimulation.fraction_ever_above`.
    keep_concentrations : bool
        Also return every patient's Cp, float64 (P, T): 865 MB for 100,000 x 1,081.
    force : bool
        Accept a patient outside the model's population (the refusal becomes a warning).
    workers : int, optional
        Threads; default ``min(2, os.cpu_count())``.

    Returns
    -------
    PopulationSimulation

    Raises
    ------
    InvalidPopulationRequest
        Naming the field: ``n_patients``, ``percentiles[i]``, ``thresholds_ng_per_ml[i]``,
        ``seed``, ``workers``, or a population too large to hold.
    OutsideModelPopulation
        The centre patient is outside the model's population and ``force`` is False.
    InvalidPatient, InvalidTimeGrid
        Impossible weight or age; bad times.

    Notes
    -----
    ``P_i = theta exp(eta_i)``, ``eta_i ~ N(0, omega^2)`` per parameter (module doc).
    Each patient's concentrations are exact for the piecewise-constant program (the
    solver's sum of exponentials; see :func:`_simulate_curves`). Percentiles use numpy's
    default linear interpolation between order statistics. Measured on this project's
    2-core machine: 100,000 Domino patients x 1,081 times (3 h on a 10 s grid), Cp and
    Ce bands and two thresholds, 1.1-1.3 s when the machine is otherwise idle.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> from ketamine_clinic.pharmacology.program import constant_infusion
    >>> pop = simulate_population(get_model("domino"), constant_infusion(35.0, 3300),
    ...     [3300.0], n_patients=1000, weight_kg=70, thresholds_ng_per_ml=[250.0])
    >>> pop.cp_percentiles_ng_per_ml.shape, pop.fraction_above_ng_per_ml.shape
    ((5, 1), (1, 1))
    >>> any("assumption, not a published value" in w for w in pop.warnings)
    True
    """
    p = _check_n_patients(n_patients)
    q = _check_values("percentiles", percentiles, low=0.0, high=100.0)
    thresholds = _check_values("thresholds_ng_per_ml", thresholds_ng_per_ml, low=0.0, high=None)
    seed = _check_seed(seed)
    n_workers = _check_workers(workers)
    t = _check_grid(t_s)
    if p > MAX_PATIENTS:
        raise InvalidPopulationRequest("n_patients", f"must be at most {MAX_PATIENTS:,}")
    if p * t.size > MAX_POPULATION_VALUES:
        raise InvalidPopulationRequest(
            "n_patients",
            f"{p} patients x {t.size} times exceeds {MAX_POPULATION_VALUES:,} values; "
            "use fewer patients or a coarser grid",
        )
    if keep_concentrations and p * t.size > MAX_KEPT_VALUES:
        raise InvalidPopulationRequest(
            "keep_concentrations",
            f"{p} patients x {t.size} times exceeds {MAX_KEPT_VALUES:,} kept values",
        )

    typical = model.for_patient(weight_kg=weight_kg, age_years=age_years, force=force)
    variability = default_variability(model) if variability is None else variability
    sampled = sample_parameters(
        model, n_patients=p, weight_kg=weight_kg, variability=variability, seed=seed
    )

    warnings = list(typical.warnings)
    if not variability.is_published:
        warnings.append(
            ASSUMED_VARIABILITY_WARNING.format(model=model.title, source=variability.source)
        )
    if model.metabolite is not None:
        warnings.append(
            METABOLITE_NOT_SIMULATED_WARNING.format(
                model=model.title, metabolite=model.metabolite.name
            )
        )

    # The kernel walks the program's segments along sorted times; results go back to the
    # order requested.
    order = np.argsort(t, kind="stable")
    curves = _simulate_curves(
        sampled,
        program,
        t[order],
        percentiles=np.asarray(q, dtype=np.float64),
        thresholds=np.asarray(thresholds, dtype=np.float64),
        keep=keep_concentrations,
        workers=n_workers,
    )
    return PopulationSimulation(
        t_s=t,
        n_patients=p,
        percentiles=q,
        cp_percentiles_ng_per_ml=_unsorted(curves.bands[0], order),
        ce_percentiles_ng_per_ml=None
        if len(curves.bands) < 2
        else _unsorted(curves.bands[1], order),
        variability=variability,
        seed=seed,
        warnings=tuple(warnings),
        thresholds_ng_per_ml=thresholds,
        fraction_above_ng_per_ml=_unsorted(curves.above_counts / p, order),
        fraction_ever_above=curves.ever_counts / p,
        cp_ng_per_ml=None if curves.kept is None else _unsorted(curves.kept, order),
        model_name=model.name,
        model_title=model.title,
        weight_kg=float(weight_kg),
        age_years=None if age_years is None else float(age_years),
    )


@dataclass(frozen=True, eq=False)
class _Curves:
    """Reductions of every patient's curves, on the sorted time grid."""

    bands: tuple[FloatArray, ...]  # per read-out (Cp, then Ce): (len(q), T)
    above_counts: FloatArray  # (n_thresholds, T)
    ever_counts: FloatArray  # (n_thresholds,)
    kept: FloatArray | None  # Cp, (P, T)


@dataclass(frozen=True, eq=False)
class _Segments:
    """The program as segments: start (s), constant rate (mg/s), bolus at the start (mg)."""

    starts_s: FloatArray
    rates_mg_per_s: FloatArray
    boluses_mg: FloatArray


def _program_segments(program: InfusionProgram) -> _Segments:
    starts = np.unique(
        np.concatenate(
            ([0.0], program.change_times_array_s(), np.asarray(program.bolus_times_s, dtype=float))
        )
    )
    rates = np.array([program.rate_mg_per_h_at(float(s)) for s in starts]) / S_PER_H
    boluses = np.zeros(starts.size)
    for t_bolus, dose in zip(program.bolus_times_s, program.boluses_mg, strict=True):
        boluses[np.searchsorted(starts, t_bolus)] += dose
    return _Segments(starts_s=starts, rates_mg_per_s=rates, boluses_mg=boluses)


@dataclass(frozen=True, eq=False)
class _Modal:
    """Every patient's system in modal coordinates, mode-major (contiguous per mode)."""

    w_per_s: FloatArray  # (n, P) eigenvalues
    v_inv_b: FloatArray  # (n, P) the input in modal coordinates
    rv: FloatArray  # (m, n, P) the read-outs (ng/mL per mg) in modal coordinates
    fallback: npt.NDArray[np.intp]  # patients computed on the solver's exact path
    fallback_curves: FloatArray  # (m, T, n_fallback)


def _modal_decomposition(
    k: FloatArray, b: FloatArray, t_last_s: float
) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Batched eigen-decomposition of a stack: w (c, n), V, V^-1 b, and where it is safe.

    The solver's criteria (complex, repeated or near-equal eigenvalues; eigenvector
    condition above MAX_EIGENVECTOR_CONDITION), plus a mode so slow that ``d/w`` would
    cancel over the whole grid (|w| t_last < 1e-6).
    """
    with np.errstate(all="ignore"):
        w, v = np.linalg.eig(k)
        ok = np.ones(k.shape[0], dtype=bool)
        if np.iscomplexobj(w):
            scale = np.maximum(np.max(np.abs(w), axis=-1), 1e-300)
            ok &= np.max(np.abs(w.imag), axis=-1) <= 1e-12 * scale
            w, v = w.real.copy(), v.real.copy()
        scale = np.maximum(np.max(np.abs(w), axis=-1), 1e-300)
        if w.shape[-1] > 1:
            gaps = np.min(np.diff(np.sort(w, axis=-1), axis=-1), axis=-1)
            ok &= gaps >= MIN_RELATIVE_EIGENVALUE_GAP * scale
        ok &= np.all(np.abs(w) * max(t_last_s, 1.0) >= 1e-6, axis=-1)
        # Unsafe rows get a harmless stand-in system; their curves are replaced.
        v[~ok] = np.eye(k.shape[-1])
        w[~ok] = -1.0
        v_inv = np.linalg.inv(v)
        cond = np.linalg.norm(v, axis=(-2, -1)) * np.linalg.norm(v_inv, axis=(-2, -1))
        ok &= cond <= MAX_EIGENVECTOR_CONDITION
    return w, v, v_inv @ b, ok


def _simulate_curves(
    sampled: SampledParameters,
    program: InfusionProgram,
    t_sorted: FloatArray,
    *,
    percentiles: FloatArray,
    thresholds: FloatArray,
    keep: bool,
    workers: int,
) -> _Curves:
    """Every patient's Cp (and Ce) on the sorted grid, reduced tile by tile in time.

    Why not :func:`~.solver.simulate_many`: it returns one read-out per call as a
    patient-major (P, T) matrix. Cp and Ce would cost two passes (two
    eigen-decompositions, and 3 + 4 exponentials per patient and time for Domino), and
    percentiles need every patient at one time together, i.e. the whole 865 MB matrix
    (or a float32 transposed copy of it) in memory; measured for 100,000 Domino patients
    x 1,081 times on this 2-core machine, 3.1-5.3 s, much of it first-touch page faults.
    Here the same exact solution (the solver's sum of exponentials and safety checks,
    and its exact single-patient path for any patient whose decomposition is unsafe) is
    evaluated time tile by time tile for all patients: one decomposition and one set of
    exponentials give both curves, each tile is sorted for its percentiles straight
    away, and memory stays at a few tens of MB whatever the number of patients or
    program segments. The tests check it against :func:`~.solver.simulate`,
    :func:`~.solver.simulate_many` and solve_ivp.

    Notes
    -----
    In modal coordinates ``z = V^-1 x`` every mode is independent: over a segment with
    rate u, ``z(tau) = exp(w tau) z0 + (exp(w tau) - 1)/w V^-1 b u`` and a read-out is
    ``y = (r V) . z``, i.e. ``y(tau) = sum_i alpha_i exp(w_i tau) + beta`` with
    ``alpha = (r V) * (z0 + V^-1 b u / w)`` and ``beta = -sum_i (r V)_i (V^-1 b u / w)_i``.
    """
    p, n_t = sampled.n_patients, t_sorted.size
    has_ce = sampled.ke0_per_min is not None
    m = 1 + int(has_ce)
    segments = _program_segments(program)
    position = percentiles / 100.0 * (p - 1)
    below = np.floor(position).astype(np.intp)
    above_index = np.minimum(below + 1, p - 1)
    frac = (position - below)[:, None]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        modal = _decompose_all(sampled, program, t_sorted, pool, workers)
        n = modal.w_per_s.shape[0]
        parts = _split(p, workers)
        above_parts = np.zeros((len(parts), thresholds.size, n_t))
        peak = np.full(p, -np.inf)
        kept = np.empty((p, n_t)) if keep else None
        tile = np.empty((m, _TILE_ROWS, p), dtype=np.float32)
        bands = tuple(np.empty((percentiles.size, n_t)) for _ in range(m))

        z = np.zeros((n, p))  # modal state
        starts = segments.starts_s
        bounds = np.append(np.searchsorted(t_sorted, starts, side="left"), n_t)
        t_last = float(t_sorted[-1])
        for j in range(starts.size):
            if starts[j] > t_last:
                break
            z += modal.v_inv_b * segments.boluses_mg[j]
            d = modal.v_inv_b * segments.rates_mg_per_s[j]
            d_over_w = d / modal.w_per_s
            alpha = modal.rv * (z + d_over_w)[None]  # (m, n, P)
            beta = -np.sum(modal.rv * d_over_w[None], axis=1)  # (m, P)
            for r0 in range(int(bounds[j]), int(bounds[j + 1]), _TILE_ROWS):
                r1 = min(r0 + _TILE_ROWS, int(bounds[j + 1]))
                evaluate = functools.partial(
                    _evaluate_columns,
                    modal=modal,
                    alpha=alpha,
                    beta=beta,
                    tau=t_sorted[r0:r1] - starts[j],
                    r0=r0,
                    thresholds=thresholds,
                    peak=peak,
                    kept=kept,
                    tile=tile,
                )
                list(pool.map(evaluate, parts, above_parts))
                rows = r1 - r0
                jobs = [(r, a, b) for r in range(m) for a, b in _split(rows, workers)]
                list(pool.map(functools.partial(_sort_tile_rows, tile), jobs))
                for r in range(m):
                    lower = tile[r, :rows][:, below].T.astype(np.float64)  # (len(q), rows)
                    upper = tile[r, :rows][:, above_index].T.astype(np.float64)
                    bands[r][:, r0:r1] = lower + frac * (upper - lower)
            if j + 1 < starts.size and starts[j + 1] <= t_last:
                dt = float(starts[j + 1] - starts[j])
                ew = np.exp(modal.w_per_s * dt)
                z = ew * z + _phi(modal.w_per_s, dt, ew) * d

    ever = np.array([np.count_nonzero(peak > th) for th in thresholds.tolist()], dtype=float)
    return _Curves(bands=bands, above_counts=above_parts.sum(axis=0), ever_counts=ever, kept=kept)


def _decompose_all(
    sampled: SampledParameters,
    program: InfusionProgram,
    t_sorted: FloatArray,
    pool: ThreadPoolExecutor,
    workers: int,
) -> _Modal:
    """Eigen-decompose every patient's system (with the effect site when it has ke0)."""
    p = sampled.n_patients
    has_ce = sampled.ke0_per_min is not None
    k_all = sampled.system_matrices_per_s(effect_site=has_ce)
    n = k_all.shape[-1]
    b = np.zeros(n)
    b[0] = 1.0
    # Read-outs in ng/mL per mg of state: Cp = A1 / V1, Ce = Ae / V1.
    readouts = np.zeros((1 + int(has_ce), p, n))
    readouts[0, :, 0] = NG_PER_ML_PER_MG_PER_L / sampled.v1_l
    if has_ce:
        readouts[1, :, sampled.compartment_count] = NG_PER_ML_PER_MG_PER_L / sampled.v1_l
    w_t = np.empty((n, p))
    v_inv_b_t = np.empty((n, p))
    rv_t = np.empty((readouts.shape[0], n, p))
    ok_all = np.empty(p, dtype=bool)
    t_last = float(t_sorted[-1])

    def run(bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        w, v, v_inv_b, ok = _modal_decomposition(k_all[lo:hi], b, t_last)
        w_t[:, lo:hi] = w.T
        v_inv_b_t[:, lo:hi] = v_inv_b.T
        rv_t[:, :, lo:hi] = np.einsum("mpi,pij->mjp", readouts[:, lo:hi], v)
        ok_all[lo:hi] = ok

    chunks = [(lo, min(lo + CHUNK_PATIENTS, p)) for lo in range(0, p, CHUNK_PATIENTS)]
    if workers > 1 and len(chunks) > 1:
        list(pool.map(run, chunks))
    else:
        for chunk in chunks:
            run(chunk)
    fallback = np.flatnonzero(~ok_all)
    curves = np.empty((readouts.shape[0], t_sorted.size, fallback.size))
    for col, i in enumerate(fallback.tolist()):
        # The solver's exact single-patient path (expm where eigenvectors are unsafe).
        states = simulate_states(k_all[i], b, program, t_sorted)  # (T, n)
        curves[:, :, col] = readouts[:, i] @ states.T
    return _Modal(
        w_per_s=w_t, v_inv_b=v_inv_b_t, rv=rv_t, fallback=fallback, fallback_curves=curves
    )


# Time rows per tile, and patients per inner block: 64 x 512 x 8 bytes = 256 kB per
# working array, so the exponentials and sums of a block stay in the L2 cache; the tile
# buffer (read-outs x 64 x P float32) is reused for every tile.
_TILE_ROWS: Final = 64


def _evaluate_columns(
    columns: tuple[int, int],
    above: FloatArray,
    *,
    modal: _Modal,
    alpha: FloatArray,
    beta: FloatArray,
    tau: FloatArray,
    r0: int,
    thresholds: FloatArray,
    peak: FloatArray,
    kept: FloatArray | None,
    tile: npt.NDArray[np.float32],
) -> None:
    """Read-outs of the patients ``columns`` at the tile's times; counts, peaks, copies.

    ``above`` (thresholds x T) belongs to this worker alone; every other output is
    written only in this worker's columns.
    """
    lo, hi = columns
    m, n = alpha.shape[0], alpha.shape[1]
    rows = tau.size
    r1 = r0 + rows
    y = np.empty((m, rows, CHUNK_PATIENTS))
    e = np.empty((rows, CHUNK_PATIENTS))
    tmp = np.empty((rows, CHUNK_PATIENTS))
    fallback = modal.fallback
    for c0 in range(lo, hi, CHUNK_PATIENTS):
        c1 = min(c0 + CHUNK_PATIENTS, hi)
        width = c1 - c0
        yt, et, tt = y[:, :, :width], e[:, :width], tmp[:, :width]
        yt[...] = beta[:, None, c0:c1]
        for i in range(n):
            np.multiply.outer(tau, modal.w_per_s[i, c0:c1], out=et)
            np.exp(et, out=et)
            for r in range(m):
                np.multiply(et, alpha[r, i, c0:c1], out=tt)
                yt[r] += tt
        if fallback.size:
            lo_f, hi_f = np.searchsorted(fallback, [c0, c1])
            if hi_f > lo_f:
                cols = fallback[lo_f:hi_f]
                yt[:, :, cols - c0] = modal.fallback_curves[:, r0:r1, lo_f:hi_f]
        cp = yt[0]
        for i, threshold in enumerate(thresholds.tolist()):
            above[i, r0:r1] += np.count_nonzero(cp > threshold, axis=1)
        np.maximum(peak[c0:c1], cp.max(axis=0), out=peak[c0:c1])
        if kept is not None:
            kept[c0:c1, r0:r1] = cp.T
        tile[:, :rows, c0:c1] = yt


def _sort_tile_rows(tile: npt.NDArray[np.float32], job: tuple[int, int, int]) -> None:
    """Sort rows a:b of read-out r of the tile, across patients (GIL released)."""
    r, a, b = job
    tile[r, a:b].sort(axis=1)


def _split(count: int, parts: int) -> list[tuple[int, int]]:
    """Split range(count) into at most ``parts`` contiguous, non-empty pieces."""
    parts = max(1, min(parts, count))
    edges = np.linspace(0, count, parts + 1).round().astype(int).tolist()
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _phi(w: FloatArray, dt: float, e: FloatArray) -> FloatArray:
    """(exp(w dt) - 1) / w without cancellation for small w dt; e = exp(w dt)."""
    z = w * dt
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (e - 1.0) / w
    series = dt * (1.0 + z * (0.5 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z / 120.0))))
    return np.asarray(np.where(np.abs(z) < 1e-3, series, direct), dtype=np.float64)


def _unsorted(values: FloatArray, order: npt.NDArray[np.intp]) -> FloatArray:
    """Undo the sort of the time axis (the last axis)."""
    if bool(np.all(order[1:] > order[:-1])):
        return values
    out = np.empty_like(values)
    out[..., order] = values
    return out


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _check_n_patients(n_patients: int) -> int:
    if isinstance(n_patients, bool):
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1")
    try:
        p = operator.index(n_patients)
    except TypeError:
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1") from None
    if p < 1:
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1")
    return p


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool):
        raise InvalidPopulationRequest("seed", "must be an integer >= 0")
    try:
        s = operator.index(seed)
    except TypeError:
        raise InvalidPopulationRequest("seed", "must be an integer >= 0") from None
    if s < 0:
        raise InvalidPopulationRequest("seed", "must be an integer >= 0")
    return s


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return max(1, min(2, os.cpu_count() or 1))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidPopulationRequest("workers", "must be an integer >= 1")
    return workers


def _check_weight(weight_kg: float) -> None:
    if (
        isinstance(weight_kg, bool)
        or not isinstance(weight_kg, (int, float))
        or not math.isfinite(weight_kg)
        or weight_kg <= 0
    ):
        raise InvalidPatient("weight_kg", "must be a finite number > 0")


def _check_values(
    field: str, values: Sequence[float], *, low: float, high: float | None
) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)):
        raise InvalidPopulationRequest(field, "must be a sequence of numbers")
    out: list[float] = []
    try:
        items = list(values)
    except TypeError:
        raise InvalidPopulationRequest(field, "must be a sequence of numbers") from None
    for i, value in enumerate(items):
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise InvalidPopulationRequest(f"{field}[{i}]", "must be a number") from None
        if not math.isfinite(f) or f < low or (high is not None and f > high):
            bound = f"in [{low:g}, {high:g}]" if high is not None else f">= {low:g}"
            raise InvalidPopulationRequest(f"{field}[{i}]", f"must be a finite number {bound}")
        out.append(f)
    return tuple(out)


def _check_grid(t_s: npt.ArrayLike) -> FloatArray:
    try:
        t = np.array(t_s, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTimeGrid("must be an array of numbers") from None
    if t.ndim != 1 or t.size == 0:
        raise InvalidTimeGrid("must be a one-dimensional array of at least one time")
    if not np.all(np.isfinite(t)):
        raise InvalidTimeGrid("every time must be finite")
    if float(t.min()) < 0:
        raise InvalidTimeGrid("times must be >= 0 s")
    t.setflags(write=False)
    return t
