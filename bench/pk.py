"""Side-by-side benchmark of the pharmacokinetic engine against opentiva and PyTCI.

Why this exists: the engine claims to be exact and much faster than the Python PK
libraries a clinic could otherwise use. Claims like that are only worth the run that backs
them, so this script runs the same scenarios through our engine, opentiva 1.1.2 and PyTCI
1.2.0 in one process, on one machine, and compares every result with an independent scipy
reference (``solve_ivp``, Radau, rtol 1e-12) built here from the published constants, not
from our model code.

Scenarios (70 kg, Domino, ke0 0.652 /min as the engine assumes):

1. single simulation: 35 mg over 55 min, then 2 h, Cp and Ce on a 1 s grid (10,500 points);
2. TCI: 60 min of plasma TCI and of effect-site TCI at 150 ng/mL, 1 mg/mL syringe,
   1200 mL/h pump;
3. population: 100,000 patients x 3 h on a 10 s grid (1,081 points), ours; the peers have
   no population mode, so they loop over a sample of patients and the cost of 100,000 is
   extrapolated (and labelled so).

The peers live in their own environment, ``bench/.venv-pk`` (created on first use, reused
after); this script re-executes itself there. The project's test environment never sees
them, and this is not a test: it asserts nothing and only reports.

Usage::

    make bench-pk                         # = .venv/bin/python bench/pk.py --write
    .venv/bin/python bench/pk.py          # print the report only
    .venv/bin/python bench/pk.py --quick  # fewer repeats and patients (a smoke run)
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import gc
import importlib.metadata
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar

# The engine's own dependencies, present in the project's .venv and in bench/.venv-pk alike;
# the peers are imported inside the functions that use them (only the bench env has them).
import numpy as np
import numpy.typing as npt
import scipy
from scipy.integrate import solve_ivp

from ketamine_clinic.pharmacology.models import get_model, mammillary_system_matrix_per_s
from ketamine_clinic.pharmacology.program import S_PER_H, InfusionProgram, constant_infusion
from ketamine_clinic.pharmacology.solver import simulate, simulate_many

FloatArray = npt.NDArray[np.float64]

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
BENCH_ENV: Final = REPO_ROOT / "bench" / ".venv-pk"
REQUIREMENTS: Final = REPO_ROOT / "bench" / "requirements-pk.txt"
DOC_PATH: Final = REPO_ROOT / "docs" / "benchmarks.md"
COMMAND: Final = "make bench-pk   # = .venv/bin/python bench/pk.py --write"

READING_START: Final = "<!-- reading:start (hand-written; bench/pk.py --write keeps it) -->"
READING_END: Final = "<!-- reading:end -->"
# docs/benchmarks.md holds one region per benchmark; --write replaces only its own.
SECTION_START: Final = "<!-- pk-bench:start (bench/pk.py --write rewrites this region) -->"
SECTION_END: Final = "<!-- pk-bench:end -->"

T = TypeVar("T")


# ======================================================================================
# The benchmark environment (standard library only: this runs before numpy is needed)
# ======================================================================================


def _pins() -> dict[str, str]:
    """Package name -> pinned version, from bench/requirements-pk.txt."""
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _env_python() -> Path:
    return BENCH_ENV / "bin" / "python"


def _running_in_bench_env() -> bool:
    return Path(sys.prefix).resolve() == BENCH_ENV.resolve()


def _run(args: Sequence[str | Path]) -> str:
    """Run a command of ours (fixed argument lists, no shell), failing loudly."""
    done = subprocess.run(  # noqa: S603 - our own argument list, no shell, no user input
        [str(a) for a in args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"bench: command failed ({done.returncode}): {' '.join(map(str, args))}")
    return done.stdout


_READY_CHECK: Final = """
import importlib.metadata as md, pathlib
import opentiva.pkpd, PyTCI.models.base, ketamine_clinic.pharmacology.solver as s
print(md.version("opentiva"), md.version("pytci"), pathlib.Path(s.__file__).resolve())
"""


def _env_is_ready(python: Path, pins: dict[str, str]) -> bool:
    """True when the env has the pinned peers and imports *this* checkout's engine."""
    if not python.exists():
        return False
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [str(python), "-c", _READY_CHECK], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return False
    opentiva_v, pytci_v, solver_path = done.stdout.split()
    ours = (REPO_ROOT / "src").resolve()
    return (
        opentiva_v == pins["opentiva"]
        and pytci_v == pins["pytci"]
        and Path(solver_path).is_relative_to(ours)
    )


def _install_opentiva(python: Path, version: str) -> None:
    """opentiva from its sdist with Cython present (no Python 3.11 wheel exists).

    The reference's recipe: ``pip download --no-binary :all: opentiva==1.1.2 -d dl`` then
    ``pip install --no-build-isolation ./dl/opentiva-1.1.2``; pip downloads a .tar.gz,
    which we unpack first.
    """
    with tempfile.TemporaryDirectory(prefix="opentiva-sdist-") as tmp:
        dl = Path(tmp)
        pip: list[str | Path] = [python, "-m", "pip"]
        spec = f"opentiva=={version}"
        _run([*pip, "download", "--quiet", "--no-deps", "--no-binary", ":all:", spec, "-d", dl])
        sdists = sorted(dl.glob(f"opentiva-{version}.tar.gz"))
        if len(sdists) != 1:
            raise SystemExit(f"bench: expected one opentiva sdist in {dl}, found {sdists}")
        with tarfile.open(sdists[0]) as archive:
            archive.extractall(dl, filter="data")
        _run([*pip, "install", "--quiet", "--no-build-isolation", dl / f"opentiva-{version}"])


def ensure_bench_env() -> Path:
    """Find bench/.venv-pk with the pinned peers, or create it; return its python."""
    pins = _pins()
    python = _env_python()
    if _env_is_ready(python, pins):
        return python
    print(f"bench: setting up {BENCH_ENV.relative_to(REPO_ROOT)} (once) ...", file=sys.stderr)
    if not python.exists():
        _run([sys.executable, "-m", "venv", BENCH_ENV])
    pip: list[str | Path] = [python, "-m", "pip"]
    # The engine itself, without the dev extras: only numpy and scipy matter here.
    _run([*pip, "install", "--quiet", "-e", REPO_ROOT])
    _run([*pip, "install", "--quiet", f"cython=={pins['cython']}", f"wheel=={pins['wheel']}"])
    _install_opentiva(python, pins["opentiva"])
    _run([*pip, "install", "--quiet", f"pytci=={pins['pytci']}"])
    if not _env_is_ready(python, pins):
        raise SystemExit("bench: the benchmark environment is still not usable after install")
    return python


def reexec_in_bench_env() -> None:
    """Continue this run inside bench/.venv-pk (creating it if needed)."""
    python = ensure_bench_env()
    sys.stdout.flush()
    os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606


# ======================================================================================
# Everything below runs inside the benchmark environment
# ======================================================================================

# --------------------------------------------------------------------------------------
# Scenario constants
# --------------------------------------------------------------------------------------

WEIGHT_KG: Final = 70.0
DOSE_MG: Final = 35.0
INFUSION_S: Final = 55 * 60
SINGLE_END_S: Final = INFUSION_S + 2 * 3600  # 10,500 s: grid 0, 1, ..., 10,499 s
TARGET_NG_PER_ML: Final = 150.0
TCI_DURATION_S: Final = 60 * 60
TCI_UPDATE_S: Final = 10
SYRINGE_MG_PER_ML: Final = 1.0
PUMP_MAX_ML_PER_H: Final = 1200.0
POPULATION_END_S: Final = 3 * 3600
POPULATION_STEP_S: Final = 10
POPULATION_SIZE: Final = 100_000

# Domino, per minute, typed in here from the reference (not imported from our models):
# the scipy reference and the peers get the same numbers, independently of our code.
DOMINO_V1_L_PER_KG: Final = 0.063
DOMINO_PER_MIN: Final = {
    "k10": 0.438,
    "k12": 0.592,
    "k13": 0.590,
    "k21": 0.247,
    "k31": 0.0146,
}
# opentiva 1.1.2's own Domino class carries four-digit constants; the bench overrides them
# with the reference's so that differences measure the solvers, and reports the effect.
OPENTIVA_STOCK_DOMINO_PER_MIN: Final = {
    "k10": 0.4381,
    "k12": 0.5921,
    "k13": 0.5900,
    "k21": 0.2470,
    "k31": 0.0146,
}
# Between-subject variability for the population *cost* runs of the peers and of the raw
# simulate_many row: log-normal, omega 0.3 on each constant (illustrative; the cost does
# not depend on the values, and the same patients go through every implementation).
BENCH_OMEGA: Final = 0.3
# "Non-negligible" concentrations for relative errors: above 1e-3 of the curve's maximum.
RELATIVE_ERROR_FLOOR: Final = 1e-3


def ke0_per_min() -> float:
    """Domino's assumed ke0 (the engine's value), used by every implementation."""
    value = get_model("domino").for_patient(weight_kg=WEIGHT_KG).ke0_per_min
    assert value is not None
    return value


def single_grid_s() -> FloatArray:
    """0, 1, ..., 10,499 s: opentiva's ``cp_over_time(list, 0, end)`` grid."""
    return np.arange(SINGLE_END_S, dtype=np.float64)


def population_grid_s() -> FloatArray:
    """0, 10, ..., 10,800 s (1,081 points)."""
    return np.arange(0, POPULATION_END_S + 1, POPULATION_STEP_S, dtype=np.float64)


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """Median wall time of ``runs`` repeats (after ``warmup`` untimed runs)."""

    median_s: float
    runs: int
    warmup: int
    all_s: tuple[float, ...] = field(default=())
    page_faults_per_run: float | None = None

    @property
    def fastest_s(self) -> float:
        """The fastest run: what the code costs when nothing else wants the CPU."""
        return min(self.all_s) if self.all_s else self.median_s


def measure(fn: Callable[[], T], *, runs: int, warmup: int = 1) -> tuple[Timing, T]:
    """Time ``fn`` with ``time.perf_counter``; return the median and the last result.

    The warm-up pays one-off costs (imports, caches, page faults) so the median describes
    the steady state a server would see. A garbage collection before the timed runs keeps
    earlier scenarios' garbage out of them.
    """
    result: T | None = None
    for _ in range(warmup):
        result = fn()
    gc.collect()
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return Timing(statistics.median(times), runs, warmup, tuple(times)), result


def measure_interleaved(
    fns: dict[str, tuple[Callable[[], Any], int]], *, rounds: int
) -> dict[str, tuple[Timing, Any]]:
    """Time several functions in alternating blocks: ``rounds`` x (each fn in a block).

    Other work on a shared 2-core machine comes and goes; timing each implementation in
    one block of its own would let a busy spell land on one of them only and bend the
    ratio, so the blocks alternate. Each block starts with an untimed run: right after
    another library's Python loop the caches are cold, and the median should describe a
    warm call for every implementation alike.
    """
    results: dict[str, Any] = {}
    times: dict[str, list[float]] = {name: [] for name in fns}
    faults = dict.fromkeys(fns, 0)
    gc.collect()
    for _ in range(rounds):
        for name, (fn, per_block) in fns.items():
            results[name] = fn()  # warm-up
            before = _minor_faults()
            for _ in range(per_block):
                start = time.perf_counter()
                results[name] = fn()
                times[name].append(time.perf_counter() - start)
            faults[name] += _minor_faults() - before
    return {
        name: (
            Timing(statistics.median(ts), len(ts), rounds, tuple(ts), faults[name] / len(ts)),
            results[name],
        )
        for name, ts in times.items()
    }


def _minor_faults() -> int:
    """Minor page faults of this process so far: memory the OS had to map in again."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(peer_s: float, ours_s: float) -> str:
    """How ours compares with a peer, read as a sentence: "15x faster", "1.7x slower"."""
    ratio = peer_s / ours_s
    if ratio < 1.0:
        return f"{1.0 / ratio:.1f}x slower"
    return f"{ratio:,.0f}x faster" if ratio >= 10 else f"{ratio:.1f}x faster"


def fmt_err(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


# --------------------------------------------------------------------------------------
# Accuracy
# --------------------------------------------------------------------------------------


def max_relative_error(values: FloatArray, reference: FloatArray) -> float:
    """Max |x - ref| / ref over points where ref is above 1e-3 of its maximum.

    Near zero (before the infusion starts, or Ce in the first second) a relative error is
    meaningless, so those points are left out; the floor is stated in the report.
    """
    mask = reference > RELATIVE_ERROR_FLOOR * float(np.max(reference))
    return float(np.max(np.abs(values[mask] - reference[mask]) / reference[mask]))


def _error_window(values: FloatArray, reference: FloatArray, start: int, stop: int) -> float:
    """Max relative error over grid indices [start, stop) (1 s grid: seconds)."""
    mask = np.zeros(reference.size, dtype=bool)
    mask[start:stop] = True
    mask &= reference > RELATIVE_ERROR_FLOOR * float(np.max(reference))
    return float(np.max(np.abs(values[mask] - reference[mask]) / reference[mask]))


@dataclass(frozen=True, slots=True)
class Curves:
    """Plasma and effect-site concentrations on one grid, ng/mL."""

    cp_ng_per_ml: FloatArray
    ce_ng_per_ml: FloatArray


# --------------------------------------------------------------------------------------
# The scipy reference
# --------------------------------------------------------------------------------------


def domino_system(
    weight_kg: float, constants_per_min: dict[str, float], ke0: float
) -> tuple[FloatArray, FloatArray, float]:
    """K (per s), input vector and V1 of Domino with an effect site, built by hand.

    States are amounts in mg: A1, A2, A3 and Ae = Ce V1. Written out here rather than
    taken from the engine, so the reference shares nothing with the code it checks.
    """
    c = {name: value / 60.0 for name, value in constants_per_min.items()}
    ke0_s = ke0 / 60.0
    k = np.array(
        [
            [-(c["k10"] + c["k12"] + c["k13"]), c["k21"], c["k31"], 0.0],
            [c["k12"], -c["k21"], 0.0, 0.0],
            [c["k13"], 0.0, -c["k31"], 0.0],
            [ke0_s, 0.0, 0.0, -ke0_s],
        ]
    )
    return k, np.array([1.0, 0.0, 0.0, 0.0]), DOMINO_V1_L_PER_KG * weight_kg


def reference_curves(
    k: FloatArray,
    b: FloatArray,
    v1_l: float,
    segments: Sequence[tuple[float, float]],
    grid_s: FloatArray,
    *,
    rtol: float = 1e-12,
) -> Curves:
    """Integrate dx/dt = K x + b u with Radau, restarting at every rate change.

    ``segments`` is ``[(start_s, rate_mg_per_s), ...]`` from t = 0; the last rate holds to
    the end of the grid. Restarting at the breaks keeps the integrator from stepping over
    a discontinuity of the input.
    """
    x = np.zeros(k.shape[0])
    out = np.empty((k.shape[0], grid_s.size))
    end = float(grid_s[-1])
    for i, (start, rate) in enumerate(segments):
        if start >= end:
            break
        stop = min(segments[i + 1][0], end) if i + 1 < len(segments) else end
        last = stop == end
        inside = (grid_s >= start) & ((grid_s < stop) | last)
        # Also evaluate at the break itself: the next segment starts from that state.
        t_eval = grid_s[inside] if last else np.append(grid_s[inside], stop)
        sol = solve_ivp(
            lambda _t, y, u=rate: k @ y + b * u,
            (start, stop),
            x,
            method="Radau",
            t_eval=t_eval,
            rtol=rtol,
            atol=1e-15,
            jac=k,
        )
        out[:, inside] = sol.y if last else sol.y[:, :-1]
        x = sol.y[:, -1]
    return Curves(1000.0 * out[0] / v1_l, 1000.0 * out[3] / v1_l)


def single_reference(rtol: float = 1e-12) -> Curves:
    k, b, v1 = domino_system(WEIGHT_KG, DOMINO_PER_MIN, ke0_per_min())
    segments = [(0.0, DOSE_MG / INFUSION_S), (float(INFUSION_S), 0.0)]
    return reference_curves(k, b, v1, segments, single_grid_s(), rtol=rtol)


# --------------------------------------------------------------------------------------
# The implementations, scenario 1: one simulation
# --------------------------------------------------------------------------------------


def ours_single() -> Curves:
    """Model scaled to the patient, then the exact solver on the grid (Cp and Ce)."""
    model = get_model("domino").for_patient(weight_kg=WEIGHT_KG)
    sim = simulate(model, constant_infusion(DOSE_MG, INFUSION_S), single_grid_s())
    assert sim.ce_ng_per_ml is not None
    return Curves(sim.cp_ng_per_ml, sim.ce_ng_per_ml)


def opentiva_domino(
    weight_kg: float = WEIGHT_KG,
    constants_per_min: dict[str, float] | None = None,
    v1_l: float | None = None,
) -> Any:
    """opentiva's Domino class, its constants set to the reference's (or given) ones."""
    from opentiva.ketamine import Domino

    model = Domino(0, 40, weight_kg, 170)
    for name, value in (constants_per_min or DOMINO_PER_MIN).items():
        setattr(model, name, value)
    if v1_l is not None:
        model.v1 = v1_l
    model.ke0 = ke0_per_min()
    return model


def opentiva_single(stock_constants: bool = False) -> Curves:
    """opentiva's PkPdModel: Cp by superposition at each second, then its Ce recursion."""
    from opentiva.pkpd import PkPdModel

    constants = OPENTIVA_STOCK_DOMINO_PER_MIN if stock_constants else DOMINO_PER_MIN
    pk = PkPdModel(opentiva_domino(constants_per_min=constants))
    # One row per infusion: start s, mg per second, duration s, end s.
    infusions = np.array([[0.0, DOSE_MG / INFUSION_S, INFUSION_S, INFUSION_S]])
    cp = pk.cp_over_time(infusions, 0, SINGLE_END_S)  # ug/mL = mg/L
    ce = pk.ce_over_time(cp)
    return Curves(1000.0 * cp[:, 1], 1000.0 * ce[:, 0])


def pytci_domino(
    mode: str,
    *,
    weight_kg: float = WEIGHT_KG,
    constants_per_min: dict[str, float] | None = None,
    v1_l: float | None = None,
) -> Any:
    """PyTCI's three-compartment class with Domino's numbers (it has no ketamine model).

    PyTCI keeps x1 and xeo as concentrations in dose units per litre: with doses in mg
    they are mg/L (= ug/mL); ``setup()`` turns the per-minute constants into per-second.
    """
    from PyTCI.models.base import Three

    constants = constants_per_min or DOMINO_PER_MIN

    class Domino(Three):  # type: ignore[misc]
        def __init__(self) -> None:
            self.v1 = v1_l if v1_l is not None else DOMINO_V1_L_PER_KG * weight_kg
            self.k10 = constants["k10"]
            self.k12 = constants["k12"]
            self.k13 = constants["k13"]
            self.k21 = constants["k21"]
            self.k31 = constants["k31"]
            self.keo = ke0_per_min()
            self.setup()

    model = Domino()
    model.set_integrator(mode)
    return model


def pytci_single(mode: str) -> Curves:
    """PyTCI stepped one second at a time, the way its API is meant to be driven."""
    model = pytci_domino(mode)
    rate = DOSE_MG / INFUSION_S
    out = np.zeros((SINGLE_END_S, 2))
    for i in range(1, SINGLE_END_S):
        if i <= INFUSION_S:
            model.giveoverseconds(rate, 1)
        else:
            model.wait_time(1)
        out[i] = model.x1, model.xeo
    return Curves(1000.0 * out[:, 0], 1000.0 * out[:, 1])


# --------------------------------------------------------------------------------------
# Results and rows
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One line of a report table."""

    name: str
    timing: Timing | None
    cp_error: float | None = None
    ce_error: float | None = None
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    """Everything one run measured, rendered to Markdown at the end."""

    quick: bool
    started: str
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    single: list[Row] = field(default_factory=list)
    single_facts: list[str] = field(default_factory=list)
    tci: list[Row] = field(default_factory=list)
    tci_facts: list[str] = field(default_factory=list)
    population: list[Row] = field(default_factory=list)
    population_facts: list[str] = field(default_factory=list)
    floors: list[tuple[str, str, str]] = field(default_factory=list)
    # Floor name -> (measured, verdict) with glibc's malloc thresholds fixed (section 1b).
    tuned_floors: dict[str, tuple[str, str]] = field(default_factory=dict)
    single_tuned: list[Row] = field(default_factory=list)
    single_tuned_facts: list[str] = field(default_factory=list)


def run_single(report: Report) -> None:
    """Scenario 1: 35 mg over 55 min then 2 h, 1 s grid, Cp and Ce."""
    rounds, per_block = (2, 5) if report.quick else (5, 9)
    ref_timing, ref = measure(single_reference, runs=1, warmup=0)
    tighter = single_reference(rtol=1e-13)
    report.single_facts.append(
        "scipy reference (Radau, rtol 1e-12, atol 1e-15 mg) against the same at rtol 1e-13: "
        f"Cp {max_relative_error(ref.cp_ng_per_ml, tighter.cp_ng_per_ml):.1e}, "
        f"Ce {max_relative_error(ref.ce_ng_per_ml, tighter.ce_ng_per_ml):.1e} relative."
    )

    timed = measure_interleaved(
        {
            "ours": (ours_single, 3 * per_block),
            "opentiva": (opentiva_single, per_block),
            "exact": (partial(pytci_single, "exact"), 2),
            "euler": (partial(pytci_single, "euler"), 2),
        },
        rounds=rounds,
    )
    ours_t, ours = timed["ours"]
    ot_t, ot = timed["opentiva"]
    exact_t, exact = timed["exact"]
    euler_t, euler = timed["euler"]
    stock = opentiva_single(stock_constants=True)

    def row(name: str, timing: Timing, curves: Curves, note: str = "") -> Row:
        return Row(
            name,
            timing,
            max_relative_error(curves.cp_ng_per_ml, ref.cp_ng_per_ml),
            max_relative_error(curves.ce_ng_per_ml, ref.ce_ng_per_ml),
            note,
        )

    report.single += [
        row("ours: `simulate` (eigen, exact)", ours_t, ours),
        row(
            "opentiva 1.1.2: `PkPdModel.cp_over_time` + `ce_over_time`",
            ot_t,
            ot,
            "Cp analytic; Ce by a 1 s interpolation recursion",
        ),
        row("PyTCI 1.2.0 exact (expm), 1 s steps", exact_t, exact),
        row("PyTCI 1.2.0 Euler, 1 s steps", euler_t, euler),
        Row("scipy `solve_ivp` Radau (the reference)", ref_timing, note="one run"),
    ]
    report.single_facts += [
        "Ours against the peers on the same grid (max relative difference, Cp / Ce): "
        f"opentiva {max_relative_error(ours.cp_ng_per_ml, ot.cp_ng_per_ml):.1e} / "
        f"{max_relative_error(ours.ce_ng_per_ml, ot.ce_ng_per_ml):.1e}, "
        f"PyTCI exact {max_relative_error(ours.cp_ng_per_ml, exact.cp_ng_per_ml):.1e} / "
        f"{max_relative_error(ours.ce_ng_per_ml, exact.ce_ng_per_ml):.1e}.",
        "opentiva's own Domino class has four-digit constants (k10 0.4381, k12 0.5921, "
        "k21 0.2470); the bench sets the reference's three-digit ones. With its stock "
        "constants opentiva's Cp differs from the reference by up to "
        f"{max_relative_error(stock.cp_ng_per_ml, ref.cp_ng_per_ml):.1e} (a model "
        "difference, not a solver error).",
        "Where the peers' errors sit: opentiva's Ce starts one second late (its recursion "
        "returns 0 while the previous Cp is 0) and interpolates Cp within each second: "
        f"{_error_window(ot.ce_ng_per_ml, ref.ce_ng_per_ml, 0, 60):.1e} in the first minute, "
        f"{_error_window(ot.ce_ng_per_ml, ref.ce_ng_per_ml, 60, 600):.1e} over 1-10 min, "
        f"{_error_window(ot.ce_ng_per_ml, ref.ce_ng_per_ml, 600, SINGLE_END_S):.1e} after. "
        f"PyTCI Euler's Cp is {_error_window(euler.cp_ng_per_ml, ref.cp_ng_per_ml, INFUSION_S, INFUSION_S + 1):.1e} "
        "off at the end of the infusion.",
        f"Cp at the end of the infusion (55 min): {ours.cp_ng_per_ml[INFUSION_S]:.1f} ng/mL "
        "(ours), reference says about 188.",
    ]
    report.floors += speed_floors(ours_t, ot_t, exact_t)
    report.single_facts.append(
        "Minor page faults per call during the timed runs (default allocator): ours "
        f"{ours_t.page_faults_per_run or 0:.0f}, opentiva {ot_t.page_faults_per_run or 0:.0f}, "
        f"PyTCI exact {exact_t.page_faults_per_run or 0:.0f} (see 1b)."
    )
    ours_err = max(report.single[0].cp_error or 0.0, report.single[0].ce_error or 0.0)
    report.floors.append(
        (
            "single simulation: error <= 1e-9 relative (Cp and Ce)",
            f"{ours_err:.1e}",
            _met(ours_err <= 1e-9),
        )
    )


FLOOR_OPENTIVA: Final = "single simulation: >= 10x faster than opentiva"
FLOOR_PYTCI: Final = "single simulation: >= 100x faster than PyTCI exact"


def speed_floors(ours: Timing, opentiva: Timing, pytci_exact: Timing) -> list[tuple[str, str, str]]:
    """The two speed floors of the single simulation, on medians."""
    ratio_ot = opentiva.median_s / ours.median_s
    ratio_exact = pytci_exact.median_s / ours.median_s
    return [
        (FLOOR_OPENTIVA, f"{ratio_ot:.1f}x", _met(ratio_ot >= 10)),
        (FLOOR_PYTCI, f"{ratio_exact:.0f}x", _met(ratio_exact >= 100)),
    ]


# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD: Final = -1
M_MMAP_THRESHOLD: Final = -3


def fix_glibc_malloc_thresholds() -> bool:
    """Keep freed memory in the process instead of handing it back to the OS each time.

    Why: our solver allocates a few arrays of 4 x 10,500 floats (336 KB) per call. By
    default glibc's thresholds adjust themselves, and depending on the heap's state it
    hands such blocks back to the OS after the call, so the next call faults them in again
    (up to about 220 faults, some 2 us each in this VM): up to twice the call's time. Fixing both thresholds (as ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` would at start-up) removes the faults. It cannot be undone
    in the process, so it runs after everything else.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    trim = libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)
    mmap = libc.mallopt(M_MMAP_THRESHOLD, 64 << 20)
    return bool(trim) and bool(mmap)


def run_single_malloc_fixed(report: Report) -> None:
    """Scenario 1 again, ours and the two peers of the floors, malloc thresholds fixed."""
    if not fix_glibc_malloc_thresholds():
        report.single_tuned_facts.append("glibc's mallopt is not available here: not run.")
        return
    rounds, per_block = (2, 5) if report.quick else (5, 9)
    timed = measure_interleaved(
        {
            "ours": (ours_single, 3 * per_block),
            "opentiva": (opentiva_single, per_block),
            "exact": (partial(pytci_single, "exact"), 2),
        },
        rounds=rounds,
    )
    names = {
        "ours": "ours: `simulate` (eigen, exact)",
        "opentiva": "opentiva 1.1.2: `PkPdModel.cp_over_time` + `ce_over_time`",
        "exact": "PyTCI 1.2.0 exact (expm), 1 s steps",
    }
    report.single_tuned = [Row(names[key], timing) for key, (timing, _) in timed.items()]
    report.single_tuned_facts.append(
        "Minor page faults per call during the timed runs with the thresholds fixed: "
        + ", ".join(
            f"{key} {timing.page_faults_per_run or 0:.0f}" for key, (timing, _) in timed.items()
        )
        + "."
    )
    floors = speed_floors(timed["ours"][0], timed["opentiva"][0], timed["exact"][0])
    report.tuned_floors = {name: (measured, verdict) for name, measured, verdict in floors}


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


# --------------------------------------------------------------------------------------
# Scenario 2: TCI
# --------------------------------------------------------------------------------------


def program_from_intervals(intervals: Sequence[tuple[float, float, float]]) -> InfusionProgram:
    """An InfusionProgram from (start_s, end_s, mg_per_s) intervals that may overlap.

    Every peer's plan is converted to one program and simulated with the same exact
    solver, so the tracking columns compare plans, not each library's own prediction.
    """
    bounds = sorted({t for start, end, _ in intervals for t in (start, end)})
    times: list[float] = []
    rates: list[float] = []
    for t in bounds:
        mg_per_s = sum(r for start, end, r in intervals if start <= t < end)
        if rates and abs(rates[-1] - mg_per_s * S_PER_H) < 1e-12:
            continue
        times.append(t)
        rates.append(mg_per_s * S_PER_H)
    return InfusionProgram(tuple(times), tuple(rates))


def program_from_periods(mg_per_s: Sequence[float], period_s: float) -> InfusionProgram:
    """PyTCI's plan: one rate per ``period_s``, then nothing."""
    intervals = [(i * period_s, (i + 1) * period_s, r) for i, r in enumerate(mg_per_s)]
    return program_from_intervals(intervals)


@dataclass(frozen=True, slots=True)
class Tracking:
    """How well a TCI plan reaches and holds its target (exact simulation, 1 s grid)."""

    reach_s: float | None
    controlled_min_pct: float
    controlled_max_pct: float
    cp_peak_ng_per_ml: float
    cp_end: float
    ce_end: float


def tracking(program: InfusionProgram, *, effect_site: bool) -> Tracking:
    """Time to within 5% of target, then the band the controlled concentration keeps.

    The controlled concentration is Cp for plasma TCI and Ce for effect-site TCI; the
    band is taken over 10-60 min, after every plan has settled.
    """
    t = np.arange(TCI_DURATION_S + 1, dtype=np.float64)
    model = get_model("domino").for_patient(weight_kg=WEIGHT_KG)
    sim = simulate(model, program, t)
    assert sim.ce_ng_per_ml is not None
    controlled = sim.ce_ng_per_ml if effect_site else sim.cp_ng_per_ml
    within = np.flatnonzero(np.abs(controlled - TARGET_NG_PER_ML) <= 0.05 * TARGET_NG_PER_ML)
    band = controlled[600:] / TARGET_NG_PER_ML * 100.0
    return Tracking(
        reach_s=float(t[within[0]]) if within.size else None,
        controlled_min_pct=float(band.min()),
        controlled_max_pct=float(band.max()),
        cp_peak_ng_per_ml=float(sim.cp_ng_per_ml.max()),
        cp_end=float(sim.cp_ng_per_ml[-1]),
        ce_end=float(sim.ce_ng_per_ml[-1]),
    )


def opentiva_tci(effect_site: bool) -> InfusionProgram:
    """opentiva's Pump: one target at t = 0 reached over 10 s, then its maintenance.

    ``run()`` plans the infusions and predicts Cp and Ce on a 1 s grid, as our TCI does.
    Targets are in ug/mL (its unit for ketamine), the syringe in mg/mL.
    """
    from opentiva.pump import Pump

    pump = Pump(
        opentiva_domino(),
        SYRINGE_MG_PER_ML,
        TCI_DURATION_S,
        max_infusion_rate=int(PUMP_MAX_ML_PER_H),
    )
    pump.add_target(0, TARGET_NG_PER_ML / 1000.0, TCI_UPDATE_S, effect_site)
    pump.run()
    rows = pump.infusion_list  # start s, mg per s, duration s, end s
    return program_from_intervals([(r[0], r[3], r[1]) for r in rows])


def pytci_tci(mode: str, effect_site: bool) -> InfusionProgram:
    """PyTCI's planners: a rate per 10 s period (mg/s); no pump limit in PyTCI."""
    model = pytci_domino(mode)
    target = TARGET_NG_PER_ML / 1000.0  # mg/L
    if effect_site:
        rates = model.effect_target(target, TCI_DURATION_S, TCI_UPDATE_S)
    else:
        rates = model.plasma_infusion(target, TCI_DURATION_S, TCI_UPDATE_S)
    return program_from_periods(rates, TCI_UPDATE_S)


def ours_tci(effect_site: bool) -> InfusionProgram:
    """Our TCI (tci.py), at the same syringe and pump limits as opentiva's Pump."""
    from ketamine_clinic.pharmacology.tci import PumpLimits, effect_site_tci, plasma_tci

    model = get_model("domino").for_patient(weight_kg=WEIGHT_KG)
    pump = PumpLimits(
        concentration_mg_per_ml=SYRINGE_MG_PER_ML, max_rate_ml_per_h=PUMP_MAX_ML_PER_H
    )
    planner = effect_site_tci if effect_site else plasma_tci
    schedule = planner(
        model,
        target_ng_per_ml=TARGET_NG_PER_ML,
        duration_s=float(TCI_DURATION_S),
        pump=pump,
        update_interval_s=float(TCI_UPDATE_S),
    )
    program: InfusionProgram = schedule.program
    return program


def _tci_available() -> str | None:
    """None when tci.py is in this checkout, else why the rows are missing."""
    try:
        import ketamine_clinic.pharmacology.tci  # noqa: F401
    except ImportError as exc:
        return f"our TCI is not in this checkout yet ({exc})"
    return None


def tci_row(name: str, timing: Timing, program: InfusionProgram, effect_site: bool) -> Row:
    track = tracking(program, effect_site=effect_site)
    reach = "never" if track.reach_s is None else f"{track.reach_s:.0f} s"
    return Row(
        name,
        timing,
        extra={
            "within 5% at": reach,
            "10-60 min band": f"{track.controlled_min_pct:.2f}-{track.controlled_max_pct:.2f}%",
            "Cp peak": f"{track.cp_peak_ng_per_ml:.0f}",
            "Cp / Ce at 60 min": f"{track.cp_end:.1f} / {track.ce_end:.1f}",
        },
    )


TCI_SETUP_FACTS: Final = (
    "What each timing covers: ours and opentiva plan the rates *and* predict Cp and Ce on "
    "a 1 s grid (our `TciSchedule` carries the curves; opentiva's `Pump.run()` returns "
    "them); PyTCI's planners return the rates only.",
    "Ours: rates every 10 s, rounded to the pump's 0.1 mL/h (plasma: to the nearest step; "
    "effect site: down, so the Ce peak never exceeds the target), no plasma-overshoot cap.",
    "opentiva: `add_target(0, 0.15 ug/mL, 10 s, effect)` with its defaults: the target "
    "reached over 10 s, then maintenance infusions of 300 s whose length doubles each "
    "time (300, 600, 1200 s ...); effect site by its bolus-only Shafer-Gregg method. Its "
    "long maintenance steps are why its controlled concentration sags between updates.",
    "PyTCI: one rate per 10 s period, no pump limit; `effect_target` re-plans a "
    "peak-targeted top-up every period over a 3,600 s horizon (that search is its cost).",
    "Time to target: first second at which the controlled concentration is within 5% of "
    "the target.",
)


def run_tci(report: Report) -> None:
    """Scenario 2: 60 min plasma and effect-site TCI at 150 ng/mL."""
    rounds, per_block = (2, 3) if report.quick else (5, 5)
    slow_runs = 1 if report.quick else 3
    missing = _tci_available()
    es_ours: Timing | None = None
    es_pytci: Timing | None = None
    for effect_site in (False, True):
        kind = "effect-site" if effect_site else "plasma"
        pytci_label = "effect_target" if effect_site else "plasma_infusion"
        fast: dict[str, tuple[Callable[[], Any], int]] = {}
        if missing is None:
            ours_name = f"ours: `{kind.replace('-', '_')}_tci`"
            fast[ours_name] = (partial(ours_tci, effect_site), per_block)
        fast["opentiva 1.1.2: `Pump.run()`"] = (partial(opentiva_tci, effect_site), per_block)
        slow: dict[str, Callable[[], Any]] = {}
        for mode in ("exact", "euler"):
            name = f"PyTCI 1.2.0 {mode}: `{pytci_label}`"
            if effect_site:  # about a second per plan: a few runs of their own
                slow[name] = partial(pytci_tci, mode, effect_site)
            else:
                fast[name] = (partial(pytci_tci, mode, effect_site), per_block)
        timed = measure_interleaved(fast, rounds=rounds)
        for name, fn in slow.items():
            timed[name] = measure(fn, runs=slow_runs)
        rows = [tci_row(name, t, program, effect_site) for name, (t, program) in timed.items()]
        ours_t = rows[0].timing if missing is None else None
        for r in rows:
            r.extra = {"TCI": kind, **r.extra}
            if ours_t is not None and r.timing is not None and r is not rows[0]:
                r.note = fmt_ratio(r.timing.median_s, ours_t.median_s)
        report.tci += rows
        if effect_site:
            es_ours = ours_t
            es_pytci = timed[f"PyTCI 1.2.0 exact: `{pytci_label}`"][0]
    if missing is not None:
        report.tci_facts.append(missing)
    report.tci_facts += TCI_SETUP_FACTS
    if es_ours is not None:
        pytci_note = "" if es_pytci is None else f"; PyTCI exact {fmt_time(es_pytci.median_s)}"
        report.floors.append(
            (
                "effect-site TCI for 60 min: under 50 ms",
                fmt_time(es_ours.median_s) + pytci_note,
                _met(es_ours.median_s < 0.050),
            )
        )
    else:
        report.floors.append(("effect-site TCI for 60 min: under 50 ms", "not run", "pending"))


# --------------------------------------------------------------------------------------
# Scenario 3: population
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Patients:
    """Sampled Domino patients at 70 kg: V1 (L) and rate constants (per min)."""

    v1_l: FloatArray
    constants_per_min: dict[str, FloatArray]

    def __len__(self) -> int:
        return int(self.v1_l.size)

    def constants_of(self, i: int) -> dict[str, float]:
        return {name: float(values[i]) for name, values in self.constants_per_min.items()}


def sample_patients(n: int, seed: int = 0) -> Patients:
    """theta * exp(eta), eta ~ N(0, omega^2), independently for V1 and each constant."""
    rng = np.random.default_rng(seed)
    v1 = DOMINO_V1_L_PER_KG * WEIGHT_KG * np.exp(rng.normal(0.0, BENCH_OMEGA, n))
    constants = {
        name: value * np.exp(rng.normal(0.0, BENCH_OMEGA, n))
        for name, value in DOMINO_PER_MIN.items()
    }
    return Patients(v1, constants)


def ours_many(patients: Patients, workers: int) -> FloatArray:
    """simulate_many on the sampled patients' K matrices: Cp (ng/mL), shape (P, T)."""
    c = patients.constants_per_min
    k = mammillary_system_matrix_per_s(
        k10_per_min=c["k10"],
        k12_per_min=c["k12"],
        k13_per_min=c["k13"],
        k21_per_min=c["k21"],
        k31_per_min=c["k31"],
        compartment_count=3,
    )
    readout = np.zeros((len(patients), 3))
    readout[:, 0] = 1.0 / patients.v1_l
    mg_per_l = simulate_many(
        k,
        np.array([1.0, 0.0, 0.0]),
        readout,
        constant_infusion(DOSE_MG, INFUSION_S),
        population_grid_s(),
        workers=workers,
    )
    return 1000.0 * mg_per_l


def opentiva_patients(patients: Patients) -> FloatArray:
    """opentiva has no population mode: one PkPdModel per patient, Cp at each grid time."""
    from opentiva.pkpd import PkPdModel

    grid = [int(t) for t in population_grid_s()]
    infusions = np.array([[0.0, DOSE_MG / INFUSION_S, INFUSION_S, INFUSION_S]])
    out = np.empty((len(patients), len(grid)))
    for i in range(len(patients)):
        model = opentiva_domino(constants_per_min=patients.constants_of(i), v1_l=patients.v1_l[i])
        pk = PkPdModel(model)
        out[i] = [pk.calculate_cp(infusions, t) for t in grid]
    return 1000.0 * out


def pytci_patients(patients: Patients, mode: str) -> FloatArray:
    """PyTCI has no population mode: one model per patient, stepped 10 s at a time."""
    steps = POPULATION_END_S // POPULATION_STEP_S
    infusing = INFUSION_S // POPULATION_STEP_S
    rate = DOSE_MG / INFUSION_S
    out = np.zeros((len(patients), steps + 1))
    for i in range(len(patients)):
        model = pytci_domino(
            mode, constants_per_min=patients.constants_of(i), v1_l=float(patients.v1_l[i])
        )
        for j in range(1, steps + 1):
            if j <= infusing:
                model.giveoverseconds(rate, POPULATION_STEP_S)
            else:
                model.wait_time(POPULATION_STEP_S)
            out[i, j] = model.x1
    return 1000.0 * out


def population_reference(patients: Patients, count: int) -> FloatArray:
    """The scipy reference for the first ``count`` sampled patients (Cp, ng/mL)."""
    out = np.empty((count, population_grid_s().size))
    for i in range(count):
        k, b, _ = domino_system(WEIGHT_KG, patients.constants_of(i), ke0_per_min())
        segments = [(0.0, DOSE_MG / INFUSION_S), (float(INFUSION_S), 0.0)]
        out[i] = reference_curves(
            k, b, float(patients.v1_l[i]), segments, population_grid_s()
        ).cp_ng_per_ml
    return out


def max_relative_error_rows(values: FloatArray, reference: FloatArray) -> float:
    return max(max_relative_error(v, r) for v, r in zip(values, reference, strict=True))


def _population_available() -> str | None:
    try:
        import ketamine_clinic.pharmacology.population  # noqa: F401
    except ImportError as exc:
        return f"our population module is not in this checkout yet ({exc})"
    return None


def ours_population() -> Any:
    """simulate_population as a clinic would call it (its own sampling included)."""
    from ketamine_clinic.pharmacology.population import simulate_population

    return simulate_population(
        get_model("domino"),
        constant_infusion(DOSE_MG, INFUSION_S),
        population_grid_s(),
        n_patients=POPULATION_SIZE,
        weight_kg=WEIGHT_KG,
        seed=0,
    )


POPULATION_SETUP_FACTS: Final = (
    "`simulate_population` is the call a clinic makes: it samples 100,000 patients (its "
    "default, assumed 30% CV on every volume and clearance, seed 0), solves them and "
    "returns Cp and Ce percentile bands (5th-95th) at each of the 1,081 times; threads: its "
    "default, min(2, cores). This is the row the 2 s floor applies to.",
    "`simulate_many` raw: the solver alone on the bench's own sampled K matrices, Cp only, "
    "returning the full 100,000 x 1,081 float64 matrix (865 MB; allocating it is part of "
    "the time).",
    "opentiva and PyTCI have no population mode: the bench builds one model per patient "
    "and loops; their time for 100,000 patients is the sample's time scaled linearly "
    "(their per-patient cost does not depend on the patient).",
)


def run_population(report: Report) -> None:
    """Scenario 3: 100,000 patients x 3 h on a 10 s grid; peers on a sample."""
    runs = 3 if report.quick else 7
    peer_n = 100 if report.quick else 1000
    reference_n = 3 if report.quick else 10
    patients = sample_patients(POPULATION_SIZE)
    sample = Patients(
        patients.v1_l[:peer_n], {k: v[:peer_n] for k, v in patients.constants_per_min.items()}
    )
    reference = population_reference(patients, reference_n)
    scale = POPULATION_SIZE / peer_n

    missing = _population_available()
    headline: Timing | None = None
    if missing is None:
        headline, _ = measure(ours_population, runs=runs)
        report.population.append(
            Row("ours: `simulate_population` (sampling + percentiles)", headline, note="measured")
        )
    else:
        report.population_facts.append(missing)

    for workers in (1, 2):
        t, cp = measure(partial(ours_many, patients, workers), runs=runs)
        report.population.append(
            Row(
                f"ours: `simulate_many` raw, workers={workers}",
                t,
                cp_error=max_relative_error_rows(cp[:reference_n], reference),
                note="measured",
            )
        )
        if workers == 1:
            ours_sample = cp[:peer_n]

    peers: list[tuple[str, Callable[[], FloatArray]]] = [
        ("opentiva 1.1.2: loop of `PkPdModel` + `calculate_cp`", lambda: opentiva_patients(sample)),
        ("PyTCI 1.2.0 exact: loop of models, 10 s steps", lambda: pytci_patients(sample, "exact")),
        ("PyTCI 1.2.0 Euler: loop of models, 10 s steps", lambda: pytci_patients(sample, "euler")),
    ]
    for name, fn in peers:
        t, cp = measure(fn, runs=1, warmup=0)
        extrapolated = Timing(t.median_s * scale, 1, 0, ())
        report.population.append(
            Row(
                name,
                extrapolated,
                cp_error=max_relative_error_rows(cp[:reference_n], reference),
                note=f"**extrapolated** x{scale:,.0f} from {peer_n:,} patients "
                f"({fmt_time(t.median_s)}); vs ours on the same {peer_n:,}: "
                f"{max_relative_error_rows(cp, ours_sample):.1e}",
            )
        )

    report.population_facts += POPULATION_SETUP_FACTS
    report.population_facts.append(
        f"Errors: max relative Cp error against the scipy reference over the first "
        f"{reference_n} sampled patients (Radau per patient, rtol 1e-12). The bench's "
        f"sampled patients: log-normal, omega {BENCH_OMEGA} on V1 and each rate constant, "
        "seed 0; the peers run the first patients of the same sample."
    )
    if headline is not None:
        report.floors.append(
            (
                "100,000-patient population (3 h, 10 s grid): under 2 s",
                fmt_time(headline.median_s),
                _met(headline.median_s < 2.0),
            )
        )
    else:
        report.floors.append(
            ("100,000-patient population (3 h, 10 s grid): under 2 s", "not run", "pending")
        )


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def engine_commit() -> str:
    """The checkout's commit, marked when the working tree has changes under src/."""
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    head = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "-C", str(REPO_ROOT), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head or 'unknown'}" + (" (+ uncommitted changes under src/)" if dirty else "")


def versions() -> list[tuple[str, str]]:
    import numpy

    return [
        ("Python", platform.python_version()),
        ("numpy", numpy.__version__),
        ("scipy", scipy.__version__),
        ("opentiva", importlib.metadata.version("opentiva")),
        ("PyTCI (pytci)", importlib.metadata.version("pytci")),
        ("Cython (builds opentiva)", importlib.metadata.version("cython")),
    ]


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_single(report: Report) -> list[str]:
    ours = report.single[0].timing
    assert ours is not None
    rows = []
    for r in report.single:
        assert r.timing is not None
        first = r is report.single[0]
        speed = "-" if first else fmt_ratio(r.timing.median_s, ours.median_s)
        best = "-" if first else fmt_ratio(r.timing.fastest_s, ours.fastest_s)
        rows.append(
            [
                r.name,
                fmt_time(r.timing.median_s),
                fmt_time(r.timing.fastest_s),
                str(r.timing.runs),
                speed,
                best,
                fmt_err(r.cp_error),
                fmt_err(r.ce_error),
                r.note or "",
            ]
        )
    header = [
        "implementation",
        "median",
        "fastest run",
        "runs",
        "ours is (medians)",
        "ours is (fastest runs)",
        "Cp max rel. error",
        "Ce max rel. error",
        "note",
    ]
    return md_table(header, rows)


def render_floors(report: Report) -> list[str]:
    """Verdicts as measured, and for the speed floors also with malloc thresholds fixed."""
    rows = []
    for name, measured, verdict in report.floors:
        tuned_measured, tuned_verdict = report.tuned_floors.get(name, ("-", "-"))
        rows.append([name, measured, verdict, tuned_measured, tuned_verdict])
    header = ["floor", "measured", "verdict", "with malloc thresholds fixed (1b)", "verdict (1b)"]
    return md_table(header, rows)


def render_single_tuned(report: Report) -> list[str]:
    if not report.single_tuned:
        return [*report.single_tuned_facts] or ["(not run)"]
    ours = report.single_tuned[0].timing
    assert ours is not None
    rows = []
    for r in report.single_tuned:
        assert r.timing is not None
        first = r is report.single_tuned[0]
        speed = "-" if first else fmt_ratio(r.timing.median_s, ours.median_s)
        best = "-" if first else fmt_ratio(r.timing.fastest_s, ours.fastest_s)
        time_s, fastest = fmt_time(r.timing.median_s), fmt_time(r.timing.fastest_s)
        rows.append([r.name, time_s, fastest, str(r.timing.runs), speed, best])
    header = [
        "implementation",
        "median",
        "fastest run",
        "runs",
        "ours is (medians)",
        "ours is (fastest runs)",
    ]
    return md_table(header, rows)


def render_tci(report: Report) -> list[str]:
    keys = ["TCI", "within 5% at", "10-60 min band", "Cp peak", "Cp / Ce at 60 min"]
    rows = []
    for r in report.tci:
        assert r.timing is not None
        rows.append(
            [r.extra["TCI"], r.name, fmt_time(r.timing.median_s), str(r.timing.runs), r.note or "-"]
            + [r.extra[k] for k in keys[1:]]
        )
    header = [
        "TCI",
        "implementation",
        "median",
        "runs",
        "ours is",
        "controlled C within 5% of target at",
        "controlled C, 10-60 min (% of target)",
        "Cp peak (ng/mL)",
        "Cp / Ce at 60 min (ng/mL)",
    ]
    return md_table(header, rows)


def render_population(report: Report) -> list[str]:
    headline = next((r.timing for r in report.population if "simulate_population" in r.name), None)
    rows = []
    for r in report.population:
        assert r.timing is not None
        speed = "-"
        if headline is not None and r.name.startswith(("opentiva", "PyTCI")):
            speed = fmt_ratio(r.timing.median_s, headline.median_s)
        time_s, runs = fmt_time(r.timing.median_s), str(r.timing.runs)
        rows.append([r.name, time_s, runs, speed, fmt_err(r.cp_error), r.note])
    header = [
        "implementation",
        "time for 100,000 patients",
        "runs",
        "`simulate_population` is",
        "Cp max rel. error",
        "how",
    ]
    return md_table(header, rows)


def render(report: Report, reading: str) -> str:
    """The PK region of docs/benchmarks.md."""
    cores = os.cpu_count()
    machine = [
        ("cores (os.cpu_count)", str(cores)),
        ("CPU (/proc/cpuinfo)", cpu_model()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("engine (git)", engine_commit()),
        *versions(),
        (
            "load average at start / end",
            f"{report.load_start[0]:.2f} / {report.load_end[0]:.2f} (1 min)",
        ),
        ("run", report.started + (" (--quick)" if report.quick else "")),
    ]
    out = [
        SECTION_START,
        "# Benchmarks: the PK engine against opentiva and PyTCI",
        "",
        "Generated by `bench/pk.py` (only the reading at the end is written by hand). "
        "Reproduce from a clone with:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        "The first run creates `bench/.venv-pk` (the engine, opentiva built from its sdist "
        "with Cython, PyTCI; pins in `bench/requirements-pk.txt`) and reuses it afterwards; "
        "the project's own `.venv` never gets the peers. Times are medians by "
        "`time.perf_counter`, all in one process; the implementations of a scenario are "
        "timed in alternating blocks, each after an untimed warm-up run, so that other work "
        "on the machine falls on all of them alike. The bench asserts nothing and is not "
        "part of the test suite.",
        "",
        "## Machine",
        "",
        *md_table(["", ""], machine),
        "",
        "## Scenarios",
        "",
        "All: 70 kg, Domino (V1 0.063 L/kg; k10 0.438, k12 0.592, k13 0.590, k21 0.247, "
        f"k31 0.0146 /min) and the engine's assumed ke0 {ke0_per_min():g} /min for every "
        "implementation. PyTCI has no ketamine model: the bench subclasses its "
        "three-compartment class with these numbers.",
        "",
        "1. **Single simulation**: 35 mg over 55 min, then 2 h; Cp and Ce on a 1 s grid "
        "(0 to 10,499 s, 10,500 points). Each timing includes building the patient model.",
        "2. **TCI**: 60 min of plasma TCI and of effect-site TCI at 150 ng/mL; 1 mg/mL "
        "syringe, pump at most 1200 mL/h (PyTCI has no pump limit), 10 s updates. Every plan "
        "is turned into one infusion program and simulated with the exact solver to score "
        "its tracking.",
        "3. **Population**: 100,000 patients x 3 h on a 10 s grid (0 to 10,800 s, 1,081 "
        "points), the same 35 mg over 55 min. The peers have no population mode: they loop "
        "over a sample of patients and their time for 100,000 is extrapolated.",
        "",
        "Errors are max relative errors against the scipy reference (`solve_ivp`, Radau, "
        "rtol 1e-12, atol 1e-15 mg, Jacobian given, restarted at the end of the infusion), "
        "built in the bench from the constants above, not from the engine's code; only "
        f"points above {RELATIVE_ERROR_FLOOR:g} of the curve's maximum count.",
        "",
        "## Floors (from the issue)",
        "",
        *render_floors(report),
        "",
        "## 1. Single simulation",
        "",
        *(render_single(report) if report.single else ["(not run)"]),
        "",
        *[f"- {fact}" for fact in report.single_facts],
        "",
        "### 1b. The same, with glibc's malloc thresholds fixed",
        "",
        "Run last, in the same process, after `mallopt(M_TRIM_THRESHOLD, 256 MB)` and "
        "`mallopt(M_MMAP_THRESHOLD, 64 MB)` (what `MALLOC_TRIM_THRESHOLD_` and "
        "`MALLOC_MMAP_THRESHOLD_` do at start-up): freed memory stays in the process, so "
        "no call page-faults its arrays in again. A check that the shipped solver does not "
        "depend on the allocator: it allocates one large array per call (its result) and "
        "forms its exponentials in cache-sized tiles on the heap, so with glibc's default, "
        "self-adjusting thresholds it should page-fault as little as with them fixed. "
        "Section 1's page-fault count says what happened in this run.",
        "",
        *render_single_tuned(report),
        "",
        *[f"- {fact}" for fact in report.single_tuned_facts if report.single_tuned],
        "",
        "## 2. TCI, 60 min at 150 ng/mL",
        "",
        "The controlled concentration is Cp for plasma TCI and Ce for effect-site TCI. "
        "Tracking columns come from the exact simulation of each plan on a 1 s grid.",
        "",
        *(render_tci(report) if report.tci else ["(not run)"]),
        "",
        *[f"- {fact}" for fact in report.tci_facts],
        "",
        "## 3. Population, 100,000 patients x 3 h",
        "",
        *(render_population(report) if report.population else ["(not run)"]),
        "",
        *[f"- {fact}" for fact in report.population_facts],
        "",
        "## Reading",
        "",
        READING_START,
        reading.strip(),
        READING_END,
        SECTION_END,
    ]
    return "\n".join(out)


def write_section(text: str, section: str) -> str:
    """``text`` with the PK region replaced by ``section`` (put first if it is missing);
    every other benchmark's region is kept as it is."""
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start >= 0 and end >= 0:
        return text[:start] + section + text[end + len(SECTION_END) :]
    return section + "\n" + text


def existing_reading() -> str:
    """The hand-written reading of the current docs/benchmarks.md, kept across runs."""
    if not DOC_PATH.exists():
        return "(Write the reading here after the first full run.)"
    text = DOC_PATH.read_text()
    start, end = text.find(READING_START), text.find(READING_END)
    if start < 0 or end < 0:
        return "(Write the reading here after the first full run.)"
    return text[start + len(READING_START) : end]


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC_PATH.name}")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and patients")
    parser.add_argument(
        "--only",
        choices=("single", "tci", "population"),
        action="append",
        help="run only these scenarios (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if not _running_in_bench_env():
        reexec_in_bench_env()
    warnings.simplefilter("ignore")  # opentiva and PyTCI warn on every model they build
    report = Report(
        quick=args.quick,
        started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load_start=os.getloadavg(),
    )
    chosen = set(args.only or ("single", "tci", "population"))
    steps: list[tuple[str, Callable[[Report], None]]] = [
        ("single", run_single),
        ("tci", run_tci),
        ("population", run_population),
    ]
    if "single" in chosen:  # last: it changes the process's allocator for good
        steps.append(("single, malloc thresholds fixed", run_single_malloc_fixed))
        chosen.add("single, malloc thresholds fixed")
    for name, step in steps:
        if name in chosen:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            step(report)
    report.load_end = os.getloadavg()
    text = render(report, existing_reading())
    print(text)
    if report.load_start[0] > 0.5 * (os.cpu_count() or 1):
        print(
            f"bench: load average was {report.load_start[0]:.2f} at the start: "
            "other work may have disturbed the timings; consider a rerun.",
            file=sys.stderr,
        )
    if args.write:
        old = DOC_PATH.read_text() if DOC_PATH.exists() else ""
        DOC_PATH.write_text(write_section(old, text))
        print(f"bench: wrote {DOC_PATH.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
