"""Drawing a population's patients: log-normal volumes and clearances around a model.

Rate-constant models (Domino, Clements, Hijazi) carry variability on their equivalent
volumes and clearances (V1, V2 = V1 k12/k21, V3 = V1 k13/k31, CL = k10 V1, Q2 = k12 V1,
Q3 = k13 V1); the rate constants are rebuilt from the sampled values, so a patient's
k10 = CL/V1 and so on. ke0 and the metabolite chain are not varied. The omegas come
from :mod:`.variability`.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import (
    InvalidPatient,
    InvalidPopulationRequest,
    InvalidTimeGrid,
)
from ketamine_clinic.pharmacology.models import (
    MicroConstants,
    PKModel,
    mammillary_system_matrix_per_s,
)
from ketamine_clinic.pharmacology.variability import (
    PARAMETER_NAMES,
    Variability,
    default_variability,
)

FloatArray = npt.NDArray[np.float64]

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
        Default :func:`~.variability.default_variability`.
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
    p = check_n_patients(n_patients)
    check_weight(weight_kg)
    seed = check_seed(seed)
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
# Input checks
# --------------------------------------------------------------------------------------


def check_n_patients(n_patients: int) -> int:
    if isinstance(n_patients, bool):
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1")
    try:
        p = operator.index(n_patients)
    except TypeError:
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1") from None
    if p < 1:
        raise InvalidPopulationRequest("n_patients", "must be an integer >= 1")
    return p


def check_seed(seed: int) -> int:
    if isinstance(seed, bool):
        raise InvalidPopulationRequest("seed", "must be an integer >= 0")
    try:
        s = operator.index(seed)
    except TypeError:
        raise InvalidPopulationRequest("seed", "must be an integer >= 0") from None
    if s < 0:
        raise InvalidPopulationRequest("seed", "must be an integer >= 0")
    return s


def check_workers(workers: int | None) -> int:
    if workers is None:
        return max(1, min(2, os.cpu_count() or 1))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidPopulationRequest("workers", "must be an integer >= 1")
    return workers


def check_weight(weight_kg: float) -> None:
    if (
        isinstance(weight_kg, bool)
        or not isinstance(weight_kg, (int, float))
        or not math.isfinite(weight_kg)
        or weight_kg <= 0
    ):
        raise InvalidPatient("weight_kg", "must be a finite number > 0")


def check_values(
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


def check_grid(t_s: npt.ArrayLike) -> FloatArray:
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
