"""What the `ketamine-clinic pk` subcommands share: patient options, checks and errors.

Every refusal becomes a :class:`~ketamine_clinic.cli.base.CliError` whose text starts
with the option the user typed (``--weight-kg: ...``), so the command prints one line and
exits 2. Nothing here imports Django or matplotlib.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from ketamine_clinic.cli.base import CliError
from ketamine_clinic.pharmacology.drug_library import format_number
from ketamine_clinic.pharmacology.errors import (
    InvalidPatient,
    InvalidProgram,
    OutsideModelPopulation,
    PharmacologyError,
    UnknownModel,
)
from ketamine_clinic.pharmacology.models import (
    DEFAULT_MODEL_NAME,
    PatientModel,
    PKModel,
    get_model,
    list_models,
)
from ketamine_clinic.pharmacology.program import (
    InfusionProgram,
    apply_rate_changes,
)
from ketamine_clinic.pharmacology.units import lb_to_kg

ResultT = TypeVar("ResultT")
FloatArray = npt.NDArray[np.float64]

S_PER_MIN: Final = 60.0
PLOT_SUFFIXES: Final = (".png", ".svg")
# A grid finer than this many points is a typo (0.001 s over hours), not a wish: it would
# take minutes and hundreds of MB of JSON.
MAX_GRID_POINTS: Final = 200_000
MAX_UNTIL_MIN: Final = 7 * 24 * 60.0

RATE_CHANGES_HELP: Final = (
    'comma-separated MINUTES:CHANGE, e.g. "20:+10%%,30:pause,35:resume"; CHANGE is '
    '+N%%, -N%%, "+0.05 mg/kg/h", "-2 mg/h", "set 0.6 mg/kg/h", pause, resume or stop'
)


def n(value: float, decimals: int = 3) -> str:
    """A number as a clinician reads it (no trailing zeros)."""
    return format_number(value, decimals=decimals)


# --------------------------------------------------------------------------------------
# argparse types: the shape of a value (its meaning is checked once the command runs)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateChange:
    """One item of --rate-changes: at ``t_min`` minutes, apply ``change``."""

    t_min: float
    change: str
    text: str

    @property
    def t_s(self) -> float:
        return self.t_min * S_PER_MIN


def rate_changes(raw: str) -> tuple[RateChange, ...]:
    """An argparse type: ``"20:+10%,30:pause,35:resume"``."""
    items: list[RateChange] = []
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        minutes, colon, change = text.partition(":")
        if not colon or not change.strip():
            raise argparse.ArgumentTypeError(
                f"{text!r} is not MINUTES:CHANGE (e.g. 20:+10%, 30:pause, 40:set 0.6 mg/kg/h)"
            )
        try:
            t_min = float(minutes)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: the time before ':' must be minutes from the start"
            ) from None
        if not math.isfinite(t_min) or t_min < 0:
            raise argparse.ArgumentTypeError(f"{text!r}: the time must be minutes >= 0")
        items.append(RateChange(t_min=t_min, change=change.strip(), text=text))
    if not items:
        raise argparse.ArgumentTypeError("lists no change; e.g. 20:+10%,30:pause")
    return tuple(items)


def plot_path(raw: str) -> Path:
    """An argparse type: a file name ending in .svg or .png."""
    path = Path(raw)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"the file name must end in .svg or .png (the format is taken from it); got {raw!r}"
        )
    return path


# --------------------------------------------------------------------------------------
# Options every pk subcommand has
# --------------------------------------------------------------------------------------


def add_patient_options(parser: argparse.ArgumentParser) -> None:
    known = ", ".join(m.name for m in list_models())
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL_NAME,
        help=f"pharmacokinetic model: {known} (default {DEFAULT_MODEL_NAME})",
    )
    weight = parser.add_mutually_exclusive_group(required=True)
    weight.add_argument("--weight-kg", type=float, help="total body weight, kg")
    weight.add_argument("--weight-lb", type=float, help="the same in pounds (converted exactly)")
    parser.add_argument(
        "--age-years",
        type=float,
        help="age, years (required by the paediatric Herd model; checked when given)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="simulate a patient outside the model's population anyway (with a warning)",
    )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--plot",
        type=plot_path,
        metavar="FILE",
        help="also draw the result to FILE; .svg or .png (format from the name)",
    )


# --------------------------------------------------------------------------------------
# Checks with the option's name in the message
# --------------------------------------------------------------------------------------


def require(
    option: str,
    value: float,
    unit: str,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
) -> float:
    """``value`` finite and in range, or a CliError naming ``option``."""
    if not math.isfinite(value):
        raise CliError(f"{option}: must be a finite number of {unit}; got {value:g}")
    if above is not None and not value > above:
        raise CliError(f"{option}: must be more than {above:g} {unit}; got {value:g}")
    if at_least is not None and value < at_least:
        raise CliError(f"{option}: must be at least {at_least:g} {unit}; got {value:g}")
    if at_most is not None and value > at_most:
        raise CliError(f"{option}: must be at most {at_most:g} {unit}; got {value:g}")
    return value


def check_plot_target(path: Path | None) -> None:
    """Refuse before any work a plot file that cannot be written."""
    if path is None:
        return
    if not path.parent.is_dir():
        raise CliError(f"--plot: the directory {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise CliError(f"--plot: {str(path)!r} is a directory")


@contextmanager
def library_errors(field_options: dict[str, str]) -> Iterator[None]:
    """Turn any refusal of the pharmacology engine into a one-line CliError.

    ``field_options`` maps a library field (``"duration_s"``) to the option that
    carries it; an unmapped refusal is printed as the library worded it.
    """
    try:
        yield
    except PharmacologyError as exc:
        field = getattr(exc, "field", None)
        reason = getattr(exc, "reason", None)
        if isinstance(field, str) and field in field_options and isinstance(reason, str):
            raise CliError(f"{field_options[field]}: {reason}") from exc
        raise CliError(str(exc)) from exc


@contextmanager
def plot_file_errors() -> Iterator[None]:
    """A plot file that cannot be written is the user's to fix: one line, exit 2."""
    try:
        yield
    except OSError as exc:
        raise CliError(f"--plot: cannot write the file: {exc}") from exc


def print_report(
    args: argparse.Namespace,
    result: ResultT,
    *,
    draw: Callable[[ResultT, Path], None],
    as_json: Callable[[ResultT], dict[str, object]],
    summary_lines: Callable[[ResultT], list[str]],
) -> int:
    """The end of every ``pk`` action: draw first (so a bad path prints nothing), then
    the JSON or the summary a clinician reads."""
    if args.plot is not None:
        draw(result, args.plot)
    if args.json:
        print(json.dumps(as_json(result), ensure_ascii=False))
    else:
        print("\n".join(summary_lines(result)))
        if args.plot is not None:
            print(f"Plot written to {args.plot}")
    return 0


# --------------------------------------------------------------------------------------
# The patient
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    """The patient the options describe, and the model scaled to them."""

    catalogue_model: PKModel
    model: PatientModel
    weight_kg: float
    weight_lb: float | None
    age_years: float | None
    forced: bool

    def describe(self) -> str:
        weight = f"{n(self.weight_kg, 1)} kg"
        if self.weight_lb is not None:
            weight += f" ({n(self.weight_lb, 1)} lb)"
        if self.age_years is not None:
            weight += f", {n(self.age_years, 1)} years"
        return weight

    def as_json(self) -> dict[str, object]:
        return {
            "weight_kg": self.weight_kg,
            "weight_lb": self.weight_lb,
            "age_years": self.age_years,
            "forced_outside_population": self.forced,
        }


def model_as_json(model: PKModel) -> dict[str, object]:
    return {
        "name": model.name,
        "title": model.title,
        "drug": model.drug,
        "source": model.source,
        "parameter_status": model.parameter_status,
        "verified": model.verified,
        "ke0_per_min": model.ke0_per_min,
        "ke0_is_assumed": model.ke0_is_assumed,
        "ke0_source": model.ke0_source or None,
        "metabolite": None if model.metabolite is None else model.metabolite.name,
    }


def model_name(model: PKModel) -> str:
    """ "Domino 1982 (racemic ketamine)"; the drug only once when the title has it."""
    return model.title if model.drug in model.title else f"{model.title} ({model.drug})"


def float_list(values: FloatArray | None) -> list[float] | None:
    """An array as a JSON list (None stays None)."""
    return None if values is None else [float(v) for v in values]


def resolve_model(name: str) -> PKModel:
    try:
        return get_model(name)
    except UnknownModel:
        known = ", ".join(m.name for m in list_models())
        raise CliError(f"--model: no model named {name!r}; known models: {known}") from None


def resolve_patient(args: argparse.Namespace) -> Patient:
    """Model and patient from --model, --weight-kg/--weight-lb, --age-years, --force."""
    catalogue_model = resolve_model(args.model)
    if args.weight_lb is not None:
        weight_option = "--weight-lb"
        require(weight_option, args.weight_lb, "lb", above=0)
        weight_kg = float(lb_to_kg(args.weight_lb))
    else:
        weight_option = "--weight-kg"
        weight_kg = require(weight_option, args.weight_kg, "kg", above=0)
    if args.age_years is not None:
        require("--age-years", args.age_years, "years", at_least=0)
    options = {"weight_kg": weight_option, "age_years": "--age-years"}
    try:
        model = catalogue_model.for_patient(
            weight_kg=weight_kg, age_years=args.age_years, force=args.force
        )
    except OutsideModelPopulation as exc:
        raise CliError(
            f"{options.get(exc.covariate, exc.covariate)}: {exc} Add --force to extrapolate anyway."
        ) from exc
    except InvalidPatient as exc:
        raise CliError(f"{options.get(exc.field, exc.field)}: {exc.reason}") from exc
    return Patient(
        catalogue_model=catalogue_model,
        model=model,
        weight_kg=weight_kg,
        weight_lb=args.weight_lb,
        age_years=args.age_years,
        forced=args.force,
    )


# --------------------------------------------------------------------------------------
# Time grid and programs
# --------------------------------------------------------------------------------------


def time_grid_s(until_min: float, step_s: float) -> FloatArray:
    """0, step, 2 step, ... and ``until`` itself (the last step may be shorter)."""
    require("--until-min", until_min, "min", above=0, at_most=MAX_UNTIL_MIN)
    require("--step-s", step_s, "s", above=0)
    until_s = until_min * S_PER_MIN
    count = math.ceil(until_s / step_s) + 1
    if count > MAX_GRID_POINTS:
        raise CliError(
            f"--step-s: {step_s:g} s over {until_min:g} min gives {count:,} points; "
            f"at most {MAX_GRID_POINTS:,} (use a larger step)"
        )
    grid = np.arange(0.0, until_s, step_s, dtype=np.float64)
    return np.append(grid, until_s)


def with_rate_changes(
    program: InfusionProgram,
    changes: Sequence[RateChange],
    *,
    weight_kg: float,
    until_min: float,
) -> InfusionProgram:
    """``program`` edited as the nurse would at those minutes; errors name the item."""
    for change in changes:
        if change.t_min > until_min:
            raise CliError(
                f"--rate-changes: {change.text!r} is after the end of the simulation "
                f"(--until-min {until_min:g})"
            )
    try:
        return apply_rate_changes(
            program, [(c.t_s, c.change) for c in changes], weight_kg=weight_kg
        )
    except InvalidProgram as exc:
        index = _change_index(exc.field)
        where = repr(changes[index].text) if index is not None else exc.field
        raise CliError(f"--rate-changes: {where}: {exc.reason}") from exc


def _change_index(field: str) -> int | None:
    if field.startswith("changes[") and field.endswith("]"):
        try:
            return int(field[len("changes[") : -1])
        except ValueError:
            return None
    return None


def program_steps(program: InfusionProgram, *, until_s: float) -> list[tuple[float, float, float]]:
    """The program as (start_s, end_s, rate_mg_per_h) steps covering 0..until_s."""
    times = [0.0, *program.rate_change_times_s]
    rates = [0.0, *program.rates_mg_per_h]
    steps: list[tuple[float, float, float]] = []
    for i, (start, rate) in enumerate(zip(times, rates, strict=True)):
        end = times[i + 1] if i + 1 < len(times) else until_s
        start, end = min(start, until_s), min(end, until_s)
        if end > start:
            if steps and steps[-1][2] == rate:
                steps[-1] = (steps[-1][0], end, rate)
            else:
                steps.append((start, end, rate))
    return steps


def program_as_json(
    program: InfusionProgram,
    *,
    weight_kg: float,
    until_s: float,
    concentration_mg_per_ml: float | None,
) -> dict[str, object]:
    """The pump program: rate steps in mg/h, mg/kg/h (and mL/h), boluses, doses."""

    def step(start: float, end: float, rate: float) -> dict[str, object]:
        row: dict[str, object] = {
            "start_s": start,
            "end_s": end,
            "rate_mg_per_h": rate,
            "rate_mg_per_kg_per_h": rate / weight_kg,
        }
        if concentration_mg_per_ml is not None:
            row["rate_ml_per_h"] = rate / concentration_mg_per_ml
        return row

    dose_mg = program.dose_mg_until(until_s)
    return {
        "rate_change_times_s": list(program.rate_change_times_s),
        "rates_mg_per_h": list(program.rates_mg_per_h),
        "bolus_times_s": list(program.bolus_times_s),
        "boluses_mg": list(program.boluses_mg),
        "steps": [step(*s) for s in program_steps(program, until_s=until_s)],
        "concentration_mg_per_ml": concentration_mg_per_ml,
        "total_dose_mg": dose_mg,
        "total_dose_mg_per_kg": dose_mg / weight_kg,
    }


def end_of_infusion_s(program: InfusionProgram) -> float | None:
    """When the last running rate stops (None if the program never stops)."""
    rates = program.rates_mg_per_h
    if not rates or rates[-1] > 0:
        return None
    last_running = max((i for i, r in enumerate(rates) if r > 0), default=None)
    if last_running is None:
        return None
    return program.rate_change_times_s[last_running + 1]


def minutes(t_s: float) -> str:
    return f"{n(t_s / S_PER_MIN, 1)} min"


def peak(t_s: FloatArray, values: FloatArray) -> tuple[float, float]:
    """(value, time) of the maximum; the first time when it is reached twice."""
    i = int(np.argmax(values))
    return float(values[i]), float(t_s[i])
