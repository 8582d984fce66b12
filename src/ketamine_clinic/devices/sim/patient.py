"""A virtual patient for the simulated monitor: ketamine in, vital signs out.

Plasma and effect-site ketamine come from the pharmacology engine (Domino by default,
stepped exactly with ``solver.propagate`` between the pump's actual rate changes, so the
numbers equal ``solver.simulate`` for the same rate history). Heart rate and MAP follow
``pd.haemodynamic_response``, which is ILLUSTRATIVE (made-up EC50; see
``HAEMODYNAMIC_LABEL``): the simulator shows what alarms do, not what ketamine does.

On top: realistic measurement noise and slow drift, motion artefacts (noisy pleth, SpO2
reading falsely low, HR jumpy), SpO2 probe-off episodes (no valid SpO2 or pulse rate:
None, never 0), and true events a test or the demo can script: a hypertensive surge and a
desaturation. With ``random_events`` the same kinds happen at seeded random times.

Noise is drawn from a generator seeded by (seed, time), so a seeded patient gives the
same numbers at the same times whatever order they are asked in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from ketamine_clinic.devices.sim.waveforms import WaveformGenerator, ecg_lead_ii, pleth
from ketamine_clinic.pharmacology.models import PatientModel, get_model
from ketamine_clinic.pharmacology.pd import HAEMODYNAMIC_LABEL, haemodynamic_response
from ketamine_clinic.pharmacology.program import InfusionProgram
from ketamine_clinic.pharmacology.solver import propagate

EventKind = Literal["hypertension", "desaturation", "spo2_probe_off", "motion"]
EVENT_KINDS: Final[tuple[EventKind, ...]] = (
    "hypertension",
    "desaturation",
    "spo2_probe_off",
    "motion",
)
LABEL: Final = HAEMODYNAMIC_LABEL

# A true hypertensive surge: pressures x1.5, SBP 124 -> about 185 mmHg off the drug,
# about 200 on it (reference/clinical.md: severe hypertension in ~1% of sessions; the
# clinic acts at SBP > 180 / DBP > 110).
SURGE_PRESSURE_FACTOR: Final = 1.5
# A true desaturation: SpO2 falls to 84% (below the 90% alarm and the 85% high-priority
# threshold of reference/devices.md).
DESATURATION_SPO2_PERCENT: Final = 84.0
# Ramps: events build over this long and fade over the same (physiology is not a step).
EVENT_RAMP_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class Baselines:
    """Pre-infusion vital signs (a healthy adult; synthetic)."""

    hr_per_min: float = 72.0
    sbp_mmhg: float = 124.0
    dbp_mmhg: float = 78.0
    spo2_percent: float = 98.0
    rr_per_min: float = 14.0
    temp_c: float = 36.8

    @property
    def map_mmhg(self) -> float:
        """Mean arterial pressure, DBP + (SBP - DBP) / 3 (the usual estimate)."""
        return self.dbp_mmhg + (self.sbp_mmhg - self.dbp_mmhg) / 3.0


@dataclass(frozen=True, slots=True)
class ScriptedEvent:
    """An event from ``at_s`` (simulated seconds since the start) for ``duration_s``."""

    kind: EventKind
    at_s: float
    duration_s: float = 180.0

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(EVENT_KINDS)}")
        if self.at_s < 0 or self.duration_s <= 0:
            raise ValueError("at_s must be >= 0 s and duration_s > 0 s")

    def weight_at(self, t_s: float) -> float:
        """0 outside the event, 1 in its plateau, a linear ramp in and out (true events)."""
        if not self.at_s <= t_s < self.at_s + self.duration_s:
            return 0.0
        if self.kind in ("spo2_probe_off", "motion"):
            return 1.0  # artefacts start and stop at once
        ramp = min(EVENT_RAMP_S, self.duration_s / 2)
        into = t_s - self.at_s
        left = self.at_s + self.duration_s - t_s
        return min(1.0, into / ramp, left / ramp)


def parse_event(text: str) -> ScriptedEvent:
    """``kind@at_s`` or ``kind@at_s+duration_s`` (e.g. ``desaturation@600+120``)."""
    kind, sep, when = text.partition("@")
    if not sep:
        raise ValueError(f"event {text!r}: expected kind@seconds, e.g. desaturation@600")
    at_text, plus, duration_text = when.partition("+")
    try:
        at_s = float(at_text)
        duration_s = float(duration_text) if plus else 180.0
    except ValueError:
        raise ValueError(f"event {text!r}: the times must be seconds") from None
    if kind not in EVENT_KINDS:
        raise ValueError(f"event {text!r}: the kind must be one of {', '.join(EVENT_KINDS)}")
    return ScriptedEvent(kind, at_s, duration_s)


def random_events(seed: int, horizon_s: float) -> tuple[ScriptedEvent, ...]:
    """Seeded events over ``horizon_s``: artefacts often, true events rarely.

    Rates are a simulator's choice (probe-off about every 20 min, motion about every
    10 min, one true event in roughly four hours of infusion), not clinical statistics.
    """
    rng = np.random.default_rng([seed, 7])
    events: list[ScriptedEvent] = []
    for kind, mean_gap_s, low_s, high_s in (
        ("spo2_probe_off", 1200.0, 10.0, 40.0),
        ("motion", 600.0, 5.0, 20.0),
        ("hypertension", 4 * 3600.0, 120.0, 300.0),
        ("desaturation", 4 * 3600.0, 60.0, 150.0),
    ):
        t = float(rng.exponential(mean_gap_s))
        while t < horizon_s:
            events.append(ScriptedEvent(kind, t, float(rng.uniform(low_s, high_s))))  # type: ignore[arg-type]
            t += float(rng.exponential(mean_gap_s))
    return tuple(sorted(events, key=lambda e: e.at_s))


@dataclass(frozen=True, slots=True)
class Vitals:
    """What the monitor measures at one moment; None = no valid value (never 0)."""

    t_s: float
    hr_per_min: float | None  # from the ECG
    pulse_rate_per_min: float | None  # from the oximeter
    spo2_percent: float | None
    rr_per_min: float | None
    temp_c: float | None
    cp_ng_per_ml: float
    ce_ng_per_ml: float
    true_map_mmhg: float  # the patient's, before the cuff's error


@dataclass(frozen=True, slots=True)
class NibpMeasurement:
    t_s: float
    systolic_mmhg: float
    diastolic_mmhg: float
    mean_mmhg: float


@dataclass
class _RateHistory:
    times_s: list[float] = field(default_factory=list)
    rates_mg_per_h: list[float] = field(default_factory=list)


class VirtualPatient:
    """One patient on the infusion chair, advanced by the simulators' clock."""

    def __init__(
        self,
        *,
        weight_kg: float,
        baselines: Baselines | None = None,
        seed: int = 0,
        model_name: str = "domino",
        events: Sequence[ScriptedEvent] = (),
        random_events_horizon_s: float = 0.0,
        artefacts: bool = True,
    ) -> None:
        self.weight_kg = weight_kg
        self.baselines = baselines or Baselines()
        self.seed = seed
        self.model: PatientModel = get_model(model_name).for_patient(weight_kg=weight_kg)
        scripted = list(events)
        if random_events_horizon_s > 0:
            scripted.extend(random_events(seed, random_events_horizon_s))
        self.events: tuple[ScriptedEvent, ...] = tuple(sorted(scripted, key=lambda e: e.at_s))
        self.artefacts = artefacts
        self.label = LABEL
        self._history = _RateHistory()
        self._state_mg = np.zeros(self.model.n_states)
        self._state_t_s = 0.0
        self._rate_mg_per_h = 0.0
        drift = np.random.default_rng([seed, 1])
        self._drift_phase = drift.uniform(0, 2 * math.pi, 4)
        self._ecg: WaveformGenerator = ecg_lead_ii()
        self._pleth: WaveformGenerator = pleth()

    # --- pharmacokinetics ----------------------------------------------------------

    def set_rate(self, t_s: float, rate_mg_per_h: float) -> None:
        """The pump's actual rate from ``t_s`` on (mg/h of ketamine; 0 = stopped)."""
        if rate_mg_per_h < 0 or not math.isfinite(rate_mg_per_h):
            raise ValueError("rate_mg_per_h: must be a finite number >= 0")
        t_s = max(t_s, self._state_t_s)  # a late report cannot rewrite the past
        self._state_mg = self._state_at(t_s)
        self._state_t_s = t_s
        self._rate_mg_per_h = rate_mg_per_h
        history = self._history
        if history.times_s and history.times_s[-1] == t_s:
            history.rates_mg_per_h[-1] = rate_mg_per_h
        else:
            history.times_s.append(t_s)
            history.rates_mg_per_h.append(rate_mg_per_h)

    @property
    def rate_history(self) -> InfusionProgram:
        """The rates the patient received, as the pharmacology engine's program."""
        return InfusionProgram(tuple(self._history.times_s), tuple(self._history.rates_mg_per_h))

    def _state_at(self, t_s: float) -> np.ndarray:
        if t_s <= self._state_t_s:
            return self._state_mg
        states = propagate(
            self.model.system_matrix_per_s,
            self.model.input_vector,
            self._state_mg,
            self._rate_mg_per_h,
            [t_s - self._state_t_s],
        )
        return np.asarray(states[0])

    def cp_ng_per_ml(self, t_s: float) -> float:
        return float(self.model.cp_ng_per_ml(self._state_at(t_s)))

    def ce_ng_per_ml(self, t_s: float) -> float:
        ce = self.model.ce_ng_per_ml(self._state_at(t_s))
        return float(ce) if ce is not None else self.cp_ng_per_ml(t_s)

    # --- events --------------------------------------------------------------------

    def event_weight(self, kind: EventKind, t_s: float) -> float:
        return max((e.weight_at(t_s) for e in self.events if e.kind == kind), default=0.0)

    def add_event(self, event: ScriptedEvent) -> None:
        """Make an event happen (the demo's buttons, a test's script)."""
        self.events = tuple(sorted((*self.events, event), key=lambda e: e.at_s))

    # --- the truth and what the monitor measures ------------------------------------

    def _rng(self, t_s: float, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream, max(0, round(t_s * 1000))])

    def _drift(self, t_s: float, index: int, period_s: float) -> float:
        return math.sin(2 * math.pi * t_s / period_s + float(self._drift_phase[index]))

    def true_haemodynamics(self, t_s: float) -> tuple[float, float, float, float]:
        """(HR, SBP, DBP, MAP) before measurement noise: baseline, drug, drift, surge."""
        base = self.baselines
        response = haemodynamic_response(
            self.ce_ng_per_ml(t_s),
            baseline_hr_per_min=base.hr_per_min,
            baseline_map_mmhg=base.map_mmhg,
        )
        pressure_factor = float(response.map_mmhg) / base.map_mmhg
        surge = self.event_weight("hypertension", t_s)
        pressure_factor *= 1.0 + (SURGE_PRESSURE_FACTOR - 1.0) * surge
        pressure_factor *= 1.0 + 0.02 * self._drift(t_s, 0, 420.0)
        hr = float(response.hr_per_min) * (1.0 + 0.15 * surge) + 2.0 * self._drift(t_s, 1, 300.0)
        sbp = base.sbp_mmhg * pressure_factor
        dbp = base.dbp_mmhg * pressure_factor
        return hr, sbp, dbp, dbp + (sbp - dbp) / 3.0

    def true_spo2_percent(self, t_s: float) -> float:
        fall = self.baselines.spo2_percent - DESATURATION_SPO2_PERCENT
        return self.baselines.spo2_percent - fall * self.event_weight("desaturation", t_s)

    def probe_off(self, t_s: float) -> bool:
        return self.artefacts and self.event_weight("spo2_probe_off", t_s) > 0

    def in_motion(self, t_s: float) -> bool:
        return self.artefacts and self.event_weight("motion", t_s) > 0

    def vitals(self, t_s: float) -> Vitals:
        """The monitor's numerics at ``t_s`` (rounded by the monitor, not here)."""
        rng = self._rng(t_s, 2)
        hr, _sbp, _dbp, true_map = self.true_haemodynamics(t_s)
        motion = self.in_motion(t_s)
        probe_off = self.probe_off(t_s)
        ecg_hr = hr + rng.normal(0, 1.0) + (rng.normal(0, 12.0) if motion else 0.0)
        spo2: float | None = None
        pulse: float | None = None
        if not probe_off:
            reading = self.true_spo2_percent(t_s) + rng.normal(0, 0.4)
            if motion:
                reading -= rng.uniform(2.0, 8.0)  # motion reads falsely low
            spo2 = min(100.0, max(50.0, reading))
            pulse = hr + rng.normal(0, 1.5) + (rng.normal(0, 10.0) if motion else 0.0)
        rr = self.baselines.rr_per_min + rng.normal(0, 0.8) + 1.0 * self._drift(t_s, 2, 240.0)
        temp = self.baselines.temp_c + 0.1 * self._drift(t_s, 3, 3600.0) + rng.normal(0, 0.02)
        return Vitals(
            t_s=t_s,
            hr_per_min=max(20.0, ecg_hr),
            pulse_rate_per_min=None if pulse is None else max(20.0, pulse),
            spo2_percent=spo2,
            rr_per_min=max(4.0, rr),
            temp_c=temp,
            cp_ng_per_ml=self.cp_ng_per_ml(t_s),
            ce_ng_per_ml=self.ce_ng_per_ml(t_s),
            true_map_mmhg=true_map,
        )

    def nibp(self, t_s: float) -> NibpMeasurement:
        """A cuff measurement at ``t_s``: the true pressures with the cuff's error
        (about +-4 mmHg, within the +-5 mmHg mean error NIBP devices are held to)."""
        rng = self._rng(t_s, 3)
        _hr, sbp, dbp, _map = self.true_haemodynamics(t_s)
        systolic = sbp + rng.normal(0, 4.0)
        diastolic = dbp + rng.normal(0, 3.0)
        return NibpMeasurement(
            t_s=t_s,
            systolic_mmhg=systolic,
            diastolic_mmhg=diastolic,
            mean_mmhg=diastolic + (systolic - diastolic) / 3.0,
        )

    def ecg_chunk(self, t_s: float, n_samples: int) -> list[float | None]:
        """The next ``n_samples`` of ECG lead II (mV) at 250 Hz, starting at ``t_s``."""
        hr, *_ = self.true_haemodynamics(t_s)
        noise = 0.15 if self.in_motion(t_s) else 0.02
        return self._ecg.chunk(n_samples, hr, rng=self._rng(t_s, 4), noise_sd=noise)

    def pleth_chunk(self, t_s: float, n_samples: int) -> list[float | None]:
        """The next ``n_samples`` of pleth (0-1) at 125 Hz; all None while the probe is off."""
        hr, *_ = self.true_haemodynamics(t_s)
        noise = 0.2 if self.in_motion(t_s) else 0.01
        return self._pleth.chunk(
            n_samples, hr, rng=self._rng(t_s, 5), noise_sd=noise, invalid=self.probe_off(t_s)
        )

    @property
    def ecg_sample_rate_hz(self) -> int:
        return self._ecg.sample_rate_hz

    @property
    def pleth_sample_rate_hz(self) -> int:
        return self._pleth.sample_rate_hz
