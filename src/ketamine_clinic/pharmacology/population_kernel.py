"""The population kernel: every sampled patient's exact Cp and Ce, reduced as produced.

All patients' system matrices are built at once
(:func:`~.models.mammillary_system_matrix_per_s` over parameter arrays) and
eigen-decomposed in batches. Each patient's exact solution is then a sum of exponentials
per program segment (the solver's method, with its safety checks and its exact
single-patient path for any patient whose decomposition is unsafe). It is evaluated one
tile of 64 times at a time for all patients, on ``workers`` threads: one set of
exponentials serves both Cp and Ce, thresholds are counted as the values are produced,
and each tile is sorted across patients (numpy's SIMD sort, GIL released) for its
percentiles. Memory stays at tens of MB whatever the number of patients or program
segments; the full float64 (P, T) matrix exists only when asked for.
(Why not :func:`~.solver.simulate_many` itself: see :func:`population_curves`.)
"""

from __future__ import annotations

import functools
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ketamine_clinic.pharmacology.models import NG_PER_ML_PER_MG_PER_L
from ketamine_clinic.pharmacology.population_sampling import SampledParameters
from ketamine_clinic.pharmacology.program import S_PER_H, InfusionProgram
from ketamine_clinic.pharmacology.solver import (
    MAX_EIGENVECTOR_CONDITION,
    MIN_RELATIVE_EIGENVALUE_GAP,
    simulate_states,
)

FloatArray = npt.NDArray[np.float64]

# Patients per batch of eigen-decompositions and per inner block of the kernel: 512 ran
# fastest here (see _TILE_ROWS).
CHUNK_PATIENTS: Final = 512


@dataclass(frozen=True, eq=False)
class Curves:
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


def population_curves(
    sampled: SampledParameters,
    program: InfusionProgram,
    t_sorted: FloatArray,
    *,
    percentiles: FloatArray,
    thresholds: FloatArray,
    keep: bool,
    workers: int,
) -> Curves:
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
    return Curves(bands=bands, above_counts=above_parts.sum(axis=0), ever_counts=ever, kept=kept)


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


def unsorted(values: FloatArray, order: npt.NDArray[np.intp]) -> FloatArray:
    """Undo the sort of the time axis (the last axis)."""
    if bool(np.all(order[1:] > order[:-1])):
        return values
    out = np.empty_like(values)
    out[..., order] = values
    return out
