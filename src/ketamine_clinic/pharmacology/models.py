"""Linear mammillary pharmacokinetic models, defined as data.

A catalogue entry (:class:`PKModel`) holds a model's published parameters, its source, how
far they were checked, the population it was fitted on, an optional effect site and an
optional metabolite chain. :meth:`PKModel.for_patient` checks a patient against that
population, scales the parameters to the patient's weight and returns a
:class:`PatientModel`: the linear system ``dx/dt = K x + b u`` the solver integrates.

State vector of a :class:`PatientModel` (all amounts in mg)::

    [A1, A2, A3][: compartment_count]   drug in the central and peripheral compartments
    [Ae]            if the model has ke0: effect-site amount-equivalent, Ae = Ce * V1
    [T1..Tn, M1, M2]  if it has a metabolite chain: transit compartments, then the
                    metabolite's central and peripheral compartments (mg of parent-drug
                    equivalents, so moles are conserved)

The effect site carries ``Ae = Ce * V1`` rather than ``Ce`` so that every state is in mg and
``K`` does not depend on the units of concentration; it takes no mass from A1.

Units: volumes in L, clearances in L/min, rate constants per minute in the data (as
published) and per second in ``system_matrix_per_s``; concentrations in ng/mL
(= mg/L x 1000 = ug/L).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import (
    InvalidModel,
    InvalidPatient,
    OutsideModelPopulation,
    UnknownModel,
)

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | FloatArray

S_PER_MIN: Final = 60.0
NG_PER_ML_PER_MG_PER_L: Final = 1000.0

# Molar masses (g/mol) from the molecular formulas: ketamine C13H16ClNO 237.73,
# norketamine C12H14ClNO 223.70 (PubChem CID 3821 and 123763).
KETAMINE_G_PER_MOL: Final = 237.73
NORKETAMINE_G_PER_MOL: Final = 223.70

KE0_ASSUMED_WARNING: Final = (
    "No measured ke0 exists for racemic ketamine; the effect-site curve uses an assumed "
    "ke0 of {ke0:g} /min and is illustrative."
)
"""Printed by the CLI and the TCI wherever an effect-site concentration is shown."""

FORCED_OUTSIDE_POPULATION_WARNING: Final = (
    "Forced outside the model's population: {reason} Predictions are extrapolated."
)
UNVERIFIED_PARAMETERS_WARNING: Final = (
    "{model}: parameters are not verified against the paper ({status})."
)


# --------------------------------------------------------------------------------------
# Parameter sets
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MicroConstants:
    """One patient's central volume and rate constants (per minute).

    Parameters
    ----------
    v1_l : float
        Central volume, L.
    k10_per_min, k12_per_min, k13_per_min, k21_per_min, k31_per_min : float
        First-order rate constants, 1/min. Absent compartments have zero constants.
    compartment_count : int
        1, 2 or 3.
    """

    v1_l: float
    k10_per_min: float
    k12_per_min: float
    k13_per_min: float
    k21_per_min: float
    k31_per_min: float
    compartment_count: int

    @property
    def volumes_l(self) -> tuple[float, ...]:
        """Compartment volumes, L: V1, then V2 = V1 k12/k21 and V3 = V1 k13/k31."""
        volumes = [self.v1_l]
        if self.compartment_count >= 2:
            volumes.append(self.v1_l * self.k12_per_min / self.k21_per_min)
        if self.compartment_count == 3:
            volumes.append(self.v1_l * self.k13_per_min / self.k31_per_min)
        return tuple(volumes)

    @property
    def clearance_l_per_min(self) -> float:
        """Elimination clearance CL = k10 V1, L/min."""
        return self.k10_per_min * self.v1_l


def _compartments_from_constants(where: str, k12: float, k13: float, k21: float, k31: float) -> int:
    for name, value in (("k12_per_min", k12), ("k13_per_min", k13)):
        if not math.isfinite(value) or value < 0:
            raise InvalidModel(f"{where}.{name}", "must be a finite number >= 0")
    for name, value in (("k21_per_min", k21), ("k31_per_min", k31)):
        if not math.isfinite(value) or value < 0:
            raise InvalidModel(f"{where}.{name}", "must be a finite number >= 0")
    if (k12 > 0) != (k21 > 0):
        raise InvalidModel(f"{where}.k21_per_min", "k12 and k21 must both be zero or both > 0")
    if (k13 > 0) != (k31 > 0):
        raise InvalidModel(f"{where}.k31_per_min", "k13 and k31 must both be zero or both > 0")
    if k13 > 0 and k12 == 0:
        raise InvalidModel(f"{where}.k12_per_min", "a third compartment needs a second")
    return 1 + (k12 > 0) + (k13 > 0)


@dataclass(frozen=True, slots=True)
class RateConstantParameters:
    """A model published as V1 per kg and weight-independent rate constants.

    ``V1 = v1_l_per_kg * weight_kg``; the rate constants do not change with weight, so
    every volume and clearance is linear in weight (Domino, Clements, Hijazi, Marsh).
    """

    v1_l_per_kg: float
    k10_per_min: float
    k12_per_min: float = 0.0
    k13_per_min: float = 0.0
    k21_per_min: float = 0.0
    k31_per_min: float = 0.0

    def __post_init__(self) -> None:
        for name in ("v1_l_per_kg", "k10_per_min"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise InvalidModel(name, "must be a finite number > 0")
        _compartments_from_constants(
            "parameters", self.k12_per_min, self.k13_per_min, self.k21_per_min, self.k31_per_min
        )

    def scaled(self, weight_kg: float) -> MicroConstants:
        """Return the constants for a patient of ``weight_kg``."""
        return MicroConstants(
            v1_l=self.v1_l_per_kg * weight_kg,
            k10_per_min=self.k10_per_min,
            k12_per_min=self.k12_per_min,
            k13_per_min=self.k13_per_min,
            k21_per_min=self.k21_per_min,
            k31_per_min=self.k31_per_min,
            compartment_count=_compartments_from_constants(
                "parameters",
                self.k12_per_min,
                self.k13_per_min,
                self.k21_per_min,
                self.k31_per_min,
            ),
        )


@dataclass(frozen=True, slots=True)
class ClearanceParameters:
    """A model published as volumes and clearances at a reference weight.

    For a patient of weight W: ``V = V_ref (W/W_ref)**volume_exponent`` and
    ``CL = CL_ref (W/W_ref)**clearance_exponent`` (allometric scaling; 1 and 0.75 by
    default). Then ``k10 = CL/V1``, ``k12 = Q2/V1``, ``k21 = Q2/V2``, and so on.
    """

    v1_l: float
    cl_l_per_min: float
    v2_l: float | None = None
    q2_l_per_min: float | None = None
    v3_l: float | None = None
    q3_l_per_min: float | None = None
    reference_weight_kg: float = 70.0
    volume_exponent: float = 1.0
    clearance_exponent: float = 0.75

    def __post_init__(self) -> None:
        for name in ("v1_l", "cl_l_per_min", "reference_weight_kg"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise InvalidModel(name, "must be a finite number > 0")
        for v_name, q_name in (("v2_l", "q2_l_per_min"), ("v3_l", "q3_l_per_min")):
            v, q = getattr(self, v_name), getattr(self, q_name)
            if (v is None) != (q is None):
                raise InvalidModel(q_name, f"{v_name} and {q_name} must be given together")
            if v is not None and (not math.isfinite(v) or v <= 0 or not math.isfinite(q) or q <= 0):
                raise InvalidModel(v_name, f"{v_name} and {q_name} must be finite numbers > 0")
        if self.v3_l is not None and self.v2_l is None:
            raise InvalidModel("v2_l", "a third compartment needs a second")

    def scaled(self, weight_kg: float) -> MicroConstants:
        """Return the constants for a patient of ``weight_kg``."""
        ratio = weight_kg / self.reference_weight_kg
        fv = ratio**self.volume_exponent
        fc = ratio**self.clearance_exponent
        v1 = self.v1_l * fv
        k12 = k21 = k13 = k31 = 0.0
        count = 1
        if self.v2_l is not None and self.q2_l_per_min is not None:
            k12 = self.q2_l_per_min * fc / v1
            k21 = self.q2_l_per_min * fc / (self.v2_l * fv)
            count = 2
        if self.v3_l is not None and self.q3_l_per_min is not None:
            k13 = self.q3_l_per_min * fc / v1
            k31 = self.q3_l_per_min * fc / (self.v3_l * fv)
            count = 3
        return MicroConstants(
            v1_l=v1,
            k10_per_min=self.cl_l_per_min * fc / v1,
            k12_per_min=k12,
            k13_per_min=k13,
            k21_per_min=k21,
            k31_per_min=k31,
            compartment_count=count,
        )


@dataclass(frozen=True, slots=True)
class MetaboliteChain:
    """A metabolite formed from the parent's elimination through transit compartments.

    All of the parent's clearance (k10 A1) enters a chain of ``transit_compartments``
    compartments, each draining at ``transit_compartments / mean_transit_time_min``; a
    fraction ``fraction_formed`` of what leaves the chain enters the metabolite's central
    compartment, the rest is lost. The metabolite has two compartments and is eliminated
    by ``cl_l_per_min``. Volumes and clearances are at ``reference_weight_kg`` and scale
    like the parent's (:class:`ClearanceParameters`).

    Parameters
    ----------
    name : str
        Analyte, e.g. ``"S-norketamine"``.
    v1_l : float | None
        Metabolite central volume, L; ``None`` when it equals the parent's V1.
    molar_mass_ratio : float
        Metabolite over parent molar mass: states carry mg of parent equivalents, and the
        concentration is reported in ng/mL of the metabolite itself.
    """

    name: str
    fraction_formed: float
    transit_compartments: int
    mean_transit_time_min: float
    v1_l: float | None
    v2_l: float
    cl_l_per_min: float
    q_l_per_min: float
    molar_mass_ratio: float
    reference_weight_kg: float = 70.0
    volume_exponent: float = 1.0
    clearance_exponent: float = 0.75


@dataclass(frozen=True, slots=True)
class Population:
    """The population a model was fitted on, as the covariate ranges the check enforces.

    ``age_years`` is checked when given; when ``age_required`` (paediatric models) a
    missing age is refused too.
    """

    description: str
    weight_kg: tuple[float, float]
    age_years: tuple[float, float] | None = None
    age_required: bool = False


ADULT_POPULATION_WEIGHT_KG: Final = (30.0, 200.0)
ADULT_POPULATION_AGE_YEARS: Final = (18.0, 100.0)


# --------------------------------------------------------------------------------------
# System matrices (vectorised: parameter arrays broadcast over a leading patient axis)
# --------------------------------------------------------------------------------------


def mammillary_system_matrix_per_s(
    *,
    k10_per_min: ArrayLike,
    k12_per_min: ArrayLike = 0.0,
    k13_per_min: ArrayLike = 0.0,
    k21_per_min: ArrayLike = 0.0,
    k31_per_min: ArrayLike = 0.0,
    compartment_count: int = 3,
    ke0_per_min: ArrayLike | None = None,
) -> FloatArray:
    """Build the rate-constant matrix K (per second) of a mammillary model.

    Parameters
    ----------
    k10_per_min, k12_per_min, k13_per_min, k21_per_min, k31_per_min : float or array
        Rate constants, 1/min. Arrays broadcast together (shape ``S``), e.g. one value
        per sampled patient for a population simulation.
    compartment_count : int
        1, 2 or 3; constants of absent compartments are ignored.
    ke0_per_min : float or array, optional
        Effect-site equilibration rate constant, 1/min; adds the state ``Ae = Ce V1``.

    Returns
    -------
    ndarray, shape ``S + (n, n)``
        ``n = compartment_count + (ke0 is not None)``; states are amounts in mg.

    Notes
    -----
    dA1/dt = -(k10 + k12 + k13) A1 + k21 A2 + k31 A3 + u;  dA2/dt = k12 A1 - k21 A2;
    dA3/dt = k13 A1 - k31 A3;  dAe/dt = ke0 (A1 - Ae).

    Examples
    --------
    >>> mammillary_system_matrix_per_s(k10_per_min=0.6, compartment_count=1) * 60
    array([[-0.6]])
    """
    if compartment_count not in (1, 2, 3):
        raise InvalidModel("compartment_count", "must be 1, 2 or 3")
    arrays = [
        np.asarray(a, dtype=np.float64)
        for a in (k10_per_min, k12_per_min, k13_per_min, k21_per_min, k31_per_min)
    ]
    if ke0_per_min is not None:
        arrays.append(np.asarray(ke0_per_min, dtype=np.float64))
    arrays = list(np.broadcast_arrays(*arrays))
    shape = arrays[0].shape
    k10, k12, k13, k21, k31 = (a / S_PER_MIN for a in arrays[:5])
    n = compartment_count + (ke0_per_min is not None)
    k = np.zeros((*shape, n, n), dtype=np.float64)
    out = -k10
    if compartment_count >= 2:
        out = out - k12
        k[..., 1, 0] = k12
        k[..., 0, 1] = k21
        k[..., 1, 1] = -k21
    if compartment_count == 3:
        out = out - k13
        k[..., 2, 0] = k13
        k[..., 0, 2] = k31
        k[..., 2, 2] = -k31
    k[..., 0, 0] = out
    if ke0_per_min is not None:
        ke0 = arrays[5] / S_PER_MIN
        e = compartment_count
        k[..., e, 0] = ke0
        k[..., e, e] = -ke0
    return k


def _readonly(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a


# --------------------------------------------------------------------------------------
# A model instantiated for one patient
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PatientModel:
    """A model scaled to one patient: the linear system the solver integrates.

    ``dx/dt = system_matrix_per_s @ x + input_vector * u``, with x in mg (see the module
    docstring for the state layout) and u the infusion rate into the central compartment
    in mg/s. Concentrations are linear read-outs of the state: ``cp_mg_per_l = x @
    cp_readout_per_l`` (a weighting vector, 1/L).

    Attributes
    ----------
    name, title, source : str
        Catalogue name (``"domino"``), display title, citation.
    weight_kg : float
    age_years : float | None
    micro : MicroConstants
        Scaled V1 and rate constants (per minute).
    compartment_count : int
    v1_l : float
    n_states : int
    system_matrix_per_s : ndarray, shape (n_states, n_states)
    input_vector : ndarray, shape (n_states,)
        1 at the central compartment: u in mg/s enters A1.
    ke0_per_min : float | None
    ke0_is_assumed : bool
    effect_site_index : int | None
    metabolite_name : str | None
    metabolite_indices : tuple[int, ...]
        Transit states, then metabolite central and peripheral.
    metabolite_central_index : int | None
    warnings : tuple[str, ...]
        Everything a user must read: forced population, unverified parameters, assumed
        ke0.
    """

    name: str
    title: str
    source: str
    weight_kg: float
    age_years: float | None
    micro: MicroConstants
    system_matrix_per_s: FloatArray
    input_vector: FloatArray
    cp_readout_per_l: FloatArray
    ce_readout_per_l: FloatArray | None
    metabolite_readout_per_l: FloatArray | None
    ke0_per_min: float | None
    ke0_is_assumed: bool
    effect_site_index: int | None
    metabolite_name: str | None
    metabolite_indices: tuple[int, ...]
    metabolite_central_index: int | None
    warnings: tuple[str, ...]

    @property
    def compartment_count(self) -> int:
        return self.micro.compartment_count

    @property
    def v1_l(self) -> float:
        return self.micro.v1_l

    @property
    def n_states(self) -> int:
        return int(self.system_matrix_per_s.shape[0])

    @property
    def compartment_indices(self) -> tuple[int, ...]:
        """Indices of the parent drug's compartments (the body's drug amount)."""
        return tuple(range(self.compartment_count))

    @property
    def ke0_warning(self) -> str | None:
        """The text to print next to any effect-site curve, or None without ke0."""
        if self.ke0_per_min is None or not self.ke0_is_assumed:
            return None
        return KE0_ASSUMED_WARNING.format(ke0=self.ke0_per_min)

    def cp_ng_per_ml(self, states_mg: FloatArray) -> FloatArray:
        """Plasma concentration, ng/mL, from states of shape ``(..., n_states)``."""
        return NG_PER_ML_PER_MG_PER_L * (states_mg @ self.cp_readout_per_l)

    def ce_ng_per_ml(self, states_mg: FloatArray) -> FloatArray | None:
        """Effect-site concentration, ng/mL, or None when the model has no ke0."""
        if self.ce_readout_per_l is None:
            return None
        return NG_PER_ML_PER_MG_PER_L * (states_mg @ self.ce_readout_per_l)

    def metabolite_ng_per_ml(self, states_mg: FloatArray) -> FloatArray | None:
        """Metabolite plasma concentration in ng/mL of the metabolite, or None."""
        if self.metabolite_readout_per_l is None:
            return None
        return NG_PER_ML_PER_MG_PER_L * (states_mg @ self.metabolite_readout_per_l)


# --------------------------------------------------------------------------------------
# Catalogue entries
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PKModel:
    """A published (or user-defined) model, independent of any patient.

    Attributes
    ----------
    name : str
        Catalogue key, lower case (``"domino"``).
    title : str
        Display name (``"Domino 1982"``).
    drug : str
    source : str
        Citation of the paper the parameters come from.
    parameter_status : str
        How far the parameters were checked (the reference's status column).
    verified : bool
        False adds a warning to every patient model.
    population : Population | None
        None: no population check (user-defined models without one).
    parameters : RateConstantParameters | ClearanceParameters
    ke0_per_min : float | None
    ke0_is_assumed : bool
        True when ke0 is not a measured value (every ketamine model here).
    ke0_source : str
    metabolite : MetaboliteChain | None
    notes : tuple[str, ...]
        Extra warnings copied to every patient model.
    """

    name: str
    title: str
    drug: str
    source: str
    parameter_status: str
    verified: bool
    population: Population | None
    parameters: RateConstantParameters | ClearanceParameters
    ke0_per_min: float | None = None
    ke0_is_assumed: bool = False
    ke0_source: str = ""
    metabolite: MetaboliteChain | None = None
    notes: tuple[str, ...] = field(default=())

    def check_population(
        self, *, weight_kg: float, age_years: float | None = None
    ) -> list[OutsideModelPopulation]:
        """Return every way the patient lies outside the model's population (may be empty)."""
        _check_physical(weight_kg, age_years)
        problems: list[OutsideModelPopulation] = []
        pop = self.population
        if pop is None:
            return problems
        low, high = pop.weight_kg
        if not low <= weight_kg <= high:
            problems.append(
                OutsideModelPopulation(
                    model=self.title,
                    covariate="weight_kg",
                    value=weight_kg,
                    low=low,
                    high=high,
                    unit="kg",
                    population=pop.description,
                )
            )
        if pop.age_years is not None:
            low, high = pop.age_years
            if age_years is None:
                if pop.age_required:
                    problems.append(
                        OutsideModelPopulation(
                            model=self.title,
                            covariate="age_years",
                            value=None,
                            low=low,
                            high=high,
                            unit="years",
                            population=pop.description,
                        )
                    )
            elif not low <= age_years <= high:
                problems.append(
                    OutsideModelPopulation(
                        model=self.title,
                        covariate="age_years",
                        value=age_years,
                        low=low,
                        high=high,
                        unit="years",
                        population=pop.description,
                    )
                )
        return problems

    def for_patient(
        self, *, weight_kg: float, age_years: float | None = None, force: bool = False
    ) -> PatientModel:
        """Scale the model to one patient.

        Parameters
        ----------
        weight_kg : float
            Total body weight measured for this visit, kg.
        age_years : float, optional
            Required by paediatric models (Herd); checked when given.
        force : bool
            Accept a patient outside the model's population; the refusal becomes a
            warning in :attr:`PatientModel.warnings`. Physically impossible values
            (non-finite, <= 0) are always refused.

        Returns
        -------
        PatientModel

        Raises
        ------
        OutsideModelPopulation
            The first covariate outside the model's range, unless ``force``.
        InvalidPatient
            ``weight_kg`` or ``age_years`` is not a finite positive number.

        Examples
        --------
        >>> m = get_model("domino").for_patient(weight_kg=70)
        >>> round(m.v1_l, 2)
        4.41
        """
        problems = self.check_population(weight_kg=weight_kg, age_years=age_years)
        warnings: list[str] = []
        if problems:
            if not force:
                raise problems[0]
            warnings.extend(
                FORCED_OUTSIDE_POPULATION_WARNING.format(reason=str(p)) for p in problems
            )
        if not self.verified:
            warnings.append(
                UNVERIFIED_PARAMETERS_WARNING.format(model=self.title, status=self.parameter_status)
            )
        warnings.extend(self.notes)
        if self.ke0_per_min is not None and self.ke0_is_assumed:
            warnings.append(KE0_ASSUMED_WARNING.format(ke0=self.ke0_per_min))
        return _build_patient_model(self, weight_kg, age_years, tuple(warnings))


def _check_physical(weight_kg: float, age_years: float | None) -> None:
    if not isinstance(weight_kg, (int, float)) or not math.isfinite(weight_kg) or weight_kg <= 0:
        raise InvalidPatient("weight_kg", "must be a finite number > 0")
    if age_years is not None and (
        not isinstance(age_years, (int, float)) or not math.isfinite(age_years) or age_years < 0
    ):
        raise InvalidPatient("age_years", "must be a finite number >= 0")


def _build_patient_model(
    model: PKModel, weight_kg: float, age_years: float | None, warnings: tuple[str, ...]
) -> PatientModel:
    micro = model.parameters.scaled(weight_kg)
    parent = mammillary_system_matrix_per_s(
        k10_per_min=micro.k10_per_min,
        k12_per_min=micro.k12_per_min,
        k13_per_min=micro.k13_per_min,
        k21_per_min=micro.k21_per_min,
        k31_per_min=micro.k31_per_min,
        compartment_count=micro.compartment_count,
        ke0_per_min=model.ke0_per_min,
    )
    n_parent = parent.shape[0]
    chain = model.metabolite
    n_chain = 0 if chain is None else chain.transit_compartments + 2
    n = n_parent + n_chain
    k = np.zeros((n, n))
    k[:n_parent, :n_parent] = parent

    cp = np.zeros(n)
    cp[0] = 1.0 / micro.v1_l
    ce: FloatArray | None = None
    effect_index: int | None = None
    if model.ke0_per_min is not None:
        effect_index = micro.compartment_count
        ce = np.zeros(n)
        ce[effect_index] = 1.0 / micro.v1_l

    metabolite_readout: FloatArray | None = None
    metabolite_indices: tuple[int, ...] = ()
    metabolite_central: int | None = None
    if chain is not None:
        ratio = weight_kg / chain.reference_weight_kg
        fv = ratio**chain.volume_exponent
        fc = ratio**chain.clearance_exponent
        vm1 = micro.v1_l if chain.v1_l is None else chain.v1_l * fv
        vm2 = chain.v2_l * fv
        kel_m = chain.cl_l_per_min * fc / vm1 / S_PER_MIN
        k12_m = chain.q_l_per_min * fc / vm1 / S_PER_MIN
        k21_m = chain.q_l_per_min * fc / vm2 / S_PER_MIN
        ktr = chain.transit_compartments / chain.mean_transit_time_min / S_PER_MIN
        first = n_parent
        # All of the parent's elimination enters the first transit compartment.
        k[first, 0] = micro.k10_per_min / S_PER_MIN
        for i in range(chain.transit_compartments):
            j = first + i
            k[j, j] = -ktr
            if i > 0:
                k[j, j - 1] = ktr
        c = first + chain.transit_compartments
        k[c, c - 1] = chain.fraction_formed * ktr
        k[c, c] = -(kel_m + k12_m)
        k[c, c + 1] = k21_m
        k[c + 1, c] = k12_m
        k[c + 1, c + 1] = -k21_m
        metabolite_indices = tuple(range(first, n))
        metabolite_central = c
        metabolite_readout = np.zeros(n)
        metabolite_readout[c] = chain.molar_mass_ratio / vm1

    b = np.zeros(n)
    b[0] = 1.0
    return PatientModel(
        name=model.name,
        title=model.title,
        source=model.source,
        weight_kg=float(weight_kg),
        age_years=None if age_years is None else float(age_years),
        micro=micro,
        system_matrix_per_s=_readonly(k),
        input_vector=_readonly(b),
        cp_readout_per_l=_readonly(cp),
        ce_readout_per_l=None if ce is None else _readonly(ce),
        metabolite_readout_per_l=None
        if metabolite_readout is None
        else _readonly(metabolite_readout),
        ke0_per_min=model.ke0_per_min,
        ke0_is_assumed=model.ke0_is_assumed,
        effect_site_index=effect_index,
        metabolite_name=None if chain is None else chain.name,
        metabolite_indices=metabolite_indices,
        metabolite_central_index=metabolite_central,
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------
# User-defined models
# --------------------------------------------------------------------------------------


def model_from_rate_constants(
    *,
    name: str,
    v1_l_per_kg: float,
    k10_per_min: float,
    k12_per_min: float = 0.0,
    k13_per_min: float = 0.0,
    k21_per_min: float = 0.0,
    k31_per_min: float = 0.0,
    ke0_per_min: float | None = None,
    drug: str = "",
    source: str = "user-defined",
    population: Population | None = None,
) -> PKModel:
    """Define a model from V1 per kg and rate constants (weight-linear).

    A user-defined model is taken as given: it is marked verified, its ke0 as measured,
    and it has no population check unless ``population`` is passed.

    Examples
    --------
    Marsh's propofol model (Marsh B et al., Br J Anaesth 1991;67:41-48):

    >>> marsh = model_from_rate_constants(
    ...     name="marsh", v1_l_per_kg=0.228, k10_per_min=0.119, k12_per_min=0.112,
    ...     k13_per_min=0.0419, k21_per_min=0.055, k31_per_min=0.0033, ke0_per_min=0.26,
    ...     drug="propofol", source="Marsh B et al. Br J Anaesth 1991;67:41-48")
    >>> round(marsh.for_patient(weight_kg=70).v1_l, 2)
    15.96
    """
    parameters = RateConstantParameters(
        v1_l_per_kg=v1_l_per_kg,
        k10_per_min=k10_per_min,
        k12_per_min=k12_per_min,
        k13_per_min=k13_per_min,
        k21_per_min=k21_per_min,
        k31_per_min=k31_per_min,
    )
    return _user_defined(name, drug, source, population, parameters, ke0_per_min)


def model_from_clearances(
    *,
    name: str,
    v1_l: float,
    cl_l_per_min: float,
    v2_l: float | None = None,
    q2_l_per_min: float | None = None,
    v3_l: float | None = None,
    q3_l_per_min: float | None = None,
    reference_weight_kg: float = 70.0,
    volume_exponent: float = 1.0,
    clearance_exponent: float = 0.75,
    ke0_per_min: float | None = None,
    drug: str = "",
    source: str = "user-defined",
    population: Population | None = None,
) -> PKModel:
    """Define a model from volumes and clearances at a reference weight (allometric)."""
    parameters = ClearanceParameters(
        v1_l=v1_l,
        cl_l_per_min=cl_l_per_min,
        v2_l=v2_l,
        q2_l_per_min=q2_l_per_min,
        v3_l=v3_l,
        q3_l_per_min=q3_l_per_min,
        reference_weight_kg=reference_weight_kg,
        volume_exponent=volume_exponent,
        clearance_exponent=clearance_exponent,
    )
    return _user_defined(name, drug, source, population, parameters, ke0_per_min)


def _user_defined(
    name: str,
    drug: str,
    source: str,
    population: Population | None,
    parameters: RateConstantParameters | ClearanceParameters,
    ke0_per_min: float | None,
) -> PKModel:
    """A model taken as given: marked verified, ke0 as measured, checked only if asked."""
    return PKModel(
        name=name,
        title=name,
        drug=drug,
        source=source,
        parameter_status="user-defined",
        verified=True,
        population=population,
        parameters=parameters,
        ke0_per_min=ke0_per_min,
    )


# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------
#
# ke0. No measured ke0 exists for racemic ketamine (reference, "ke0"): STANPUMP's DRUGS.C
# sets k41 = 10 /min with the comment "no idea", and values in use range 0.086-10 /min.
# We follow opentiva 1.1.2 (opentiva/ketamine.py), which derives each model's ke0 from an
# assumed time to peak effect-site concentration of 1 min after a bolus ("from tpeak 1
# min"): Domino 0.652, Clements 5.2, Hijazi 4.773, Herd 2.995 /min. For Kamp 2020 and
# Simons 2022, which opentiva lacks, we computed ke0 by the same rule at 70 kg (2.79 and
# 1.93 /min); the tests check that each value gives a peak at about 60 s. The rule is a convention, not a
# measurement: every patient model carries KE0_ASSUMED_WARNING.

_KE0_TPEAK_SOURCE: Final = (
    "assumed: time to peak effect-site concentration 1 min after a bolus, the rule "
    "opentiva 1.1.2 uses (opentiva/ketamine.py)"
)

DOMINO: Final = PKModel(
    name="domino",
    title="Domino 1982",
    drug="racemic ketamine",
    source=(
        "Domino EF et al. (the citation is inconsistent: opentiva 1.1.2 cites PMID 7198883, "
        "a 1982 paper; others cite Domino EF, Domino SE, Smith RE, et al. Ketamine kinetics "
        "in unmedicated and diazepam-premedicated subjects. Clin Pharmacol Ther "
        "1984;36:645-653); parameters as in STANPUMP DRUGS.C"
    ),
    parameter_status=(
        "parameters agree across STANPUMP DRUGS.C, stanpumpR and opentiva; not checked "
        "against the paper itself"
    ),
    verified=True,
    population=Population(
        description="adults, racemic ketamine, venous sampling",
        weight_kg=ADULT_POPULATION_WEIGHT_KG,
        age_years=ADULT_POPULATION_AGE_YEARS,
    ),
    parameters=RateConstantParameters(
        v1_l_per_kg=0.063,
        k10_per_min=0.438,
        k12_per_min=0.592,
        k13_per_min=0.590,
        k21_per_min=0.247,
        k31_per_min=0.0146,
    ),
    ke0_per_min=0.652,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE,
)
"""Domino: three compartments, weight-linear; the clinic's default model.

Source: Domino et al.; the citation is inconsistent (opentiva cites PMID 7198883, a 1982
paper; others Clin Pharmacol Ther 1984;36:645). Parameters agree across STANPUMP DRUGS.C, stanpumpR and
opentiva (V1 0.063 L/kg; k10 0.438, k12 0.592, k13 0.590, k21 0.247, k31 0.0146 /min);
not checked against the paper. Population: adults. ke0 0.652 /min is assumed (opentiva).
"""

CLEMENTS: Final = PKModel(
    name="clements",
    title="Clements & Nimmo 1981",
    drug="racemic ketamine",
    source=(
        "Clements JA, Nimmo WS. Pharmacokinetics and analgesic effect of ketamine in man. "
        "Br J Anaesth 1981;53:27-30 (doi:10.1093/bja/53.1.27)"
    ),
    parameter_status="from opentiva only: unverified against the paper",
    verified=False,
    population=Population(
        description="adult volunteers, 250 ug/kg bolus",
        weight_kg=ADULT_POPULATION_WEIGHT_KG,
        age_years=ADULT_POPULATION_AGE_YEARS,
    ),
    parameters=RateConstantParameters(
        v1_l_per_kg=1.7522, k10_per_min=0.0109, k12_per_min=0.0186, k21_per_min=0.0137
    ),
    ke0_per_min=5.2,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE,
)
"""Clements & Nimmo: two compartments, weight-linear (BJA 1981;53:27).

Parameters from opentiva only, unverified against the paper (V1 1.7522 L/kg; k10 0.0109,
k12 0.0186, k21 0.0137 /min). Population: adult volunteers. ke0 5.2 /min assumed.
"""

HIJAZI: Final = PKModel(
    name="hijazi",
    title="Hijazi 2003",
    drug="racemic ketamine",
    source=(
        "Hijazi Y, Bodonian C, Bolon M, et al. Pharmacokinetics and haemodynamics of "
        "ketamine in intensive care patients with brain or spinal cord injury. Br J Anaesth "
        "2003;90:155-160 (doi:10.1093/bja/aeg028)"
    ),
    parameter_status=(
        "from opentiva; consistent with the paper's CL (36 mL/min/kg) and t1/2 (4.9 h)"
    ),
    verified=True,
    population=Population(
        description="12 adult intensive-care patients",
        weight_kg=ADULT_POPULATION_WEIGHT_KG,
        age_years=ADULT_POPULATION_AGE_YEARS,
    ),
    parameters=RateConstantParameters(
        v1_l_per_kg=1.08, k10_per_min=0.0333, k12_per_min=0.0088, k21_per_min=0.0030
    ),
    ke0_per_min=4.773,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE,
)
"""Hijazi: two compartments, weight-linear (BJA 2003;90:155).

Parameters from opentiva (V1 1.08 L/kg; k10 0.0333, k12 0.0088, k21 0.0030 /min),
consistent with the paper's clearance and half-life. Population: adult ICU patients.
ke0 4.773 /min assumed.
"""

HERD: Final = PKModel(
    name="herd",
    title="Herd 2007",
    drug="racemic ketamine",
    source=(
        "Herd DW, Anderson BJ. Ketamine disposition in children presenting for procedural "
        "sedation and analgesia in a children's emergency department. Paediatr Anaesth "
        "2007;17:622-629 (doi:10.1111/j.1460-9592.2006.02145.x)"
    ),
    parameter_status="verified from the abstract",
    verified=True,
    population=Population(
        description="54 children; ranges as in opentiva (1-14 years, 10.8-74.8 kg)",
        weight_kg=(10.8, 74.8),
        age_years=(1.0, 14.0),
        age_required=True,
    ),
    parameters=ClearanceParameters(
        v1_l=38.7,
        v2_l=102.0,
        cl_l_per_min=90.0 / 60.0,  # 90 L/h
        q2_l_per_min=215.0 / 60.0,  # 215 L/h
    ),
    ke0_per_min=2.995,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE,
)
"""Herd: two compartments per 70 kg, CL and Q x (W/70)^0.75, volumes linear (paediatric).

Verified from the abstract (V1 38.7 L, V2 102 L, CL 90 L/h, Q 215 L/h per 70 kg).
Population: children, 1-14 years; adults are refused unless ``force=True``. ke0 2.995
/min assumed (opentiva; it gives a peak at about 60 s for a 20 kg child).
"""

KAMP: Final = PKModel(
    name="kamp",
    title="Kamp 2020",
    drug="racemic ketamine",
    source=(
        "Kamp J, van Velzen M, Olofsen E, et al. Ketamine pharmacokinetics: a systematic "
        "review of the literature, meta-analysis, and population analysis. "
        "Anesthesiology 2020;133:1192-1213 (doi:10.1097/ALN.0000000000003577)"
    ),
    parameter_status="from opentiva only: unverified (venous-delay compartments dropped)",
    verified=False,
    population=Population(
        description="adults in a meta-analysis of 14 datasets",
        weight_kg=ADULT_POPULATION_WEIGHT_KG,
        age_years=ADULT_POPULATION_AGE_YEARS,
    ),
    parameters=ClearanceParameters(
        v1_l=25.0,
        v2_l=56.0,
        v3_l=157.0,
        cl_l_per_min=84.0 / 60.0,  # 84 L/h
        q2_l_per_min=161.0 / 60.0,  # 161 L/h
        q3_l_per_min=79.0 / 60.0,  # 79 L/h
        # opentiva 1.1.2 (ketamine.Klamp) scales every volume and clearance by W/70.
        clearance_exponent=1.0,
    ),
    ke0_per_min=2.79,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE + "; computed here for 70 kg",
    notes=(
        "Kamp 2020: parameters and their linear weight scaling (W/70 for every volume and "
        "clearance) are taken from opentiva 1.1.2 and have not been checked against the "
        "paper.",
    ),
)
"""Kamp 2020: three compartments at 70 kg (Anesthesiology 2020;133:1192). UNVERIFIED.

Parameters from opentiva only (V1 25, V2 56, V3 157 L; CL 84, Q2 161, Q3 79 L/h), with the
paper's venous-delay compartments dropped. Weight scaling as in opentiva (``Klamp``
class): every volume and clearance x W/70, so the rate constants do not change with
weight; unverified against the paper, and said so in a warning. ke0 assumed.
"""

SIMONS: Final = PKModel(
    name="simons",
    title="Simons 2022 (S-ketamine)",
    drug="S-ketamine",
    source=(
        "Simons P, Olofsen E, van Velzen M, et al. S-Ketamine oral thin film - part 1: "
        "population pharmacokinetics of S-ketamine, S-norketamine and "
        "S-hydroxynorketamine. Front Pain Res 2022;3:946486 "
        "(doi:10.3389/fpain.2022.946486); structure as in nlmixr2lib "
        "inst/modeldb Simons_2022_s_ketamine.R"
    ),
    parameter_status="from the nlmixr2lib model file (Table 4 of the paper); S-enantiomer only",
    verified=True,
    population=Population(
        description=(
            "20 healthy adult volunteers (19-32 years, 53-93 kg), arterial sampling; "
            "checked against adult ranges"
        ),
        weight_kg=ADULT_POPULATION_WEIGHT_KG,
        age_years=ADULT_POPULATION_AGE_YEARS,
    ),
    parameters=ClearanceParameters(
        v1_l=11.6,
        v2_l=39.0,
        v3_l=174.0,
        cl_l_per_min=1.48,
        q2_l_per_min=2.43,
        q3_l_per_min=1.21,
    ),
    ke0_per_min=1.93,
    ke0_is_assumed=True,
    ke0_source=_KE0_TPEAK_SOURCE + "; computed here for 70 kg",
    metabolite=MetaboliteChain(
        name="S-norketamine",
        fraction_formed=0.8,
        transit_compartments=2,
        mean_transit_time_min=20.1,
        v1_l=None,  # VN1 = VK1 (Simons 2022 Figure 2)
        v2_l=221.0,
        cl_l_per_min=1.00,
        q_l_per_min=2.63,
        molar_mass_ratio=NORKETAMINE_G_PER_MOL / KETAMINE_G_PER_MOL,
    ),
    notes=(
        "Simons 2022 models S-ketamine (the S-enantiomer) given as S-ketamine; it does "
        "not describe racemic ketamine.",
    ),
)
"""Simons 2022: S-ketamine, three compartments, with the S-norketamine chain.

At 70 kg (Table 4 via nlmixr2lib): V1 11.6, V2 39.0, V3 174 L; CL 1.48, Q2 2.43, Q3 1.21
L/min; scaled (W/70)^0.75 for clearances and W/70 for volumes (the paper prints the
values "@ 70 kg" without exponents; nlmixr2lib assumes the standard ones, as we do).

What we found in the nlmixr2lib model file (``Simons_2022_s_ketamine.R``): all of
S-ketamine's clearance CLK1 enters a metabolism delay chain of TWO transit compartments
whose total mean transit time is 20.1 min (each drains at 2/MTT); 80% (fixed) of what
leaves the chain forms S-norketamine, 20% is lost. S-norketamine has two compartments:
VN1 = VK1 (shared central volume), VN2 221 L, CLN1 1.00 L/min, CLN2 (Q) 2.63 L/min. The
file continues to S-hydroxynorketamine (70% of CLN1 through a second chain); we stop at
norketamine. States carry mg of S-ketamine equivalents (moles conserved); the reported
metabolite concentration is in ng/mL of norketamine (x 223.70/237.73).
ke0 assumed (tpeak 1 min rule); there is no measured S-ketamine ke0 in this model.
"""

DEFAULT_MODEL_NAME: Final = "domino"

CATALOGUE: Final[tuple[PKModel, ...]] = (DOMINO, CLEMENTS, HIJAZI, HERD, KAMP, SIMONS)

MARSH_PROPOFOL: Final = model_from_rate_constants(
    name="marsh",
    v1_l_per_kg=0.228,
    k10_per_min=0.119,
    k12_per_min=0.112,
    k13_per_min=0.0419,
    k21_per_min=0.055,
    k31_per_min=0.0033,
    ke0_per_min=0.26,
    drug="propofol",
    source="Marsh B, White M, Morton N, Kenny GN. Br J Anaesth 1991;67:41-48",
)
"""Marsh propofol, built through the user-defined path, for comparison runs.

Marsh 1991 (BJA 67:41): V1 0.228 L/kg; k10 0.119, k12 0.112, k13 0.0419, k21 0.055,
k31 0.0033 /min; ke0 0.26 /min. Not in :data:`CATALOGUE` (not ketamine).
"""


def list_models() -> tuple[PKModel, ...]:
    """Return the ketamine models of the catalogue, the default (Domino) first."""
    return CATALOGUE


def get_model(name: str = DEFAULT_MODEL_NAME) -> PKModel:
    """Look a model up by name (case-insensitive); the default is Domino.

    Raises
    ------
    UnknownModel
        No model has that name.
    """
    key = name.strip().lower()
    for model in CATALOGUE:
        if model.name == key:
            return model
    raise UnknownModel(name, tuple(m.name for m in CATALOGUE))


def stack_system_matrices(models: Sequence[PatientModel]) -> FloatArray:
    """Stack the system matrices of patient models of one structure: (P, n, n)."""
    return np.stack([m.system_matrix_per_s for m in models])
