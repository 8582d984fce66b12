"""The exact solver against an independent reference, and its invariants.

Reference: scipy.integrate.solve_ivp, method Radau with the exact Jacobian, rtol 1e-12,
atol 1e-15 (mg), restarted at every rate change and bolus, boluses added between
segments, output through t_eval. At these tolerances Radau agrees with an
expm-per-point reference to about 1e-12; the solver agrees with it to better than 1e-9
relative (asserted below; about 1e-11 seen). DOP853 at rtol 1e-11 was not used: its dense
output erred up to 2e-7 on the fast effect-site state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from ketamine_clinic.pharmacology.errors import InvalidTimeGrid
from ketamine_clinic.pharmacology.models import (
    MARSH_PROPOFOL,
    PatientModel,
    get_model,
    mammillary_system_matrix_per_s,
    model_from_clearances,
)
from ketamine_clinic.pharmacology.program import (
    InfusionProgram,
    apply_rate_changes,
    constant_infusion,
)
from ketamine_clinic.pharmacology.solver import (
    propagate,
    simulate,
    simulate_many,
    simulate_states,
    transition,
)

FloatArray = npt.NDArray[np.float64]


class Patient(TypedDict):
    weight_kg: float
    age_years: float


ADULT: Patient = {"weight_kg": 70.0, "age_years": 40.0}


def reference_states(
    k: FloatArray, b: FloatArray, program: InfusionProgram, t_s: FloatArray
) -> FloatArray:
    """solve_ivp (Radau, rtol 1e-12), restarted at each discontinuity."""
    starts = sorted({0.0, *program.rate_change_times_s, *program.bolus_times_s})
    t_max = float(np.max(t_s))
    ends = [*starts[1:], max(t_max, starts[-1]) + 1.0]
    boluses = dict(zip(program.bolus_times_s, program.boluses_mg, strict=True))
    x = np.zeros(k.shape[0])
    out = np.full((t_s.size, k.shape[0]), np.nan)
    for start, end in zip(starts, ends, strict=True):
        if start > t_max:
            break
        x = x + b * boluses.get(start, 0.0)
        u = program.rate_mg_per_h_at(start) / 3600.0
        mask = (t_s >= start) & (t_s < end)
        t_eval = np.append(np.sort(t_s[mask]), end)
        sol = solve_ivp(
            lambda _t, y, u=u: k @ y + b * u,
            (start, end),
            x,
            method="Radau",
            jac=k,
            rtol=1e-12,
            atol=1e-15,
            t_eval=t_eval,
        )
        assert sol.success
        order = np.argsort(t_s[mask], kind="stable")
        idx = np.flatnonzero(mask)[order]
        out[idx] = sol.y.T[:-1]
        x = sol.y[:, -1]
    return out


def assert_matches_reference(model: PatientModel, program: InfusionProgram, t: FloatArray) -> None:
    sim = simulate(model, program, t)
    ref = reference_states(model.system_matrix_per_s, model.input_vector, program, t)
    scale = np.max(np.abs(ref), axis=0)
    assert_allclose(sim.amounts_mg, ref, rtol=1e-9, atol=1e-12 * float(np.max(scale)))
    assert_allclose(sim.cp_ng_per_ml, model.cp_ng_per_ml(ref), rtol=1e-9, atol=1e-9)


RNG = np.random.default_rng(20240601)
TITRATED = apply_rate_changes(
    constant_infusion(38.5, 55 * 60).with_bolus(90.0, 5.0),
    [(600.5, "+20%"), (1200.0, "pause"), (1500.0, "resume"), (2000.0, "-0.05 mg/kg/h")],
    weight_kg=70,
)

Scenario = Callable[[], tuple[PatientModel, InfusionProgram, FloatArray]]

SCENARIOS: dict[str, Scenario] = {
    "domino constant infusion, uniform 7 s grid to 3 h": lambda: (
        get_model("domino").for_patient(**ADULT),
        constant_infusion(35.0, 3300.0),
        np.arange(0.0, 10_800.0, 7.0),
    ),
    "domino titrated with bolus and pause, random grid": lambda: (
        get_model("domino").for_patient(**ADULT),
        TITRATED,
        np.sort(RNG.uniform(0, 9000, 400)),
    ),
    "domino grid starting late and unsorted": lambda: (
        get_model("domino").for_patient(**ADULT),
        TITRATED,
        RNG.permutation(np.linspace(5000.0, 8000.0, 97)),
    ),
    "clements rate change and late start": lambda: (
        get_model("clements").for_patient(weight_kg=60.0),
        InfusionProgram((600.0, 1800.0, 3000.0), (40.0, 20.0, 0.0)),
        np.sort(RNG.uniform(0, 6000, 200)),
    ),
    "hijazi two boluses only": lambda: (
        get_model("hijazi").for_patient(weight_kg=85.0),
        InfusionProgram(bolus_times_s=(0.0, 1234.5), boluses_mg=(40.0, 20.0)),
        np.linspace(0.0, 20_000.0, 301),
    ),
    "herd child with a loading bolus": lambda: (
        get_model("herd").for_patient(weight_kg=22.0, age_years=7.0),
        constant_infusion(10.0, 1800.0).with_bolus(0.0, 11.0),
        np.sort(RNG.uniform(0, 5000, 250)),
    ),
    "kamp titrated": lambda: (
        get_model("kamp").for_patient(**ADULT),
        TITRATED,
        np.arange(3.0, 7200.0, 13.0),
    ),
    "simons metabolite chain and effect site, uniform grid": lambda: (
        get_model("simons").for_patient(**ADULT),
        constant_infusion(20.0, 1200.0),
        np.arange(0.0, 21_600.0, 30.0),
    ),
    "simons titrated, offset uniform grid": lambda: (
        get_model("simons").for_patient(weight_kg=90.0, age_years=50.0),
        TITRATED,
        np.arange(17.0, 9000.0, 10.0),
    ),
    "simons non-uniform grid": lambda: (
        get_model("simons").for_patient(**ADULT),
        TITRATED,
        np.sort(RNG.uniform(0, 9000, 60)),
    ),
    "marsh propofol bolus and infusion": lambda: (
        MARSH_PROPOFOL.for_patient(weight_kg=70.0),
        constant_infusion(700.0, 3600.0).with_bolus(0.0, 140.0),
        np.sort(RNG.uniform(0, 8000, 300)),
    ),
    "one-compartment user model, grid on the events": lambda: (
        model_from_clearances(name="one", v1_l=40.0, cl_l_per_min=1.0).for_patient(weight_kg=70.0),
        TITRATED,
        np.array([0.0, 90.0, 600.5, 1200.0, 1500.0, 2000.0, 3300.0, 4000.0]),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_solver_matches_solve_ivp_within_1e_9(name: str) -> None:
    model, program, t = SCENARIOS[name]()
    assert_matches_reference(model, program, t)


def test_the_metabolite_and_effect_site_are_reported_when_the_model_has_them() -> None:
    sim = simulate(get_model("simons").for_patient(**ADULT), constant_infusion(20, 1200), [600.0])
    assert sim.ce_ng_per_ml is not None
    assert sim.metabolite_ng_per_ml is not None
    assert float(sim.metabolite_ng_per_ml[0]) > 0
    plain = simulate(get_model("domino").for_patient(**ADULT), constant_infusion(35, 3300), [1])
    assert plain.metabolite_ng_per_ml is None
    no_ke0 = model_from_clearances(name="x", v1_l=10, cl_l_per_min=1).for_patient(weight_kg=70)
    assert simulate(no_ke0, constant_infusion(1, 60), [30]).ce_ng_per_ml is None


def test_domino_gives_about_240_ng_per_ml_after_half_a_mg_per_kg_over_40_min() -> None:
    # Reference: ~240 ng/mL (computed independently with scipy); Zarate 2006 observed ~185.
    m = get_model("domino").for_patient(weight_kg=70.0)
    cp = simulate(m, constant_infusion(35.0, 40 * 60), [40 * 60]).cp_ng_per_ml[0]
    assert cp == pytest.approx(240.0, abs=1.0)
    cp55 = simulate(m, constant_infusion(35.0, 55 * 60), [55 * 60]).cp_ng_per_ml[0]
    assert cp55 == pytest.approx(188.0, abs=1.0)


def test_a_bolus_is_included_at_its_own_time() -> None:
    m = get_model("domino").for_patient(**ADULT)
    sim = simulate(m, InfusionProgram(bolus_times_s=(100.0,), boluses_mg=(10.0,)), [99.0, 100.0])
    assert sim.amounts_mg[0, 0] == 0.0
    assert sim.amounts_mg[1, 0] == pytest.approx(10.0)


def test_a_bad_time_grid_is_refused() -> None:
    m = get_model("domino").for_patient(**ADULT)
    with pytest.raises(InvalidTimeGrid, match=r"^t_s: times must be >= 0 s$"):
        simulate(m, constant_infusion(1, 60), [-1.0, 2.0])
    with pytest.raises(InvalidTimeGrid, match=r"^t_s: every time must be finite$"):
        simulate(m, constant_infusion(1, 60), [np.nan])


def test_one_transition_step_equals_the_simulation_over_that_step() -> None:
    m = get_model("simons").for_patient(**ADULT)
    x0 = simulate(m, TITRATED, [700.0]).amounts_mg[0]
    tr = transition(m.system_matrix_per_s, m.input_vector, 10.0)
    rate = TITRATED.rate_mg_per_h_at(700.0)
    stepped = tr.phi @ x0 + tr.gamma_per_mg_per_h * rate
    direct = simulate(m, TITRATED, [710.0]).amounts_mg[0]
    assert_allclose(stepped, direct, rtol=1e-10, atol=1e-14)
    assert_allclose(
        propagate(m.system_matrix_per_s, m.input_vector, x0, rate, [10.0])[0], direct, rtol=1e-10
    )


def test_transitions_stack_over_patients() -> None:
    k = mammillary_system_matrix_per_s(
        k10_per_min=np.array([0.3, 0.4]), k12_per_min=0.5, k21_per_min=0.2, compartment_count=2
    )
    tr = transition(k, np.array([1.0, 0.0]), 5.0)
    assert tr.phi.shape == (2, 2, 2)
    assert tr.gamma_per_mg_per_h.shape == (2, 2)
    single = transition(k[1], np.array([1.0, 0.0]), 5.0)
    assert_allclose(tr.phi[1], single.phi, rtol=1e-14)


def test_many_patients_at_once_match_one_at_a_time() -> None:
    weights = np.array([45.0, 70.0, 120.0])
    models = [get_model("domino").for_patient(weight_kg=w) for w in weights]
    models.append(get_model("simons").for_patient(**ADULT))  # needs the expm fallback
    t = np.sort(RNG.uniform(0, 9000, 200))
    for group in (models[:3], models[3:]):
        k = np.stack([m.system_matrix_per_s for m in group])
        readouts = np.stack([m.cp_readout_per_l for m in group])
        many = simulate_many(
            k, group[0].input_vector, readouts, TITRATED, t, chunk_size=2, workers=2
        )
        for i, m in enumerate(group):
            assert_allclose(
                many[i] * 1000, simulate(m, TITRATED, t).cp_ng_per_ml, rtol=1e-9, atol=1e-9
            )


# --------------------------------------------------------------------------------------
# Invariants (hypothesis)
# --------------------------------------------------------------------------------------


@st.composite
def programs(draw: st.DrawFn) -> InfusionProgram:
    n = draw(st.integers(0, 4))
    times = sorted(draw(st.sets(st.integers(0, 7200), min_size=n, max_size=n)))
    rates = [draw(st.floats(0, 200)) for _ in times]
    nb = draw(st.integers(0, 3))
    b_times = sorted(draw(st.sets(st.integers(0, 7200), min_size=nb, max_size=nb)))
    doses = [draw(st.floats(0, 50)) for _ in b_times]
    return InfusionProgram(
        tuple(float(t) for t in times), tuple(rates), tuple(float(t) for t in b_times), tuple(doses)
    )


MODEL_NAMES = st.sampled_from(["domino", "clements", "hijazi", "kamp", "simons"])
GRID = np.linspace(0.0, 10_000.0, 157)


def with_sink(model: PatientModel) -> tuple[FloatArray, FloatArray, list[int]]:
    """K augmented with a sink collecting everything that leaves the mass states."""
    mass = [i for i in range(model.n_states) if i != model.effect_site_index]
    n = model.n_states
    k = np.zeros((n + 1, n + 1))
    k[:n, :n] = model.system_matrix_per_s
    k[n, mass] = -k[mass][:, mass].sum(axis=0)
    b = np.append(model.input_vector, 0.0)
    return k, b, [*mass, n]


@settings(max_examples=40, deadline=None)
@given(name=MODEL_NAMES, weight_kg=st.floats(40, 150), program=programs())
def test_the_drug_in_the_body_plus_the_drug_eliminated_equals_the_drug_given(
    name: str, weight_kg: float, program: InfusionProgram
) -> None:
    model = get_model(name).for_patient(weight_kg=weight_kg)
    k, b, mass = with_sink(model)
    states = simulate_states(k, b, program, GRID)
    given_mg = np.array([program.dose_mg_until(t) for t in GRID])
    assert_allclose(states[:, mass].sum(axis=1), given_mg, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(name=MODEL_NAMES, weight_kg=st.floats(40, 150), program=programs())
def test_concentrations_are_never_negative(
    name: str, weight_kg: float, program: InfusionProgram
) -> None:
    sim = simulate(get_model(name).for_patient(weight_kg=weight_kg), program, GRID)
    floor = -1e-9 * max(1.0, float(np.max(np.abs(sim.cp_ng_per_ml))))
    assert float(np.min(sim.cp_ng_per_ml)) >= floor
    assert sim.ce_ng_per_ml is not None
    assert float(np.min(sim.ce_ng_per_ml)) >= floor
    if sim.metabolite_ng_per_ml is not None:
        assert float(np.min(sim.metabolite_ng_per_ml)) >= floor


@settings(max_examples=40, deadline=None)
@given(name=MODEL_NAMES, program=programs(), other=programs())
def test_doubling_every_rate_and_bolus_doubles_the_concentration_and_inputs_superpose(
    name: str, program: InfusionProgram, other: InfusionProgram
) -> None:
    model = get_model(name).for_patient(**ADULT)
    cp = simulate(model, program, GRID).cp_ng_per_ml
    scale = max(1.0, float(np.max(np.abs(cp))))
    assert_allclose(
        simulate(model, program.scaled(2.0), GRID).cp_ng_per_ml, 2 * cp, atol=1e-10 * scale
    )
    infusion_only = InfusionProgram(program.rate_change_times_s, program.rates_mg_per_h)
    boluses_only = InfusionProgram(bolus_times_s=other.bolus_times_s, boluses_mg=other.boluses_mg)
    both = InfusionProgram(
        program.rate_change_times_s, program.rates_mg_per_h, other.bolus_times_s, other.boluses_mg
    )
    parts = (
        simulate(model, infusion_only, GRID).cp_ng_per_ml
        + simulate(model, boluses_only, GRID).cp_ng_per_ml
    )
    total = simulate(model, both, GRID).cp_ng_per_ml
    assert_allclose(total, parts, atol=1e-9 * max(1.0, float(np.max(np.abs(parts)))))
