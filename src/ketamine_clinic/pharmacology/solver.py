"""The exact solver of linear pharmacokinetic models under piecewise-constant input.

For ``dx/dt = K x + b u`` with u constant over a segment, the state after a time tau is
exact in closed form; nothing here steps with Euler or any other integrator.

Two exact methods, chosen per call:

* Eigen-decomposition (the fast path). ``K = V diag(w) V^-1``, so with ``c = V^-1 x0``
  and ``d = V^-1 b u``::

      x(tau) = V [ exp(w tau) * c + phi(w, tau) * d ],   phi(w, tau) = (exp(w tau) - 1) / w

  evaluated for all grid points of a segment at once (a sum of exponentials).
* Augmented matrix exponential (the fallback when eigenvalues are complex, repeated or
  near-equal, or V is ill-conditioned, e.g. the equal-rate transit chain of Simons 2022)::

      expm([[K, b], [0, 0]] tau) @ [x0, u] = [x(tau), u]

  A uniformly spaced run of grid points costs one ``scipy.linalg.expm`` and powers of it
  (by doubling); any other point costs one ``expm``.

Units: time in s, K per s, amounts in mg, rates in mg/h (as in :mod:`.program`; the
solver converts to mg/s), concentrations in ng/mL.

References
----------
Jacobs JR. Algorithm for optimal linear model-based control with application to
pharmacokinetic model-driven drug delivery. IEEE Trans Biomed Eng 1990;37:107-109.
Van Loan CF. Computing integrals involving the matrix exponential. IEEE Trans Autom
Control 1978;23:395-404 (the augmented matrix).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.linalg

from ketamine_clinic.pharmacology.errors import InvalidModel, InvalidTimeGrid
from ketamine_clinic.pharmacology.models import PatientModel
from ketamine_clinic.pharmacology.program import S_PER_H, InfusionProgram

FloatArray = npt.NDArray[np.float64]

# Above this condition number of the eigenvector matrix, rounding in V^-1 could cost more
# than 1e-10 relative accuracy: use the matrix exponential instead.
MAX_EIGENVECTOR_CONDITION: Final = 1e6
# Eigenvalues closer than this (relative) are treated as repeated.
MIN_RELATIVE_EIGENVALUE_GAP: Final = 1e-7
# Size of the tile of exponentials in states_at: under glibc's 128 kB mmap threshold, so
# it comes from the heap; 3,072 times for 4 states (fewer tiles ran faster than 1,024).
_TILE_BYTES: Final = 96 * 1024
# |w tau| below this: phi from its Taylor series (no cancellation in exp(z) - 1).
_SERIES_BELOW: Final = 1e-3


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Simulation:
    """The result of :func:`simulate`.

    Attributes
    ----------
    t_s : ndarray, shape (T,)
        The requested times, s, in the order given.
    amounts_mg : ndarray, shape (T, n_states)
        State at each time (see :class:`~.models.PatientModel` for the layout); at a
        bolus time the bolus is included.
    cp_ng_per_ml : ndarray, shape (T,)
        Plasma (central) concentration.
    ce_ng_per_ml : ndarray, shape (T,) or None
        Effect-site concentration; None when the model has no ke0.
    metabolite_ng_per_ml : ndarray, shape (T,) or None
        Metabolite plasma concentration (ng/mL of the metabolite); None without one.
    model : PatientModel
    program : InfusionProgram
    """

    t_s: FloatArray
    amounts_mg: FloatArray
    cp_ng_per_ml: FloatArray
    ce_ng_per_ml: FloatArray | None
    metabolite_ng_per_ml: FloatArray | None
    model: PatientModel
    program: InfusionProgram


@dataclass(frozen=True, eq=False)
class Transition:
    """One exact step of length ``dt_s`` under a constant rate.

    ``x(t + dt) = phi @ x(t) + gamma_per_mg_per_h * rate_mg_per_h``.

    Attributes
    ----------
    phi : ndarray, shape (..., n, n)
        ``expm(K dt)``.
    gamma_per_mg_per_h : ndarray, shape (..., n)
        State change (mg) over ``dt`` per 1 mg/h of infusion, from a zero state.
    dt_s : float
    """

    phi: FloatArray
    gamma_per_mg_per_h: FloatArray
    dt_s: float


# --------------------------------------------------------------------------------------
# Single-system propagation
# --------------------------------------------------------------------------------------


def _tile_points(n_states: int) -> int:
    """Times per tile of exponentials for a system of ``n_states`` (see _TILE_BYTES)."""
    return max(64, _TILE_BYTES // (8 * n_states))


def _phi(w: FloatArray, tau: FloatArray, e: FloatArray) -> FloatArray:
    """(exp(w tau) - 1) / w, accurate for small and zero w tau; e = exp(w tau)."""
    z = w * tau
    small = np.abs(z) < _SERIES_BELOW
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (e - 1.0) / w
    series = tau * (1.0 + z * (0.5 + z * (1.0 / 6.0 + z * (1.0 / 24.0 + z / 120.0))))
    return np.where(small, series, direct)


@dataclass(frozen=True, eq=False)
class _Eigen:
    w: FloatArray  # (n,)
    v: FloatArray  # (n, n)
    v_inv: FloatArray  # (n, n)
    v_inv_b: FloatArray  # (n,)


def _eigen_or_none(k: FloatArray, b: FloatArray) -> _Eigen | None:
    """Eigen-decomposition of K when it is safe to use, else None."""
    try:
        w, v = np.linalg.eig(k)
    except np.linalg.LinAlgError:
        return None
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if np.iscomplexobj(w):
        if float(np.max(np.abs(w.imag))) > 1e-12 * scale:
            return None
        w, v = w.real, v.real
    ws = np.sort(w)
    if ws.size > 1 and float(np.min(np.diff(ws))) < MIN_RELATIVE_EIGENVALUE_GAP * scale:
        return None
    if float(np.linalg.cond(v)) > MAX_EIGENVECTOR_CONDITION:
        return None
    v_inv = np.linalg.inv(v)
    return _Eigen(w=w, v=v, v_inv=v_inv, v_inv_b=v_inv @ b)


def _augmented(k: FloatArray, b: FloatArray) -> FloatArray:
    n = k.shape[-1]
    m = np.zeros((*k.shape[:-2], n + 1, n + 1))
    m[..., :n, :n] = k
    m[..., :n, n] = b
    return m


class _Propagator:
    """Exact propagation of one system from a state under a constant input."""

    def __init__(self, k: FloatArray, b: FloatArray) -> None:
        k = np.asarray(k, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if k.ndim != 2 or k.shape[0] != k.shape[1] or b.shape != (k.shape[0],):
            raise InvalidModel(
                "system_matrix_per_s", "must be (n, n) with an input vector of shape (n,)"
            )
        if not (np.all(np.isfinite(k)) and np.all(np.isfinite(b))):
            raise InvalidModel("system_matrix_per_s", "must be finite")
        self.n = k.shape[0]
        self.eigen = _eigen_or_none(k, b)
        self.augmented = _augmented(k, b)

    @property
    def method(self) -> str:
        return "eigen" if self.eigen is not None else "expm"

    def step(self, x0: FloatArray, u_mg_per_s: float, dt_s: float) -> FloatArray:
        """State after ``dt_s`` from ``x0`` under constant ``u``."""
        if dt_s == 0:
            return x0.copy()
        eig = self.eigen
        if eig is not None:
            tau = np.array(dt_s)
            e = np.exp(eig.w * tau)
            z = e * (eig.v_inv @ x0) + _phi(eig.w, tau, e) * (eig.v_inv_b * u_mg_per_s)
            return np.asarray(eig.v @ z, dtype=np.float64)
        a = scipy.linalg.expm(self.augmented * dt_s)
        return np.asarray(a[: self.n, : self.n] @ x0 + a[: self.n, self.n] * u_mg_per_s)

    def states_at(
        self,
        x0: FloatArray,
        u_mg_per_s: float,
        tau_s: FloatArray,
        *,
        out: FloatArray | None = None,
        workspace: FloatArray | None = None,
    ) -> FloatArray:
        """States at times ``tau_s`` (sorted, >= 0) after the start: shape (n, m).

        State-major layout: numpy's exp is several times faster over a long contiguous
        time axis than over an (m, n) array with a short last axis.

        ``out`` (n, m) receives the result. The exponentials are formed in tiles of
        :func:`_tile_points` times in ``workspace`` (n, that many): a simulation then
        allocates one large array, its result. Large temporaries freed and allocated
        again on every call make glibc trim and re-grow the heap, and the page faults
        cost more than the arithmetic (0.5 ms against 0.2 ms for 10,500 points of
        Domino, measured with ``getrusage`` minor faults).
        """
        m = tau_s.size
        if out is None:
            out = np.empty((self.n, m))
        if m == 0:
            return out
        eig = self.eigen
        if eig is not None:
            # x = V [e c + (e - 1)/w d] = V [e (c + d/w)] - V d/w: one exp per element.
            # Rounding is absolute, eps * |V d/w| (the steady-state amounts), so modes with
            # w tau_max tiny (or w = 0) take the series form of (e - 1)/w instead.
            w = eig.w
            c = eig.v_inv @ x0
            d = eig.v_inv_b * u_mg_per_s
            tiny = np.abs(w) * float(tau_s[-1]) < _SERIES_BELOW
            w_safe = np.where(tiny, 1.0, w)
            d_over_w = np.where(tiny, 0.0, d / w_safe)
            coef = (c + d_over_w)[:, None]
            rows = np.flatnonzero(tiny)
            offset = (eig.v @ d_over_w)[:, None]
            if workspace is None:
                workspace = np.empty((self.n, _tile_points(self.n)))
            tile = workspace.shape[1]
            for lo in range(0, m, tile):
                hi = min(lo + tile, m)
                tau = tau_s[None, lo:hi]
                z = workspace[:, : hi - lo]
                np.multiply(w[:, None], tau, out=z)
                np.exp(z, out=z)
                e_tiny = z[rows].copy() if rows.size else None
                z *= coef
                if e_tiny is not None:
                    z[rows] += _phi(w[rows, None], tau, e_tiny) * d[rows, None]
                np.matmul(eig.v, z, out=out[:, lo:hi])
                out[:, lo:hi] -= offset
            return out
        out[...] = self._states_at_expm(x0, u_mg_per_s, tau_s).T
        return out

    def _states_at_expm(self, x0: FloatArray, u: float, tau: FloatArray) -> FloatArray:
        n = self.n
        out = np.empty((tau.size, n + 1))
        anchor = np.append(x0, u)
        out[0] = scipy.linalg.expm(self.augmented * tau[0]) @ anchor if tau[0] else anchor
        if tau.size == 1:
            return out[:, :n]
        steps = np.diff(tau)
        # Runs of equal steps (to rounding of the times themselves).
        tol = 8.0 * np.finfo(np.float64).eps * max(1.0, float(tau[-1]))
        breaks = np.flatnonzero(np.abs(np.diff(steps)) > tol) + 1
        starts = np.concatenate(([0], breaks))
        ends = np.concatenate((breaks, [steps.size]))
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            count = e - s
            base = tau[s]
            dt = (tau[e] - base) / count
            grid = base + dt * np.arange(1, count + 1)
            if float(np.max(np.abs(grid - tau[s + 1 : e + 1]))) > tol * 4 * count:
                # Not an arithmetic progression after all: one expm per point.
                mats = scipy.linalg.expm(self.augmented[None] * steps[s:e, None, None])
                for j in range(count):
                    out[s + 1 + j] = mats[j] @ out[s + j]
                continue
            out[s + 1 : e + 1] = _powers_applied(
                scipy.linalg.expm(self.augmented * dt), out[s], count
            )
        return out[:, :n]


def _powers_applied(a: FloatArray, y: FloatArray, count: int) -> FloatArray:
    """[a y, a^2 y, ..., a^count y] by doubling: O(log count) matrix products."""
    out = np.empty((count, y.size))
    out[0] = a @ y
    filled = 1
    power = a  # a**filled
    while filled < count:
        take = min(filled, count - filled)
        out[filled : filled + take] = out[:take] @ power.T
        filled += take
        if filled < count:  # then take was the old `filled`: power becomes a**filled
            power = power @ power
    return out


# --------------------------------------------------------------------------------------
# Events of a program
# --------------------------------------------------------------------------------------


def _segments(
    program: InfusionProgram,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Segment starts (s), rate in each (mg/s), bolus at each start (mg); starts at 0."""
    starts = np.unique(np.concatenate(([0.0], program.rate_change_times_s, program.bolus_times_s)))
    change_t = program.change_times_array_s()
    rates = program.rates_array_mg_per_h()
    idx = np.searchsorted(change_t, starts, side="right") - 1
    rate_mg_per_s = np.where(idx >= 0, rates[np.maximum(idx, 0)] if rates.size else 0.0, 0.0)
    rate_mg_per_s = np.asarray(rate_mg_per_s, dtype=np.float64) / S_PER_H
    bolus = np.zeros(starts.size)
    if program.bolus_times_s:
        bolus[np.searchsorted(starts, np.asarray(program.bolus_times_s))] = program.boluses_mg
    return starts, rate_mg_per_s, bolus


def _check_grid(t_s: npt.ArrayLike) -> FloatArray:
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise InvalidTimeGrid("must be a one-dimensional array of times")
    if not np.all(np.isfinite(t)):
        raise InvalidTimeGrid("every time must be finite")
    if t.size and float(t.min()) < 0:
        raise InvalidTimeGrid("times must be >= 0 s")
    return t


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def simulate_states(
    system_matrix_per_s: FloatArray,
    input_vector: FloatArray,
    program: InfusionProgram,
    t_s: npt.ArrayLike,
    *,
    initial_state_mg: FloatArray | None = None,
) -> FloatArray:
    """Exact states of ``dx/dt = K x + b u`` on any time grid.

    Parameters
    ----------
    system_matrix_per_s : ndarray, shape (n, n)
        K, per second.
    input_vector : ndarray, shape (n,)
        b; the infusion enters as ``b * rate_mg_per_h / 3600`` and a bolus as ``b * mg``.
    program : InfusionProgram
    t_s : array_like, shape (T,)
        Output times, s, >= 0, in any order, not necessarily uniform.
    initial_state_mg : ndarray, shape (n,), optional
        State at t = 0 (default zeros).

    Returns
    -------
    ndarray, shape (T, n)
        States in mg, in the order of ``t_s``. At a bolus time the bolus is included.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.array([[-0.01]])
    >>> x = simulate_states(k, np.array([1.0]), InfusionProgram((), (), (0.0,), (10.0,)), [0, 100])
    >>> np.round(x[:, 0], 6)
    array([10.      ,  3.678794])
    """
    prop = _Propagator(np.asarray(system_matrix_per_s), np.asarray(input_vector))
    return _simulate_with(
        prop, np.asarray(input_vector, dtype=np.float64), program, t_s, initial_state_mg
    )


def _simulate_with(
    prop: _Propagator,
    b: FloatArray,
    program: InfusionProgram,
    t_s: npt.ArrayLike,
    initial_state_mg: FloatArray | None,
) -> FloatArray:
    t = _check_grid(t_s)
    x0 = (
        np.zeros(prop.n)
        if initial_state_mg is None
        else np.array(initial_state_mg, dtype=np.float64).reshape(prop.n)
    )
    starts, rates, boluses = _segments(program)
    if t.size < 2 or bool(np.all(t[1:] >= t[:-1])):
        return _run_segments(prop, b, x0, starts, rates, boluses, t).T
    order = np.argsort(t, kind="stable")
    out = np.empty((prop.n, t.size))
    out[:, order] = _run_segments(prop, b, x0, starts, rates, boluses, t[order])
    return out.T


def _run_segments(
    prop: _Propagator,
    b: FloatArray,
    x0: FloatArray,
    starts: FloatArray,
    rates: FloatArray,
    boluses: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """States (n, T) on the sorted grid ``t``, segment by segment."""
    out = np.empty((prop.n, t.size))
    x = x0
    # Grid points of segment j: starts[j] <= t < starts[j+1].
    bounds = np.append(np.searchsorted(t, starts, side="left"), t.size)
    last = t[-1] if t.size else -1.0
    workspace = np.empty((prop.n, _tile_points(prop.n)))
    for j in range(starts.size):
        if starts[j] > last:
            break
        x = x + b * boluses[j]
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi > lo:
            prop.states_at(
                x,
                float(rates[j]),
                t[lo:hi] - starts[j],
                out=out[:, lo:hi],
                workspace=workspace,
            )
        if j + 1 < starts.size and starts[j + 1] <= last:
            x = prop.step(x, float(rates[j]), float(starts[j + 1] - starts[j]))
    return out


def simulate(model: PatientModel, program: InfusionProgram, t_s: npt.ArrayLike) -> Simulation:
    """Simulate one patient exactly on any time grid.

    Parameters
    ----------
    model : PatientModel
        From :meth:`~.models.PKModel.for_patient`.
    program : InfusionProgram
        Rates in mg/h, boluses in mg.
    t_s : array_like, shape (T,)
        Output times, s from the start of the program (any order; need not be uniform or
        start at 0).

    Returns
    -------
    Simulation

    Notes
    -----
    Exact for piecewise-constant input: eigen-decomposition of K (a sum of exponentials
    for all points of a segment), or the augmented matrix exponential when K's
    eigenvectors are ill-conditioned. About 0.3 ms for 10,500 points of Domino.

    Examples
    --------
    >>> import numpy as np
    >>> from ketamine_clinic.pharmacology.models import get_model
    >>> from ketamine_clinic.pharmacology.program import constant_infusion
    >>> m = get_model("domino").for_patient(weight_kg=70)
    >>> sim = simulate(m, constant_infusion(35.0, 40 * 60), [40 * 60])
    >>> round(float(sim.cp_ng_per_ml[0]))
    240
    """
    prop = _Propagator(model.system_matrix_per_s, model.input_vector)
    t = _check_grid(t_s)
    states = _simulate_with(prop, model.input_vector, program, t, None)
    return Simulation(
        t_s=t,
        amounts_mg=states,
        cp_ng_per_ml=model.cp_ng_per_ml(states),
        ce_ng_per_ml=model.ce_ng_per_ml(states),
        metabolite_ng_per_ml=model.metabolite_ng_per_ml(states),
        model=model,
        program=program,
    )


def propagate(
    system_matrix_per_s: FloatArray,
    input_vector: FloatArray,
    state_mg: FloatArray,
    rate_mg_per_h: float,
    tau_s: npt.ArrayLike,
) -> FloatArray:
    """States at times ``tau_s`` after ``state_mg`` under a constant rate: shape (m, n).

    The building block of TCI look-ahead (e.g. the free decay ``rate_mg_per_h=0``, or the
    time of peak effect-site concentration after a dose). ``tau_s`` must be sorted.
    """
    prop = _Propagator(np.asarray(system_matrix_per_s), np.asarray(input_vector))
    tau = _check_grid(tau_s)
    if tau.size > 1 and bool(np.any(np.diff(tau) < 0)):
        raise InvalidTimeGrid("tau_s must be sorted")
    return prop.states_at(np.asarray(state_mg, dtype=np.float64), rate_mg_per_h / S_PER_H, tau).T


def transition(
    system_matrix_per_s: FloatArray, input_vector: FloatArray, dt_s: float
) -> Transition:
    """Exact one-step matrices (phi, gamma) for a step ``dt_s`` (TCI's update).

    Parameters
    ----------
    system_matrix_per_s : ndarray, shape (..., n, n)
        One system or a stack (leading patient axes).
    input_vector : ndarray, shape (n,) or (..., n)
    dt_s : float
        Step, s (> 0).

    Returns
    -------
    Transition
        ``phi`` (..., n, n) and ``gamma_per_mg_per_h`` (..., n), read off
        ``expm([[K, b], [0, 0]] dt)`` (no inverse of K needed).

    Notes
    -----
    ``x(t + dt) = phi x(t) + gamma_per_mg_per_h * rate_mg_per_h``. Stacks go through
    scipy's batched ``expm`` (about 0.1 ms per 4x4 system); compute it once per model and
    step size, not per step.

    Examples
    --------
    >>> import numpy as np
    >>> tr = transition(np.array([[-0.001]]), np.array([1.0]), 10.0)
    >>> float(np.round(tr.phi[0, 0], 8))
    0.99004983
    """
    k = np.asarray(system_matrix_per_s, dtype=np.float64)
    n = k.shape[-1]
    b = np.broadcast_to(np.asarray(input_vector, dtype=np.float64), (*k.shape[:-2], n))
    if not dt_s > 0:
        raise InvalidTimeGrid("dt_s must be > 0")
    a = scipy.linalg.expm(_augmented(k, b) * dt_s)
    return Transition(
        phi=np.ascontiguousarray(a[..., :n, :n]),
        gamma_per_mg_per_h=np.ascontiguousarray(a[..., :n, n]) / S_PER_H,
        dt_s=float(dt_s),
    )


# --------------------------------------------------------------------------------------
# Many patients at once
# --------------------------------------------------------------------------------------


def _batched_eigen(
    k: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Eigen-decompositions of a stack; ``ok`` is False where the fallback is needed."""
    w, v = np.linalg.eig(k)
    ok = np.ones(k.shape[0], dtype=bool)
    if np.iscomplexobj(w):
        scale = np.maximum(np.max(np.abs(w), axis=-1), 1e-300)
        ok &= np.max(np.abs(w.imag), axis=-1) <= 1e-12 * scale
        w, v = w.real.copy(), v.real.copy()
    scale = np.maximum(np.max(np.abs(w), axis=-1), 1e-300)
    ws = np.sort(w, axis=-1)
    if w.shape[-1] > 1:
        ok &= np.min(np.diff(ws, axis=-1), axis=-1) >= MIN_RELATIVE_EIGENVALUE_GAP * scale
    ok &= np.all(np.abs(w) > 0, axis=-1)
    v[~ok] = np.eye(k.shape[-1])
    v_inv = np.linalg.inv(v)
    cond = np.linalg.norm(v, axis=(-2, -1)) * np.linalg.norm(v_inv, axis=(-2, -1))
    ok &= cond <= MAX_EIGENVECTOR_CONDITION
    v_inv_b = np.einsum("pij,pj->pi", v_inv, b)
    return w, v, v_inv, v_inv_b, ok


def _many_chunk(
    k: FloatArray,
    b: FloatArray,
    r: FloatArray,
    starts: FloatArray,
    rates: FloatArray,
    boluses: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """Read-outs (P, T) for one chunk of patients; t sorted."""
    p, n = b.shape
    with np.errstate(all="ignore"):  # rows needing the fallback are recomputed below
        return _many_chunk_eigen(k, b, r, starts, rates, boluses, t, p, n)


def _many_chunk_eigen(
    k: FloatArray,
    b: FloatArray,
    r: FloatArray,
    starts: FloatArray,
    rates: FloatArray,
    boluses: FloatArray,
    t: FloatArray,
    p: int,
    n: int,
) -> FloatArray:
    w, v, v_inv, v_inv_b, ok = _batched_eigen(k, b)
    out = np.empty((p, t.size))
    rv = np.einsum("pi,pij->pj", r, v)  # read-out in modal coordinates
    x = np.zeros((p, n))
    bounds = np.append(np.searchsorted(t, starts, side="left"), t.size)
    last = t[-1] if t.size else -1.0
    for j in range(starts.size):
        if starts[j] > last:
            break
        x = x + b * boluses[j]
        c = np.einsum("pij,pj->pi", v_inv, x)
        d = v_inv_b * rates[j]
        d_over_w = d / w
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi > lo:
            tau = t[lo:hi] - starts[j]
            alpha = rv * (c + d_over_w)  # (P, n)
            seg = np.broadcast_to(-(rv * d_over_w).sum(axis=1)[:, None], (p, hi - lo)).copy()
            e = np.empty((p, hi - lo))
            for i in range(n):
                np.multiply(w[:, i, None], tau[None, :], out=e)
                np.exp(e, out=e)
                e *= alpha[:, i, None]
                seg += e
            out[:, lo:hi] = seg
        if j + 1 < starts.size and starts[j + 1] <= last:
            dt = starts[j + 1] - starts[j]
            ew = np.exp(w * dt)
            z = ew * c + _phi(w, np.asarray(dt), ew) * d
            x = np.einsum("pij,pj->pi", v, z)
    for i in np.flatnonzero(~ok).tolist():
        prop = _Propagator(k[i], b[i])
        out[i] = r[i] @ _run_segments(prop, b[i], np.zeros(n), starts, rates, boluses, t)
    return out


def simulate_many(
    system_matrices_per_s: FloatArray,
    input_vectors: FloatArray,
    readouts_per_l: FloatArray,
    program: InfusionProgram,
    t_s: npt.ArrayLike,
    *,
    chunk_size: int = 64,
    workers: int = 1,
) -> FloatArray:
    """Exact read-outs for many patients at once (population simulation).

    Parameters
    ----------
    system_matrices_per_s : ndarray, shape (P, n, n)
        One K per patient (build them vectorised with
        :func:`~.models.mammillary_system_matrix_per_s` from sampled parameter arrays).
    input_vectors : ndarray, shape (n,) or (P, n)
    readouts_per_l : ndarray, shape (n,) or (P, n)
        Weights giving the output in mg/L: e.g. ``1/V1`` at the central compartment for
        Cp, ``1/V1`` at the effect-site state for Ce. Multiply the result by 1000 for
        ng/mL.
    program : InfusionProgram
        The same program for every patient (mg/h, mg).
    t_s : array_like, shape (T,)
        Output times, s (any order).
    chunk_size : int
        Patients per chunk; the working arrays (``chunk_size * T`` floats) should fit in
        the L2 cache: 64-128 patients x 1,081 points ran 2-3x faster than 2,048.
    workers : int
        Threads over chunks (numpy's exp and arithmetic release the GIL).

    Returns
    -------
    ndarray, shape (P, T)
        ``readouts_per_l @ x(t)`` for each patient and time (mg/L).

    Notes
    -----
    Batched eigen-decompositions (``numpy.linalg.eig`` over the stack), then per segment
    ``y(tau) = sum_k alpha_k exp(w_k tau) + beta`` for all patients and grid points. A
    patient whose decomposition is unsafe (repeated or complex eigenvalues, ill-conditioned
    eigenvectors) is recomputed on the exact single-patient path. Cost is dominated by
    ``P * T * n`` exponentials: 100,000 patients x 1,081 points x 3 states is about 0.5 s
    of ``exp`` per core.

    Examples
    --------
    >>> import numpy as np
    >>> from ketamine_clinic.pharmacology.models import mammillary_system_matrix_per_s
    >>> from ketamine_clinic.pharmacology.program import constant_infusion
    >>> k10 = np.array([0.4, 0.5])
    >>> k = mammillary_system_matrix_per_s(k10_per_min=k10, compartment_count=1)
    >>> y = simulate_many(k, np.array([1.0]), np.array([1 / 4.4]), constant_infusion(35, 3300), [3300])
    >>> y.shape
    (2, 1)
    """
    k = np.asarray(system_matrices_per_s, dtype=np.float64)
    if k.ndim != 3 or k.shape[1] != k.shape[2]:
        raise InvalidModel("system_matrices_per_s", "must have shape (P, n, n)")
    p, n = k.shape[0], k.shape[1]
    b = np.broadcast_to(np.asarray(input_vectors, dtype=np.float64), (p, n))
    r = np.broadcast_to(np.asarray(readouts_per_l, dtype=np.float64), (p, n))
    t = _check_grid(t_s)
    order = np.argsort(t, kind="stable")
    ts = t[order]
    starts, rates, boluses = _segments(program)
    out = np.empty((p, t.size))
    chunks = [(lo, min(lo + chunk_size, p)) for lo in range(0, p, max(chunk_size, 1))]

    is_sorted = t.size < 2 or bool(np.all(t[1:] >= t[:-1]))

    def run(bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        y = _many_chunk(
            k[lo:hi], np.array(b[lo:hi]), np.array(r[lo:hi]), starts, rates, boluses, ts
        )
        if is_sorted:
            out[lo:hi] = y
        else:
            out[lo:hi, order] = y

    _map(run, chunks, workers)
    return out


def _map(fn: Callable[[tuple[int, int]], None], items: list[tuple[int, int]], workers: int) -> None:
    if workers <= 1 or len(items) <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(fn, items):
            pass
