"""Target-controlled infusion (TCI): a rate schedule a syringe pump can run.

Every ``update_interval_s`` the controller predicts, from the model state, where the
concentration goes without further drug, and picks the one constant rate over the next
interval that puts the prediction on the target:

* Plasma targeting (Jacobs 1990, as in STANPUMP): the rate that makes the plasma
  concentration at the end of the interval equal the target,
  ``rate = (target - Cp_free(t + D)) / Cp_unit(D)``.
* Effect-site targeting (Shafer & Gregg 1992): the rate whose predicted *peak*
  effect-site concentration equals the target. By superposition the predicted effect-site
  course is ``Ce_free(tau) + rate * Ce_pulse(tau)``, with ``Ce_pulse`` the response to a
  unit-rate pulse lasting one interval; the largest rate that keeps it at or below the
  target at every ``tau`` is ``min_tau (target - Ce_free(tau)) / Ce_pulse(tau)``, and the
  ``tau`` where that minimum falls is the time of peak. Shafer and Gregg find the peak by
  iterating on ``tau``; the minimum over a 1 s grid gives the same rate in one vectorised
  step. Once Ce is on the target (and Cp near it) the rate that holds Cp on the target
  maintains it: at equilibrium Cp = Ce, and the peak rule alone would alternate between
  zero and double rates.

The pump constrains the result: a rate is clamped to ``[0, max]`` in mL/h and put on the
pump's rate resolution (to the nearest step for plasma targeting, down for effect-site
targeting so the peak never passes the target), so the schedule is exactly what the pump
runs and the predictions are those of that schedule, not of an idealised controller. The
state advances with the rate actually run, so rounding is corrected at the next update.
Every step is exact (``transition``: the matrix exponential of the model over the
interval); nothing here steps with Euler. Look-ahead rows and predicted curves come from
powers of those few transition matrices, so a 60 min schedule costs a handful of
milliseconds.

A TCI schedule is a prediction, not a clinic order. Its induction rates (hundreds of
mL/h for seconds) are far above the continuous dose-rate hard limits of the clinic's drug
library (:mod:`.drug_library_data`: at most 1.5 mg/kg/h for depression), which is right
for a fixed-rate antidepressant infusion and would refuse such a schedule. A pump program
a nurse starts is built by :mod:`.dosing` and :mod:`.titration` and passes
:func:`.drug_library.check`; nothing sends a TCI schedule to a pump.

References
----------
Jacobs JR. Algorithm for optimal linear model-based control with application to
pharmacokinetic model-driven drug delivery. IEEE Trans Biomed Eng 1990;37:107-109.
Shafer SL, Gregg KM. Algorithms to rapidly achieve and maintain stable drug
concentrations at the site of drug effect with a computer-controlled infusion pump.
J Pharmacokinet Biopharm 1992;20:147-169.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.errors import InvalidModel, InvalidProgram
from ketamine_clinic.pharmacology.models import NG_PER_ML_PER_MG_PER_L, S_PER_MIN, PatientModel
from ketamine_clinic.pharmacology.program import S_PER_H, InfusionProgram
from ketamine_clinic.pharmacology.solver import Transition, simulate, transition

FloatArray = npt.NDArray[np.float64]
TciMode = Literal["plasma", "effect-site"]

# A typical syringe-pump maximum: BD Alaris CC and B. Braun Perfusor Space both run up to
# 1200 mL/h.
DEFAULT_MAX_RATE_ML_PER_H: Final = 1200.0
DEFAULT_RATE_RESOLUTION_ML_PER_H: Final = 0.1
DEFAULT_UPDATE_INTERVAL_S: Final = 10.0
DEFAULT_PREDICTION_STEP_S: Final = 1.0

# A serial-controlled syringe pump takes at most about one rate command per second; a
# shorter interval would also make the schedule needlessly long.
MIN_UPDATE_INTERVAL_S: Final = 1.0
# A TCI schedule covers one session; a day bounds memory and run time.
MAX_DURATION_S: Final = 24 * 3600.0
MAX_PREDICTION_POINTS: Final = 2_000_000
# Above this many distinct interval layouts on the prediction grid, predict with simulate().
MAX_PREDICTION_GROUPS: Final = 4

# Grid of the effect-site peak search (s): the predicted peak is checked every second.
PEAK_SEARCH_STEP_S: Final = 1.0
# Horizon of the peak search beyond the interval, in effect-site time constants (1/ke0):
# the free effect-site course peaks when it meets the falling plasma curve, which takes a
# few time constants at most; 5 of them leave exp(-5) < 1% of the gap.
PEAK_SEARCH_KE0_TIME_CONSTANTS: Final = 5.0
MIN_PEAK_SEARCH_HORIZON_S: Final = 60.0

# Effect-site maintenance. The peak rule alone, once Ce sits on the target, alternates
# between zero and double rates (any Cp above Ce lifts the free Ce course over the target);
# the R package tci switches to plasma targeting near the target for the same reason. With
# Ce between 99% and 100.1% of the target and Cp between 80% and 100.5% of it, the rate
# that brings Cp to the target (rounded down) holds Ce there; Ce can then rise at most to
# the 100.5% that Cp had.
MAINTAIN_CE_LOW_FRACTION: Final = 0.99
MAINTAIN_CE_HIGH_FRACTION: Final = 1.001
MAINTAIN_CP_LOW_FRACTION: Final = 0.8
MAINTAIN_CP_HIGH_FRACTION: Final = 1.005

# "Reached" means within 1% of the target (the tracking the tests demand).
REACHED_FRACTION: Final = 0.01

PUMP_LIMITED_WARNING: Final = (
    "The pump's maximum rate ({max_ml_per_h:g} mL/h = {max_mg_per_h:g} mg/h at "
    "{concentration:g} mg/mL) limited {count} rate update(s), the first at {first_s:g} s: "
    "the target is reached later than it would be without that limit."
)
TARGET_NOT_REACHED_WARNING: Final = (
    "The {site} target of {target:g} ng/mL set at {start_s:g} s is not reached (within "
    "1%) before {end_s:g} s."
)
EFFECT_SITE_EVIDENCE_WARNING: Final = (
    "Effect-site targeting doses to the assumed ke0; plasma targeting is the "
    "evidence-based mode for ketamine."
)


# --------------------------------------------------------------------------------------
# Inputs and result
# --------------------------------------------------------------------------------------


def _require_finite(field: str, value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidProgram(field, f"must be a number ({unit})")
    f = float(value)
    if not math.isfinite(f):
        raise InvalidProgram(field, f"must be finite ({unit})")
    return f


def _require_positive(field: str, value: object, unit: str) -> float:
    f = _require_finite(field, value, unit)
    if f <= 0:
        raise InvalidProgram(field, f"must be > 0 {unit} (got {f:g})")
    return f


@dataclass(frozen=True, slots=True)
class PumpLimits:
    """What the syringe pump can run.

    Parameters
    ----------
    concentration_mg_per_ml : float
        Drug (base) per mL in the syringe; turns mg/h into the pump's mL/h.
    max_rate_ml_per_h : float
        The pump's maximum rate. 1200 mL/h is typical of syringe pumps (BD Alaris CC,
        B. Braun Perfusor Space).
    rate_resolution_ml_per_h : float
        The smallest rate step the pump accepts; every rate is a multiple of it.

    Raises
    ------
    InvalidProgram
        Naming the field: not a finite number > 0, or a resolution above the maximum.

    Examples
    --------
    >>> PumpLimits(concentration_mg_per_ml=10.0).max_rate_mg_per_h
    12000.0
    """

    concentration_mg_per_ml: float
    max_rate_ml_per_h: float = DEFAULT_MAX_RATE_ML_PER_H
    rate_resolution_ml_per_h: float = DEFAULT_RATE_RESOLUTION_ML_PER_H

    def __post_init__(self) -> None:
        conc = _require_positive("concentration_mg_per_ml", self.concentration_mg_per_ml, "mg/mL")
        top = _require_positive("max_rate_ml_per_h", self.max_rate_ml_per_h, "mL/h")
        res = _require_positive("rate_resolution_ml_per_h", self.rate_resolution_ml_per_h, "mL/h")
        if res > top:
            raise InvalidProgram(
                "rate_resolution_ml_per_h",
                f"must not exceed max_rate_ml_per_h ({res:g} > {top:g} mL/h)",
            )
        object.__setattr__(self, "concentration_mg_per_ml", conc)
        object.__setattr__(self, "max_rate_ml_per_h", top)
        object.__setattr__(self, "rate_resolution_ml_per_h", res)

    @property
    def max_steps(self) -> int:
        """The maximum rate in resolution steps (rounded down: never above the maximum).

        The 1e-9 forgives float noise in the division (2.0 / 0.01); the check after it
        keeps the promise when the maximum itself sits a hair below a step.
        """
        steps = math.floor(self.max_rate_ml_per_h / self.rate_resolution_ml_per_h + 1e-9)
        if self.steps_to_ml_per_h(steps) > self.max_rate_ml_per_h:
            steps -= 1
        return steps

    @property
    def max_rate_mg_per_h(self) -> float:
        return self.max_rate_ml_per_h * self.concentration_mg_per_ml

    def steps_to_ml_per_h(self, steps: int) -> float:
        """``steps`` resolution steps in mL/h, as the decimal a person reads (0.3, not
        0.30000000000000004)."""
        return float(Decimal(steps) * Decimal(repr(self.rate_resolution_ml_per_h)))


def _readonly(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class TciSchedule:
    """A TCI rate schedule and the concentrations the model predicts for it.

    Attributes
    ----------
    mode : {"plasma", "effect-site"}
    targets : tuple of (t_s, target_ng_per_ml)
        The target from each time on; the first at 0 s.
    update_interval_s : float
    pump : PumpLimits
    program : InfusionProgram
        The schedule in mg/h (what the solver runs); the last change stops the infusion
        at the end of the schedule.
    rate_change_times_s : tuple of float
        Times at which the pump's rate changes (consecutive equal rates merged), s.
    rates_ml_per_h : tuple of float
        The pump rate from each of those times on (multiples of the pump's resolution).
    update_times_s : tuple of float
        Every instant at which the controller chose a rate.
    t_s : ndarray, shape (T,)
        Prediction grid, 0 to ``duration_s``, every ``prediction_step_s``.
    cp_ng_per_ml : ndarray, shape (T,)
    ce_ng_per_ml : ndarray, shape (T,) or None
        None when the model has no effect site.
    total_dose_mg : float
    total_volume_ml : float
    duration_s : float
    model_name : str
    warnings : tuple of str
        The model's warnings, the assumed-ke0 statement whenever an effect-site curve is
        shown, and what limited the schedule.
    """

    mode: TciMode
    targets: tuple[tuple[float, float], ...]
    update_interval_s: float
    pump: PumpLimits
    program: InfusionProgram
    rate_change_times_s: tuple[float, ...]
    rates_ml_per_h: tuple[float, ...]
    update_times_s: tuple[float, ...]
    t_s: FloatArray
    cp_ng_per_ml: FloatArray
    ce_ng_per_ml: FloatArray | None
    total_dose_mg: float
    total_volume_ml: float
    duration_s: float
    model_name: str
    warnings: tuple[str, ...]

    def target_ng_per_ml_at(self, t_s: float) -> float:
        """The target in force at ``t_s`` (a change at ``t_s`` already applies)."""
        value = self.targets[0][1]
        for start_s, target in self.targets:
            if start_s <= t_s:
                value = target
        return value


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    targets: tuple[tuple[float, float], ...]
    duration_s: float
    update_interval_s: float
    prediction_step_s: float


def _validate(
    *,
    target_ng_per_ml: object,
    duration_s: object,
    pump: object,
    update_interval_s: object,
    target_changes: Sequence[tuple[float, float]],
    prediction_step_s: object,
) -> _Request:
    target = _require_positive("target_ng_per_ml", target_ng_per_ml, "ng/mL")
    duration = _require_positive("duration_s", duration_s, "s")
    if duration > MAX_DURATION_S:
        raise InvalidProgram("duration_s", f"must be <= {MAX_DURATION_S:g} s (24 h)")
    if not isinstance(pump, PumpLimits):
        raise InvalidProgram("pump", "must be a PumpLimits")
    interval = _require_positive("update_interval_s", update_interval_s, "s")
    if interval < MIN_UPDATE_INTERVAL_S:
        raise InvalidProgram(
            "update_interval_s",
            f"must be >= {MIN_UPDATE_INTERVAL_S:g} s (a pump takes about one rate change a second)",
        )
    step = _require_positive("prediction_step_s", prediction_step_s, "s")
    if duration / step > MAX_PREDICTION_POINTS:
        raise InvalidProgram(
            "prediction_step_s",
            f"gives more than {MAX_PREDICTION_POINTS} prediction points over {duration:g} s",
        )
    targets: list[tuple[float, float]] = [(0.0, target)]
    try:
        changes = list(target_changes)
    except TypeError:
        raise InvalidProgram("target_changes", "must be a sequence of (t_s, target)") from None
    for i, change in enumerate(changes):
        where = f"target_changes[{i}]"
        if not isinstance(change, (tuple, list)) or len(change) != 2:
            raise InvalidProgram(where, "must be a pair (t_s, target_ng_per_ml)")
        t = _require_finite(f"{where}.t_s", change[0], "s")
        value = _require_positive(f"{where}.target_ng_per_ml", change[1], "ng/mL")
        if not 0.0 < t < duration:
            raise InvalidProgram(f"{where}.t_s", f"must be > 0 s and < duration_s ({duration:g} s)")
        if t <= targets[-1][0]:
            raise InvalidProgram(f"{where}.t_s", "times must be strictly increasing")
        targets.append((t, value))
    return _Request(tuple(targets), duration, interval, step)


# --------------------------------------------------------------------------------------
# Precomputed one-interval responses
# --------------------------------------------------------------------------------------


def _floor_steps(rate_mg_per_h: float, unit_mg_per_h: float) -> int:
    """Whole resolution steps at or below the rate (1e-9 forgives float noise); >= 0."""
    return max(math.floor(rate_mg_per_h / unit_mg_per_h + 1e-9), 0)


def _nearest_steps(rate_mg_per_h: float, unit_mg_per_h: float) -> int:
    """The nearest whole number of resolution steps, halves up; >= 0."""
    return max(math.floor(rate_mg_per_h / unit_mg_per_h + 0.5), 0)


def _largest_rate_mg_per_h(free: FloatArray, pulse: FloatArray, ceiling: float) -> float:
    """Largest rate keeping ``free + rate * pulse <= ceiling`` at every tau.

    The pulse response is > 0 for tau > 0, so each tau bounds the rate from above and the
    binding tau is the time of the predicted peak (Shafer & Gregg's peak, found directly).
    A negative result means the free course alone exceeds the ceiling somewhere.
    """
    return float(np.min((ceiling - free) / pulse))


class _Transitions:
    """Exact one-step transitions, one ``expm`` per distinct step length.

    Everything else (look-ahead rows, pulse responses, predicted curves) is built from
    these by matrix products: a LAPACK call costs milliseconds when OpenBLAS threads
    compete for a busy core, a small matrix product microseconds.
    """

    def __init__(self, model: PatientModel) -> None:
        self.model = model
        self._cache: dict[float, Transition] = {}

    def __call__(self, dt_s: float) -> Transition:
        key = round(dt_s, 9)
        found = self._cache.get(key)
        if found is None:
            found = transition(self.model.system_matrix_per_s, self.model.input_vector, key)
            self._cache[key] = found
        return found


def _row_powers(readouts: FloatArray, phi: FloatArray, count: int) -> FloatArray:
    """``readouts @ phi^j`` for j = 0..count-1: shape (count, R, n), by doubling.

    ``readouts`` (R, n). Each row takes at most log2(count) products, so rounding stays
    near machine precision (no error grows with j as in a step-by-step recurrence).
    """
    out = np.empty((count, *readouts.shape))
    out[0] = readouts
    filled = 1
    power = phi  # phi ** filled
    while filled < count:
        take = min(filled, count - filled)
        out[filled : filled + take] = out[:take] @ power
        filled += take
        if filled < count:
            power = power @ power
    return out


@dataclass(frozen=True, eq=False)
class _Search:
    """The look-ahead of one update of length dt, on the peak-search grid ``tau``.

    ``tau`` is every second inside the interval, its end, then every second after it up
    to the horizon. ``free`` (R, m, n) maps a state to the course without further drug,
    ``pulse`` (R, m) is the course after a 1 mg/h pulse of length dt from zero; R read-outs
    (Ce, then Cp), ng/mL.
    """

    tau_s: FloatArray
    free: FloatArray
    pulse: FloatArray


def _build_search(
    transitions: _Transitions, readouts: FloatArray, dt_s: float, after_s: float
) -> _Search:
    """Look-ahead rows from powers of the one-second transition (no eigen-solve).

    With ``Phi_1 = expm(K * 1 s)`` and ``rows_j = r Phi_1^j``: inside the pulse, at j s,
    the response is ``sum_{i<j} rows_i gamma_1``; after it, at dt + j s, the free course is
    ``rows_j Phi_dt x`` and the pulse's is ``rows_j gamma_dt``.
    """
    one = transitions(PEAK_SEARCH_STEP_S)
    end = transitions(dt_s)
    inside = max(math.ceil(dt_s / PEAK_SEARCH_STEP_S - 1e-9) - 1, 0)  # grid points < dt
    after = math.ceil(after_s / PEAK_SEARCH_STEP_S)
    rows = _row_powers(readouts, one.phi, max(inside, after) + 1)
    tau_inside = np.arange(1, inside + 1) * PEAK_SEARCH_STEP_S
    tau_after = dt_s + np.arange(after + 1) * PEAK_SEARCH_STEP_S
    pulse_inside = np.cumsum(rows[:inside] @ one.gamma_per_mg_per_h, axis=0)
    free = np.concatenate((rows[1 : inside + 1], rows[: after + 1] @ end.phi))
    pulse = np.concatenate((pulse_inside, rows[: after + 1] @ end.gamma_per_mg_per_h))
    return _Search(
        tau_s=np.concatenate((tau_inside, tau_after)),
        free=np.ascontiguousarray(free.transpose(1, 0, 2)),
        pulse=np.ascontiguousarray(pulse.T),
    )


# --------------------------------------------------------------------------------------
# The controllers: a rate (in resolution steps, before the pump's maximum) per update
# --------------------------------------------------------------------------------------


class _PlasmaController:
    """Jacobs 1990: the rate that puts Cp(t + dt) on the target, to the nearest step."""

    def __init__(self, model: PatientModel, unit_mg_per_h: float) -> None:
        self.model = model
        self.unit_mg_per_h = unit_mg_per_h
        self.transitions = _Transitions(model)
        self.cp_readout = model.cp_readout_per_l * NG_PER_ML_PER_MG_PER_L

    def plasma_rate_mg_per_h(self, x: FloatArray, target: float, dt_s: float) -> float:
        """``(target - Cp_free(t + dt)) / Cp_unit(dt)``, unclamped."""
        step = self.transitions(dt_s)
        cp_free = float(self.cp_readout @ (step.phi @ x))
        cp_unit = float(self.cp_readout @ step.gamma_per_mg_per_h)
        return (target - cp_free) / cp_unit

    def rate_steps(self, x: FloatArray, target: float, dt_s: float) -> int:
        return _nearest_steps(self.plasma_rate_mg_per_h(x, target, dt_s), self.unit_mg_per_h)


class _EffectSiteController(_PlasmaController):
    """Shafer & Gregg 1992: the largest rate whose predicted peak Ce is the target."""

    def __init__(
        self,
        model: PatientModel,
        unit_mg_per_h: float,
        *,
        ce_readout_per_l: FloatArray,
        ke0_per_min: float,
        overshoot_fraction: float | None,
    ) -> None:
        super().__init__(model, unit_mg_per_h)
        self.ce_readout = ce_readout_per_l * NG_PER_ML_PER_MG_PER_L
        self.overshoot_fraction = overshoot_fraction
        self.after_s = max(
            PEAK_SEARCH_KE0_TIME_CONSTANTS * S_PER_MIN / ke0_per_min, MIN_PEAK_SEARCH_HORIZON_S
        )
        self._searches: dict[float, _Search] = {}

    def search(self, dt_s: float) -> _Search:
        found = self._searches.get(dt_s)
        if found is None:
            readouts = np.stack((self.ce_readout, self.cp_readout))
            found = _build_search(self.transitions, readouts, dt_s, self.after_s)
            self._searches[dt_s] = found
        return found

    def rate_steps(self, x: FloatArray, target: float, dt_s: float) -> int:
        search = self.search(dt_s)
        ce_now = float(self.ce_readout @ x)
        cp_now = float(self.cp_readout @ x)
        if (
            MAINTAIN_CE_LOW_FRACTION * target <= ce_now <= MAINTAIN_CE_HIGH_FRACTION * target
            and MAINTAIN_CP_LOW_FRACTION * target <= cp_now <= MAINTAIN_CP_HIGH_FRACTION * target
        ):
            # Maintenance: hold Cp on the target, rounded down so Cp (hence Ce) stays under.
            rate = self.plasma_rate_mg_per_h(x, target, dt_s)
            n_steps = _floor_steps(rate, self.unit_mg_per_h)
        else:
            rate = _largest_rate_mg_per_h(search.free[0] @ x, search.pulse[0], target)
            # Round down: the predicted peak must stay at or below the target.
            n_steps = _floor_steps(rate, self.unit_mg_per_h)
        if self.overshoot_fraction is not None:
            cap = target * (1.0 + self.overshoot_fraction)
            cap_rate = _largest_rate_mg_per_h(search.free[1] @ x, search.pulse[1], cap)
            if n_steps * self.unit_mg_per_h > cap_rate:
                n_steps = _floor_steps(cap_rate, self.unit_mg_per_h)
        return n_steps


def _update_times(
    targets: tuple[tuple[float, float], ...], duration_s: float, dt_s: float
) -> list[float]:
    """Updates every dt from 0, restarting at each target change (acted on at once)."""
    bounds = [t for t, _ in targets] + [duration_s]
    times: list[float] = []
    for start, end in itertools.pairwise(bounds):
        count = math.ceil((end - start) / dt_s - 1e-9)
        times.extend(start + k * dt_s for k in range(max(count, 1)))
    return times


def _predict(
    model: PatientModel,
    transitions: _Transitions,
    updates: list[float],
    duration_s: float,
    states_mg: FloatArray,
    rates_mg_per_h: FloatArray,
    end_state_mg: FloatArray,
    grid_s: FloatArray,
) -> tuple[FloatArray, FloatArray | None] | None:
    """Cp and Ce on the prediction grid from the states at the updates, or None.

    Grid points inside an interval lie at the same offsets from its start in almost every
    interval (0, 1, ..., 9 s of each 10 s interval), so the response rows are built once
    per distinct (length, count, first offset) from powers of the grid step's transition
    and applied to all those intervals at once. With more distinct layouts than
    ``MAX_PREDICTION_GROUPS`` (an interval that is no multiple of the step) the caller
    uses :func:`simulate` instead.
    """
    readout_list = [model.cp_readout_per_l]
    if model.ce_readout_per_l is not None:
        readout_list.append(model.ce_readout_per_l)
    readouts = np.stack(readout_list) * NG_PER_ML_PER_MG_PER_L  # (R, n)
    start = np.asarray(updates)
    lo = np.searchsorted(grid_s, start, side="left")
    last = int(np.searchsorted(grid_s, duration_s, side="left"))
    hi = np.append(lo[1:], last)
    ends = np.append(start[1:], duration_s)
    groups: dict[tuple[float, int, float], list[int]] = {}
    for k in np.flatnonzero(hi > lo).tolist():
        key = (
            round(float(ends[k] - start[k]), 9),
            int(hi[k] - lo[k]),
            round(float(grid_s[lo[k]] - start[k]), 9),
        )
        groups.setdefault(key, []).append(k)
    if len(groups) > MAX_PREDICTION_GROUPS:
        return None
    out = np.empty((readouts.shape[0], grid_s.size))
    for (_, count, first_s), members in groups.items():
        # rows[j] = r expm(K (first + j h)); unit[j]: response at that offset to 1 mg/h.
        rows = readouts[None]
        unit = np.zeros((1, readouts.shape[0]))
        if count > 1:
            step = transitions(float(grid_s[1] - grid_s[0]))
            rows = _row_powers(readouts, step.phi, count)
            unit = np.concatenate((unit, np.cumsum(rows[:-1] @ step.gamma_per_mg_per_h, axis=0)))
        if first_s > 0:
            lead = transitions(first_s)
            unit = unit + rows @ lead.gamma_per_mg_per_h
            rows = rows @ lead.phi
        ks = np.asarray(members)
        idx = lo[ks][:, None] + np.arange(count)[None, :]  # (G, count)
        # (G, n) x (count, R, n) -> (R, G, count)
        values = np.einsum("gn,jrn->rgj", states_mg[ks], rows)
        values += rates_mg_per_h[ks][None, :, None] * unit.T[:, None, :]
        out[:, idx] = values
    out[:, last:] = (readouts @ end_state_mg)[:, None]
    return out[0], (out[1] if readouts.shape[0] > 1 else None)


def _run(
    model: PatientModel,
    mode: TciMode,
    controller: _PlasmaController,
    request: _Request,
    pump: PumpLimits,
) -> TciSchedule:
    duration = request.duration_s
    targets = request.targets
    updates = _update_times(targets, duration, request.update_interval_s)
    conc = pump.concentration_mg_per_ml
    max_steps = pump.max_steps
    x = np.zeros(model.n_states)
    target_index = 0
    chosen: list[int] = []
    states: list[FloatArray] = []
    limited_at: list[float] = []
    for t, end in zip(updates, [*updates[1:], duration], strict=True):
        while target_index + 1 < len(targets) and targets[target_index + 1][0] <= t + 1e-9:
            target_index += 1
        # Rounded so that float noise in t does not make a new step length.
        dt = round(end - t, 9)
        n_steps = controller.rate_steps(x, targets[target_index][1], dt)
        if n_steps > max_steps:
            limited_at.append(t)
            n_steps = max_steps
        chosen.append(n_steps)
        states.append(x)
        step = controller.transitions(dt)
        x = step.phi @ x + step.gamma_per_mg_per_h * (n_steps * controller.unit_mg_per_h)

    # Merge equal consecutive rates; stop at the end of the schedule.
    change_times: list[float] = []
    change_steps: list[int] = []
    for t, n_steps in zip(updates, chosen, strict=True):
        if not change_steps or change_steps[-1] != n_steps:
            change_times.append(t)
            change_steps.append(n_steps)
    if change_steps[-1] != 0:
        change_times.append(duration)
        change_steps.append(0)
    rates_ml = tuple(pump.steps_to_ml_per_h(s) for s in change_steps)
    program = InfusionProgram(tuple(change_times), tuple(r * conc for r in rates_ml))
    seg_ends = [*change_times[1:], duration]
    volume_ml = sum(
        r * (e - s) / S_PER_H for r, s, e in zip(rates_ml, change_times, seg_ends, strict=True)
    )

    step_s = request.prediction_step_s
    grid: FloatArray = (
        np.arange(math.floor(duration / step_s + 1e-9) + 1, dtype=np.float64) * step_s
    )
    grid[-1] = min(grid[-1], duration)
    if duration - grid[-1] > 1e-9:
        grid = np.append(grid, duration)
    predicted = _predict(
        model,
        controller.transitions,
        updates,
        duration,
        np.array(states),
        np.array(chosen) * controller.unit_mg_per_h,
        x,
        grid,
    )
    if predicted is None:
        sim = simulate(model, program, grid)
        cp, ce = sim.cp_ng_per_ml, sim.ce_ng_per_ml
    else:
        cp, ce = predicted

    warnings = _warnings(
        model,
        mode,
        pump,
        limited_at,
        targets,
        duration,
        grid,
        ce if mode == "effect-site" else cp,
    )
    return TciSchedule(
        mode=mode,
        targets=targets,
        update_interval_s=request.update_interval_s,
        pump=pump,
        program=program,
        rate_change_times_s=tuple(change_times),
        rates_ml_per_h=rates_ml,
        update_times_s=tuple(updates),
        t_s=_readonly(grid),
        cp_ng_per_ml=_readonly(cp),
        ce_ng_per_ml=None if ce is None else _readonly(ce),
        total_dose_mg=volume_ml * conc,
        total_volume_ml=volume_ml,
        duration_s=duration,
        model_name=model.name,
        warnings=warnings,
    )


def _warnings(
    model: PatientModel,
    mode: TciMode,
    pump: PumpLimits,
    limited_at: list[float],
    targets: tuple[tuple[float, float], ...],
    duration_s: float,
    t_s: FloatArray,
    controlled_ng_per_ml: FloatArray | None,
) -> tuple[str, ...]:
    out = list(model.warnings)
    ke0_warning = model.ke0_warning
    # The schedule shows the effect-site curve whenever the model has one.
    if ke0_warning is not None and ke0_warning not in out:
        out.append(ke0_warning)
    if mode == "effect-site" and model.ke0_is_assumed:
        out.append(EFFECT_SITE_EVIDENCE_WARNING)
    if limited_at:
        out.append(
            PUMP_LIMITED_WARNING.format(
                max_ml_per_h=pump.steps_to_ml_per_h(pump.max_steps),
                max_mg_per_h=pump.steps_to_ml_per_h(pump.max_steps) * pump.concentration_mg_per_ml,
                concentration=pump.concentration_mg_per_ml,
                count=len(limited_at),
                first_s=limited_at[0],
            )
        )
    if controlled_ng_per_ml is not None:
        bounds = [t for t, _ in targets] + [duration_s]
        for (start, target), end in zip(targets, bounds[1:], strict=True):
            inside = (t_s >= start) & (t_s <= end)
            values = controlled_ng_per_ml[inside]
            if not np.any(np.abs(values - target) <= REACHED_FRACTION * target):
                out.append(
                    TARGET_NOT_REACHED_WARNING.format(
                        site="plasma" if mode == "plasma" else "effect-site",
                        target=target,
                        start_s=start,
                        end_s=end,
                    )
                )
    return tuple(out)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def plasma_tci(
    model: PatientModel,
    *,
    target_ng_per_ml: float,
    duration_s: float,
    pump: PumpLimits,
    update_interval_s: float = DEFAULT_UPDATE_INTERVAL_S,
    target_changes: Sequence[tuple[float, float]] = (),
    prediction_step_s: float = DEFAULT_PREDICTION_STEP_S,
) -> TciSchedule:
    """Plasma-targeted infusion (Jacobs 1990): hold the predicted Cp on the target.

    Parameters
    ----------
    model : PatientModel
        From :meth:`~.models.PKModel.for_patient`.
    target_ng_per_ml : float
        Plasma target from 0 s, ng/mL (> 0).
    duration_s : float
        Length of the schedule, s; the infusion stops at its end.
    pump : PumpLimits
        Syringe concentration, maximum rate and rate resolution.
    update_interval_s : float
        Time between rate updates, s (>= 1; STANPUMP used 10).
    target_changes : sequence of (t_s, target_ng_per_ml)
        Later targets, times strictly increasing in (0, duration_s). A change is acted on
        at once: the update grid restarts at it.
    prediction_step_s : float
        Step of the predicted concentration curves, s.

    Returns
    -------
    TciSchedule

    Raises
    ------
    InvalidProgram
        Naming the field and the reason (target <= 0 or not finite, duration <= 0, ...).

    Notes
    -----
    At each update t, with the state x and an interval D::

        rate = (target - Cp_free(t + D)) / Cp_unit(D),  Cp_free = c^T Phi(D) x,
        Cp_unit = c^T Gamma(D)

    clamped to ``[0, pump max]`` and rounded to the nearest resolution step in mL/h (so a
    lowered target gives rate 0 until the plasma concentration has fallen to it). The
    state then advances exactly with the rate actually run: rounding errors are corrected
    at the next update instead of accumulating.

    References
    ----------
    Jacobs JR. IEEE Trans Biomed Eng 1990;37:107-109.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> m = get_model("domino").for_patient(weight_kg=70)
    >>> s = plasma_tci(m, target_ng_per_ml=150, duration_s=1800,
    ...                pump=PumpLimits(concentration_mg_per_ml=10))
    >>> abs(float(s.cp_ng_per_ml[-1]) - 150) < 1.5
    True
    """
    request = _validate(
        target_ng_per_ml=target_ng_per_ml,
        duration_s=duration_s,
        pump=pump,
        update_interval_s=update_interval_s,
        target_changes=target_changes,
        prediction_step_s=prediction_step_s,
    )
    controller = _PlasmaController(
        model, pump.rate_resolution_ml_per_h * pump.concentration_mg_per_ml
    )
    return _run(model, "plasma", controller, request, pump)


def effect_site_tci(
    model: PatientModel,
    *,
    target_ng_per_ml: float,
    duration_s: float,
    pump: PumpLimits,
    update_interval_s: float = DEFAULT_UPDATE_INTERVAL_S,
    max_plasma_overshoot_fraction: float | None = None,
    target_changes: Sequence[tuple[float, float]] = (),
    prediction_step_s: float = DEFAULT_PREDICTION_STEP_S,
) -> TciSchedule:
    """Effect-site-targeted infusion (Shafer & Gregg 1992): peak Ce on the target.

    Parameters
    ----------
    model : PatientModel
        Must have an effect site (``ke0_per_min``). No measured ke0 exists for racemic
        ketamine: the result carries that warning, and plasma targeting is the
        evidence-based mode.
    target_ng_per_ml, duration_s, pump, update_interval_s, target_changes, prediction_step_s
        As in :func:`plasma_tci` (the target is an effect-site concentration).
    max_plasma_overshoot_fraction : float, optional
        Cap on the plasma concentration as a fraction above the target: 0.5 keeps the
        predicted Cp at or below 1.5 x target. None: no cap (fastest induction).

    Returns
    -------
    TciSchedule

    Raises
    ------
    InvalidModel
        The model has no effect site (field ``ke0_per_min``).
    InvalidProgram
        A bad input, naming the field and the reason.

    Notes
    -----
    At each update, with ``f(tau)`` the free effect-site course and ``g(tau)`` its
    response to a 1 mg/h pulse lasting one interval (both on a 1 s grid over the interval
    and ``5 / ke0`` beyond it)::

        rate = min_tau (target - f(tau)) / g(tau)

    is the rate whose predicted peak equals the target; the binding tau is the time of
    the peak (at least 60 s of search beyond the interval). With a cap, the same bound on
    Cp, ``min_tau (cap - Cp_free(tau)) / Cp_pulse(tau)``, also applies. A negative rate
    (the free course already exceeds the target, e.g. after the target was lowered) gives
    rate 0.

    Maintenance: with Ce within 99-100.1% of the target and Cp within 80-100.5% of it,
    the rate is the plasma rule's (:func:`plasma_tci`) for Cp = target, since Cp = Ce at
    equilibrium; the peak rule alone would alternate between zero and double rates. The
    R package tci does the same (switching to plasma targeting near the target).

    Every rate is rounded *down* to the pump's resolution, so neither the peak nor the
    cap is exceeded, and clamped to the pump's maximum.

    References
    ----------
    Shafer SL, Gregg KM. J Pharmacokinet Biopharm 1992;20:147-169.

    Examples
    --------
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> m = get_model("domino").for_patient(weight_kg=70)
    >>> s = effect_site_tci(m, target_ng_per_ml=150, duration_s=600,
    ...                     pump=PumpLimits(concentration_mg_per_ml=10))
    >>> bool(s.ce_ng_per_ml.max() <= 150 * 1.001)
    True
    """
    ce_readout = model.ce_readout_per_l
    ke0_per_min = model.ke0_per_min
    if model.effect_site_index is None or ce_readout is None or ke0_per_min is None:
        raise InvalidModel(
            "ke0_per_min",
            f"{model.title} has no effect site (ke0_per_min is None); effect-site TCI "
            "needs one: use plasma_tci or a model with a ke0",
        )
    request = _validate(
        target_ng_per_ml=target_ng_per_ml,
        duration_s=duration_s,
        pump=pump,
        update_interval_s=update_interval_s,
        target_changes=target_changes,
        prediction_step_s=prediction_step_s,
    )
    fraction: float | None = None
    if max_plasma_overshoot_fraction is not None:
        fraction = _require_finite(
            "max_plasma_overshoot_fraction", max_plasma_overshoot_fraction, "fraction"
        )
        if fraction < 0:
            raise InvalidProgram(
                "max_plasma_overshoot_fraction",
                f"must be >= 0 (0.5 lets Cp reach 1.5 x target; got {fraction:g})",
            )
    controller = _EffectSiteController(
        model,
        pump.rate_resolution_ml_per_h * pump.concentration_mg_per_ml,
        ce_readout_per_l=ce_readout,
        ke0_per_min=ke0_per_min,
        overshoot_fraction=fraction,
    )
    return _run(model, "effect-site", controller, request, pump)
