"""Population simulation: exactness, reductions, warnings and refusals.

References used here:
- Each simulated patient is checked against scipy.integrate.solve_ivp (Radau, exact
  Jacobian, rtol 1e-11, atol 1e-14 mg), restarted at every rate change and bolus, on an
  ODE written out by hand from that patient's sampled volumes and clearances (not from
  the library's matrix builder).
- With every omega^2 = 0, each patient must equal the single-patient solver
  (:func:`simulate`), itself tested against solve_ivp in test_solver.py.
- Percentiles and exceedance fractions are checked against numpy (np.percentile,
  comparisons) over the kept concentrations.
Percentiles are computed from float32 copies (rounding 6e-8 relative): rtol 1e-6.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import numpy.typing as npt
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import solve_ivp

from ketamine_clinic.pharmacology import (
    population,
    population_kernel,
    population_sampling,
    variability,
)
from ketamine_clinic.pharmacology.errors import (
    InvalidPatient,
    InvalidPopulationRequest,
    InvalidTimeGrid,
    OutsideModelPopulation,
    PharmacologyError,
)
from ketamine_clinic.pharmacology.models import (
    HERD,
    get_model,
    list_models,
    mammillary_system_matrix_per_s,
    model_from_rate_constants,
)
from ketamine_clinic.pharmacology.population import simulate_population
from ketamine_clinic.pharmacology.population_sampling import SampledParameters, sample_parameters
from ketamine_clinic.pharmacology.program import InfusionProgram, constant_infusion
from ketamine_clinic.pharmacology.solver import simulate, simulate_many
from ketamine_clinic.pharmacology.variability import (
    Variability,
)

FloatArray = npt.NDArray[np.float64]

NO_VARIABILITY = Variability(source="none (test)", is_published=False)
PROGRAM = constant_infusion(35.0, 55 * 60)  # the clinic's 0.5 mg/kg over 55 min, 70 kg
GRID_S = np.arange(0.0, 3 * 3600.0 + 1, 60.0)
ASSUMPTION_TEXT = "This is an assumption, not a published value."


# Exactness
# --------------------------------------------------------------------------------------


def _hand_written_reference(
    s: SampledParameters, i: int, program: InfusionProgram, t_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Cp and Ce (ng/mL) of patient i by solve_ivp of the mass balances in L and L/min."""
    v1 = float(s.v1_l[i])
    cl = float(s.cl_l_per_min[i])
    v2 = 1.0 if s.v2_l is None else float(s.v2_l[i])
    q2 = 0.0 if s.q2_l_per_min is None else float(s.q2_l_per_min[i])
    v3 = 1.0 if s.v3_l is None else float(s.v3_l[i])
    q3 = 0.0 if s.q3_l_per_min is None else float(s.q3_l_per_min[i])
    ke0 = 0.0 if s.ke0_per_min is None else s.ke0_per_min
    # States: A1, A2, A3 (mg), Ce (mg/L); time in s, clearances converted from per min.
    jac = (
        np.array(
            [
                [-(cl + q2 + q3) / v1, q2 / v2, q3 / v3, 0.0],
                [q2 / v1, -q2 / v2, 0.0, 0.0],
                [q3 / v1, 0.0, -q3 / v3, 0.0],
                [ke0 / v1, 0.0, 0.0, -ke0],
            ]
        )
        / 60.0
    )
    starts = sorted({0.0, *program.rate_change_times_s, *program.bolus_times_s})
    ts, inverse = np.unique(t_s, return_inverse=True)  # solve_ivp wants strictly sorted
    out = np.empty((ts.size, 4))
    x = np.zeros(4)
    for j, start in enumerate(starts):
        end = starts[j + 1] if j + 1 < len(starts) else max(float(ts[-1]), start) + 1.0
        if start in program.bolus_times_s:
            x[0] += program.boluses_mg[program.bolus_times_s.index(start)]
        u = program.rate_mg_per_h_at(start) / 3600.0
        mask = (ts >= start) & (ts < end)

        def rhs(_t: float, y: FloatArray, u: float = u) -> FloatArray:
            return np.asarray(jac @ y + np.array([u, 0.0, 0.0, 0.0]), dtype=np.float64)

        inside = ts[mask]
        sol = solve_ivp(
            rhs,
            (start, end),
            x,
            method="Radau",
            jac=lambda _t, _y: jac,
            rtol=1e-11,
            atol=1e-14,
            t_eval=np.append(inside[inside < end], end),  # the segment's end starts the next
        )
        out[mask] = sol.y.T[: inside.size]
        x = sol.y[:, -1].copy()
    states = out[inverse]
    return states[:, 0] / v1 * 1000.0, states[:, 3] * 1000.0


@pytest.mark.parametrize(
    ("name", "weight_kg", "age"), [("domino", 70.0, 40.0), ("herd", 25.0, 8.0)]
)
def test_each_patient_matches_solve_ivp_of_its_own_sampled_parameters(
    name: str, weight_kg: float, age: float
) -> None:
    model = get_model(name)
    # A bolus, a rate change and a stop; an unsorted, non-uniform grid with a repeat.
    program = InfusionProgram((0.0, 600.0, 3300.0), (20.0, 45.0, 0.0), (300.0,), (5.0,))
    t_s = np.array([7200.0, 0.0, 1.0, 299.0, 300.0, 450.5, 600.0, 3300.0, 3301.0, 450.5])
    pop = simulate_population(
        model,
        program,
        t_s,
        n_patients=5,
        weight_kg=weight_kg,
        age_years=age,
        seed=2024,
        percentiles=(0, 25, 50, 75, 100),  # with 5 patients: the order statistics
        keep_concentrations=True,
    )
    s = sample_parameters(model, n_patients=5, weight_kg=weight_kg, seed=2024)
    assert pop.cp_ng_per_ml is not None
    ce_all = np.empty((5, t_s.size))
    for i in range(5):
        cp_ref, ce_ref = _hand_written_reference(s, i, program, t_s)
        assert_allclose(pop.cp_ng_per_ml[i], cp_ref, rtol=1e-6, atol=1e-9)
        ce_all[i] = ce_ref
    assert pop.ce_percentiles_ng_per_ml is not None
    assert_allclose(pop.ce_percentiles_ng_per_ml, np.sort(ce_all, axis=0), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", [m.name for m in list_models()])
def test_without_variability_every_patient_is_the_typical_patient(name: str) -> None:
    model = get_model(name)
    weight, age = (25.0, 8.0) if name == "herd" else (70.0, 40.0)
    typical = simulate(model.for_patient(weight_kg=weight, age_years=age), PROGRAM, GRID_S)
    pop = simulate_population(
        model,
        PROGRAM,
        GRID_S,
        n_patients=7,
        weight_kg=weight,
        age_years=age,
        variability=NO_VARIABILITY,
        keep_concentrations=True,
    )
    assert pop.cp_ng_per_ml is not None
    assert_allclose(
        pop.cp_ng_per_ml,
        np.broadcast_to(typical.cp_ng_per_ml, (7, GRID_S.size)),
        rtol=1e-9,
        atol=1e-12,
    )
    for band in pop.cp_percentiles_ng_per_ml:
        assert_allclose(band, typical.cp_ng_per_ml, rtol=1e-6, atol=1e-9)
    assert pop.ce_percentiles_ng_per_ml is not None and typical.ce_ng_per_ml is not None
    for band in pop.ce_percentiles_ng_per_ml:
        assert_allclose(band, typical.ce_ng_per_ml, rtol=1e-6, atol=1e-9)


def test_the_kernel_agrees_with_simulate_many_for_a_varied_population() -> None:
    model = get_model("kamp")
    s = sample_parameters(model, n_patients=300, weight_kg=85.0, seed=5)
    k = mammillary_system_matrix_per_s(
        k10_per_min=s.k10_per_min,
        k12_per_min=s.k12_per_min,
        k13_per_min=s.k13_per_min,
        k21_per_min=s.k21_per_min,
        k31_per_min=s.k31_per_min,
        compartment_count=3,
    )
    readout = np.zeros((300, 3))
    readout[:, 0] = 1.0 / s.v1_l
    expected = simulate_many(k, np.array([1.0, 0.0, 0.0]), readout, PROGRAM, GRID_S) * 1000
    pop = simulate_population(
        model, PROGRAM, GRID_S, n_patients=300, weight_kg=85.0, seed=5, keep_concentrations=True
    )
    assert pop.cp_ng_per_ml is not None
    assert_allclose(pop.cp_ng_per_ml, expected, rtol=1e-9, atol=1e-12)


def test_patients_with_an_unsafe_eigen_decomposition_take_the_exact_path() -> None:
    # One compartment with ke0 = k10: K has a repeated eigenvalue, so no eigenvector basis;
    # every patient must go through the solver's expm path and still be exact.
    model = model_from_rate_constants(
        name="degenerate", v1_l_per_kg=0.2, k10_per_min=0.5, ke0_per_min=0.5
    )
    typical = simulate(model.for_patient(weight_kg=70.0), PROGRAM, GRID_S)
    pop = simulate_population(
        model,
        PROGRAM,
        GRID_S,
        n_patients=3,
        weight_kg=70.0,
        variability=NO_VARIABILITY,
        keep_concentrations=True,
    )
    assert pop.cp_ng_per_ml is not None and pop.ce_percentiles_ng_per_ml is not None
    assert typical.ce_ng_per_ml is not None
    assert_allclose(pop.cp_ng_per_ml[1], typical.cp_ng_per_ml, rtol=1e-9, atol=1e-12)
    assert_allclose(pop.ce_percentiles_ng_per_ml[2], typical.ce_ng_per_ml, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------


def test_bands_thresholds_and_kept_concentrations_agree() -> None:
    thresholds = (50.0, 150.0, 250.0)
    q = (2.5, 5, 25, 50, 75, 95, 97.5)
    pop = simulate_population(
        get_model("domino"),
        PROGRAM,
        GRID_S,
        n_patients=3001,
        weight_kg=70.0,
        seed=9,
        percentiles=q,
        thresholds_ng_per_ml=thresholds,
        keep_concentrations=True,
    )
    cp = pop.cp_ng_per_ml
    assert cp is not None and cp.shape == (3001, GRID_S.size)
    assert pop.cp_percentiles_ng_per_ml.shape == (len(q), GRID_S.size)
    assert_allclose(
        pop.cp_percentiles_ng_per_ml, np.percentile(cp, q, axis=0), rtol=1e-6, atol=1e-9
    )
    for i, threshold in enumerate(thresholds):
        assert_array_equal(pop.fraction_above_ng_per_ml[i], np.mean(cp > threshold, axis=0))
        assert pop.fraction_ever_above[i] == np.mean(cp.max(axis=1) > threshold)
        assert_array_equal(pop.probability_exceeding(threshold), pop.fraction_above_ng_per_ml[i])
    assert_array_equal(pop.probability_exceeding(200.0), np.mean(cp > 200.0, axis=0))
    # The sanity figure of the reference: Domino, 0.5 mg/kg over 55 min, ~188 ng/mL at
    # the end of the infusion for the typical patient; the ever-above fractions fall
    # with the threshold.
    assert pop.fraction_ever_above[0] > pop.fraction_ever_above[1] > pop.fraction_ever_above[2] > 0


def test_percentile_bands_are_ordered_and_the_median_follows_the_typical_patient() -> None:
    model = get_model("domino")
    pop = simulate_population(model, PROGRAM, GRID_S, n_patients=20_000, weight_kg=70.0, seed=1)
    bands = pop.cp_percentiles_ng_per_ml
    assert np.all(np.diff(bands, axis=0) >= 0)
    assert pop.ce_percentiles_ng_per_ml is not None
    assert np.all(np.diff(pop.ce_percentiles_ng_per_ml, axis=0) >= 0)
    typical = simulate(model.for_patient(weight_kg=70.0), PROGRAM, GRID_S).cp_ng_per_ml
    # Log-normal parameters with median theta: the median curve stays near the typical
    # one (seen within 4% after the first minutes; 10% allowed).
    late = GRID_S >= 300
    assert_allclose(bands[2, late], typical[late], rtol=0.10)
    # At the end of the infusion (55 min) the typical Cp is ~188 ng/mL (reference).
    end = int(np.flatnonzero(GRID_S == 3300.0)[0])
    assert typical[end] == pytest.approx(188, abs=2)
    assert bands[0, end] < typical[end] < bands[4, end]


def test_the_same_seed_gives_the_same_result_whatever_the_number_of_threads() -> None:
    kwargs = {"n_patients": 2500, "weight_kg": 70.0, "thresholds_ng_per_ml": (100.0,)}
    a = simulate_population(get_model("hijazi"), PROGRAM, GRID_S, seed=4, workers=1, **kwargs)  # type: ignore[arg-type]
    b = simulate_population(get_model("hijazi"), PROGRAM, GRID_S, seed=4, workers=2, **kwargs)  # type: ignore[arg-type]
    c = simulate_population(get_model("hijazi"), PROGRAM, GRID_S, seed=5, workers=2, **kwargs)  # type: ignore[arg-type]
    assert_array_equal(a.cp_percentiles_ng_per_ml, b.cp_percentiles_ng_per_ml)
    assert_array_equal(a.fraction_above_ng_per_ml, b.fraction_above_ng_per_ml)
    assert a.seed == 4
    assert not np.array_equal(a.cp_percentiles_ng_per_ml, c.cp_percentiles_ng_per_ml)


def test_an_unsorted_grid_gives_the_sorted_results_in_the_order_asked() -> None:
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(GRID_S)
    kwargs = {"n_patients": 500, "weight_kg": 70.0, "seed": 2, "thresholds_ng_per_ml": (120.0,)}
    a = simulate_population(get_model("domino"), PROGRAM, GRID_S, **kwargs)  # type: ignore[arg-type]
    b = simulate_population(get_model("domino"), PROGRAM, shuffled, **kwargs)  # type: ignore[arg-type]
    index = np.searchsorted(GRID_S, shuffled)
    assert_array_equal(b.t_s, shuffled)
    assert_allclose(b.cp_percentiles_ng_per_ml, a.cp_percentiles_ng_per_ml[:, index], rtol=1e-12)
    assert_array_equal(b.fraction_above_ng_per_ml, a.fraction_above_ng_per_ml[:, index])


# --------------------------------------------------------------------------------------
# Warnings and population checks
# --------------------------------------------------------------------------------------


def test_the_assumed_default_is_announced_in_the_warnings() -> None:
    pop = simulate_population(get_model("domino"), PROGRAM, GRID_S, n_patients=10, weight_kg=70.0)
    assumed = [w for w in pop.warnings if ASSUMPTION_TEXT in w]
    assert len(assumed) == 1
    assert "30% CV" in assumed[0]
    assert any("ke0" in w for w in pop.warnings)  # the typical model's warnings carry over
    assert not pop.variability.is_published


def test_published_variability_carries_no_assumption_warning_and_simons_notes_its_metabolite() -> (
    None
):
    herd = simulate_population(HERD, PROGRAM, GRID_S, n_patients=10, weight_kg=20.0, age_years=6.0)
    assert not any(ASSUMPTION_TEXT in w for w in herd.warnings)
    simons = simulate_population(
        get_model("simons"), PROGRAM, GRID_S, n_patients=10, weight_kg=70.0
    )
    assert not any(ASSUMPTION_TEXT in w for w in simons.warnings)
    assert any("S-norketamine chain is not simulated" in w for w in simons.warnings)


def test_herd_refuses_an_adult_unless_forced() -> None:
    with pytest.raises(OutsideModelPopulation):
        simulate_population(HERD, PROGRAM, GRID_S, n_patients=10, weight_kg=80.0, age_years=40.0)
    forced = simulate_population(
        HERD, PROGRAM, GRID_S, n_patients=10, weight_kg=80.0, age_years=40.0, force=True
    )
    assert any("Forced outside the model's population" in w for w in forced.warnings)


# --------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"n_patients": 0}, "n_patients"),
        ({"n_patients": -3}, "n_patients"),
        ({"n_patients": 2.5}, "n_patients"),
        ({"n_patients": True}, "n_patients"),
        ({"percentiles": (5, 101)}, "percentiles[1]"),
        ({"percentiles": (-1,)}, "percentiles[0]"),
        ({"percentiles": (math.nan,)}, "percentiles[0]"),
        ({"thresholds_ng_per_ml": (100.0, -5.0)}, "thresholds_ng_per_ml[1]"),
        ({"thresholds_ng_per_ml": (math.inf,)}, "thresholds_ng_per_ml[0]"),
        ({"seed": -1}, "seed"),
        ({"workers": 0}, "workers"),
        ({"n_patients": 1_000_001}, "n_patients"),
    ],
)
def test_bad_population_inputs_are_refused_naming_the_field(
    overrides: dict[str, object], field: str
) -> None:
    kwargs: dict[str, object] = {"n_patients": 10, "weight_kg": 70.0} | overrides
    with pytest.raises(InvalidPopulationRequest) as info:
        simulate_population(get_model("domino"), PROGRAM, GRID_S, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert isinstance(info.value, PharmacologyError)


def test_a_population_too_large_to_compute_in_reasonable_time_is_refused() -> None:
    one_second_grid = np.arange(0.0, 3 * 3600.0, 1.0)  # 10,800 times x 50,000 > 5e8
    with pytest.raises(InvalidPopulationRequest) as info:
        simulate_population(
            get_model("domino"), PROGRAM, one_second_grid, n_patients=50_000, weight_kg=70.0
        )
    assert info.value.field == "n_patients"
    with pytest.raises(InvalidPopulationRequest) as info:
        simulate_population(
            get_model("domino"),
            PROGRAM,
            one_second_grid,
            n_patients=20_000,  # 2.2e8 kept float64 values: 1.7 GB
            weight_kg=70.0,
            keep_concentrations=True,
        )
    assert info.value.field == "keep_concentrations"


@pytest.mark.parametrize("weight", [math.nan, 0.0, -70.0, math.inf])
def test_an_impossible_weight_is_refused(weight: float) -> None:
    with pytest.raises(InvalidPatient) as info:
        simulate_population(get_model("domino"), PROGRAM, GRID_S, n_patients=10, weight_kg=weight)
    assert info.value.field == "weight_kg"


@pytest.mark.parametrize("t_s", [[], [-1.0, 10.0], [0.0, math.nan], [[0.0, 1.0]]])
def test_a_bad_time_grid_is_refused(t_s: list[float]) -> None:
    with pytest.raises(InvalidTimeGrid):
        simulate_population(get_model("domino"), PROGRAM, t_s, n_patients=10, weight_kg=70.0)


def test_probability_exceeding_needs_the_threshold_or_the_concentrations() -> None:
    pop = simulate_population(
        get_model("domino"),
        PROGRAM,
        GRID_S,
        n_patients=10,
        weight_kg=70.0,
        thresholds_ng_per_ml=(100.0,),
    )
    assert pop.cp_ng_per_ml is None
    assert pop.probability_exceeding(100.0).shape == GRID_S.shape
    with pytest.raises(InvalidPopulationRequest) as info:
        pop.probability_exceeding(150.0)
    assert info.value.field == "threshold_ng_per_ml"


def test_the_population_module_has_docstring_examples() -> None:
    failed, attempted = doctest.testmod(population, optionflags=doctest.ELLIPSIS)
    assert (failed, attempted > 0) == (0, True)


@pytest.mark.parametrize(
    "module", [population, population_kernel, population_sampling, variability]
)
def test_every_docstring_example_of_the_population_modules_runs(module: object) -> None:
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert failed == 0
