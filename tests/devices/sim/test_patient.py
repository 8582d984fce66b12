"""The virtual patient: Cp equal to the pharmacology engine's own simulation, invalid
values while the probe is off, true events that move the numbers, seeded runs repeatable."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ketamine_clinic.devices.sim.patient import (
    LABEL,
    ScriptedEvent,
    VirtualPatient,
    parse_event,
    random_events,
)
from ketamine_clinic.devices.sim.waveforms import ecg_lead_ii
from ketamine_clinic.pharmacology.pd import HAEMODYNAMIC_LABEL
from ketamine_clinic.pharmacology.solver import simulate

STANDARD_RATE_MG_PER_H = 35.0 / 40 * 60  # 0.5 mg/kg over 40 min for 70 kg


def test_the_standard_infusion_reaches_the_referenced_end_of_infusion_cp() -> None:
    # reference/pharmacology.md: Domino, 70 kg, 0.5 mg/kg over 40 min -> Cp ~240 ng/mL.
    patient = VirtualPatient(weight_kg=70)
    patient.set_rate(0.0, STANDARD_RATE_MG_PER_H)
    assert_allclose(patient.cp_ng_per_ml(40 * 60), 240.0, rtol=0.01)


@settings(max_examples=30, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(1.0, 900.0), st.floats(0.0, 120.0)), min_size=1, max_size=6),
    tail_s=st.floats(0.0, 1800.0),
)
def test_cp_equals_the_engines_simulation_of_the_same_rate_history(
    steps: list[tuple[float, float]], tail_s: float
) -> None:
    patient = VirtualPatient(weight_kg=82)
    t = 0.0
    checkpoints: list[tuple[float, float]] = []
    for gap_s, rate in steps:
        patient.set_rate(t, rate)
        checkpoints.append((t + gap_s / 2, patient.cp_ng_per_ml(t + gap_s / 2)))
        t += gap_s
    end = t + tail_s
    checkpoints.append((end, patient.cp_ng_per_ml(end)))
    reference = simulate(patient.model, patient.rate_history, [c[0] for c in checkpoints])
    assert_allclose([c[1] for c in checkpoints], reference.cp_ng_per_ml, rtol=1e-9, atol=1e-9)


def test_the_rate_history_is_the_pumps_rates_in_order() -> None:
    patient = VirtualPatient(weight_kg=70)
    patient.set_rate(0.0, 52.5)
    patient.set_rate(600.0, 30.0)
    patient.set_rate(600.0, 25.0)  # a second report at the same moment replaces the first
    patient.set_rate(1200.0, 0.0)
    history = patient.rate_history
    assert history.rate_change_times_s == (0.0, 600.0, 1200.0)
    assert history.rates_mg_per_h == (52.5, 25.0, 0.0)


def test_a_probe_off_gives_no_spo2_no_pulse_rate_and_an_invalid_pleth_never_zero() -> None:
    patient = VirtualPatient(weight_kg=70, events=[ScriptedEvent("spo2_probe_off", 100.0, 30.0)])
    during = patient.vitals(110.0)
    assert during.spo2_percent is None
    assert during.pulse_rate_per_min is None
    assert during.hr_per_min is not None  # the ECG is still on
    assert patient.pleth_chunk(110.0, 125) == [None] * 125
    after = patient.vitals(131.0)
    assert after.spo2_percent is not None and after.spo2_percent > 95
    assert all(s is not None for s in patient.pleth_chunk(131.0, 125))


def test_a_desaturation_takes_spo2_below_90_and_it_recovers() -> None:
    patient = VirtualPatient(weight_kg=70, events=[ScriptedEvent("desaturation", 600.0, 120.0)])
    assert patient.vitals(590.0).spo2_percent is not None
    plateau = [patient.vitals(t).spo2_percent for t in range(640, 690, 5)]
    assert all(v is not None and v < 87 for v in plateau)
    recovered = patient.vitals(730.0).spo2_percent
    assert recovered is not None and recovered > 95


def test_a_hypertensive_surge_takes_the_cuff_pressures_into_the_alarm_range() -> None:
    patient = VirtualPatient(weight_kg=70, events=[ScriptedEvent("hypertension", 300.0, 300.0)])
    before = patient.nibp(200.0)
    during = patient.nibp(450.0)
    assert before.systolic_mmhg < 140
    assert during.systolic_mmhg > 175  # x1.5 of 124, less the cuff's error
    assert during.diastolic_mmhg > 105


def test_ketamine_raises_hr_and_map_along_the_illustrative_curve() -> None:
    calm = VirtualPatient(weight_kg=70, seed=3, artefacts=False)
    dosed = VirtualPatient(weight_kg=70, seed=3, artefacts=False)
    dosed.set_rate(0.0, STANDARD_RATE_MG_PER_H)
    hr0, _s0, _d0, map0 = calm.true_haemodynamics(2400.0)
    hr1, _s1, _d1, map1 = dosed.true_haemodynamics(2400.0)
    # pd.py: about +11% HR and +7% MAP at this infusion's peak (illustrative).
    assert 1.08 < hr1 / hr0 < 1.14
    assert 1.05 < map1 / map0 < 1.09
    assert dosed.label == LABEL == HAEMODYNAMIC_LABEL


def test_a_seeded_patient_repeats_itself_and_another_seed_does_not() -> None:
    def run(seed: int) -> list[object]:
        patient = VirtualPatient(weight_kg=70, seed=seed, random_events_horizon_s=7200)
        patient.set_rate(0.0, STANDARD_RATE_MG_PER_H)
        return [patient.vitals(float(t)) for t in range(0, 3600, 60)] + [patient.events]

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_motion_reads_spo2_falsely_low_but_keeps_it_valid() -> None:
    still = VirtualPatient(weight_kg=70, seed=5)
    moving = VirtualPatient(weight_kg=70, seed=5, events=[ScriptedEvent("motion", 0.0, 60.0)])
    readings = [(still.vitals(t).spo2_percent, moving.vitals(t).spo2_percent) for t in range(60)]
    assert all(m is not None and s is not None and m < s for s, m in readings)


def test_the_ecg_beats_at_the_heart_rate() -> None:
    generator = ecg_lead_ii(250)
    rng = np.random.default_rng(0)
    samples = np.array([generator.chunk(125, 72.0, rng=rng) for _ in range(20)]).ravel()
    r_peaks = np.sum(
        (samples[1:-1] > 0.8) & (samples[1:-1] >= samples[:-2]) & (samples[1:-1] > samples[2:])
    )
    assert r_peaks == 12  # 10 s at 72 beats/min


def test_random_events_are_seeded_and_inside_the_horizon() -> None:
    events = random_events(4, 4 * 3600)
    assert events == random_events(4, 4 * 3600)
    assert events and all(0 <= e.at_s < 4 * 3600 for e in events)
    assert {e.kind for e in events} >= {"spo2_probe_off", "motion"}


def test_events_are_parsed_from_the_command_line_form() -> None:
    assert parse_event("desaturation@600") == ScriptedEvent("desaturation", 600.0, 180.0)
    assert parse_event("hypertension@60+30") == ScriptedEvent("hypertension", 60.0, 30.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        parse_event("sneeze@10")
    with pytest.raises(ValueError, match="seconds"):
        parse_event("motion@soon")
