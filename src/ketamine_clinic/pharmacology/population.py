"""Population simulation: the spread of concentrations across patients given one program.

Patients are drawn by :mod:`.population_sampling` with the omegas of :mod:`.variability`
(published for Herd and Simons, an ASSUMED 30% CV elsewhere, said in every result's
warnings), and solved exactly by :mod:`.population_kernel`; this module is the entry point
and its result.

The metabolite (Simons 2022's S-norketamine) is not simulated here: Cp and Ce do not
depend on it, and its equal-rate transit chain would send every patient down the solver's
slow path. Population results are of the parent drug only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import InvalidPopulationRequest
from ketamine_clinic.pharmacology.models import PKModel
from ketamine_clinic.pharmacology.population_kernel import population_curves, unsorted
from ketamine_clinic.pharmacology.population_sampling import (
    check_grid,
    check_n_patients,
    check_seed,
    check_values,
    check_workers,
    sample_parameters,
)
from ketamine_clinic.pharmacology.program import InfusionProgram
from ketamine_clinic.pharmacology.variability import Variability, default_variability

FloatArray = npt.NDArray[np.float64]

ASSUMED_VARIABILITY_WARNING: Final = (
    "{model}: no published inter-individual variability; the population uses {source}. "
    "This is an assumption, not a published value."
)
METABOLITE_NOT_SIMULATED_WARNING: Final = (
    "{model}: the {metabolite} chain is not simulated in population runs; the bands are "
    "of the parent drug only."
)

# The kernel's tile buffer holds 64 times x P patients x 2 curves in float32: 512 MB at
# this limit.
MAX_PATIENTS: Final = 1_000_000
# Above this many (patient, time) values a run would take tens of seconds: refuse rather
# than hang a caller that asked for 10^7 patients by mistake.
MAX_POPULATION_VALUES: Final = 500_000_000
# keep_concentrations holds a float64 (P, T) matrix: 1.6 GB at this limit.
MAX_KEPT_VALUES: Final = 200_000_000


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
        Default :func:`~.variability.default_variability` (published, or the assumed 30% CV).
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
    solver's sum of exponentials; see :func:`population_curves`). Percentiles use numpy's
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
    p = check_n_patients(n_patients)
    q = check_values("percentiles", percentiles, low=0.0, high=100.0)
    thresholds = check_values("thresholds_ng_per_ml", thresholds_ng_per_ml, low=0.0, high=None)
    seed = check_seed(seed)
    n_workers = check_workers(workers)
    t = check_grid(t_s)
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
    curves = population_curves(
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
        cp_percentiles_ng_per_ml=unsorted(curves.bands[0], order),
        ce_percentiles_ng_per_ml=None
        if len(curves.bands) < 2
        else unsorted(curves.bands[1], order),
        variability=variability,
        seed=seed,
        warnings=tuple(warnings),
        thresholds_ng_per_ml=thresholds,
        fraction_above_ng_per_ml=unsorted(curves.above_counts / p, order),
        fraction_ever_above=curves.ever_counts / p,
        cp_ng_per_ml=None if curves.kept is None else unsorted(curves.kept, order),
        model_name=model.name,
        model_title=model.title,
        weight_kg=float(weight_kg),
        age_years=None if age_years is None else float(age_years),
    )
