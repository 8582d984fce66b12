"""`ketamine-clinic pk tci`: a target-controlled rate schedule a syringe pump can run.

Plasma targeting (Jacobs 1990) is the evidence-based mode. Effect-site targeting
(Shafer & Gregg 1992) doses to an effect-site rate constant, ke0, that has never been
measured for racemic ketamine; every output says so.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from ketamine_clinic.cli.base import CliError
from ketamine_clinic.cli.pk_args import (
    S_PER_MIN,
    Patient,
    add_output_options,
    add_patient_options,
    check_plot_target,
    float_list,
    library_errors,
    minutes,
    model_as_json,
    model_name,
    n,
    plot_file_errors,
    print_report,
    program_as_json,
    require,
    resolve_patient,
)
from ketamine_clinic.pharmacology.tci import (
    DEFAULT_MAX_RATE_ML_PER_H,
    DEFAULT_RATE_RESOLUTION_ML_PER_H,
    DEFAULT_UPDATE_INTERVAL_S,
    MAX_DURATION_S,
    MIN_UPDATE_INTERVAL_S,
    PumpLimits,
    TciSchedule,
    effect_site_tci,
    plasma_tci,
)

KE0_STATEMENT: Final = (
    "No measured ke0 exists for racemic ketamine: every effect-site concentration here "
    "uses an assumed ke0 and is illustrative; plasma targeting is the evidence-based mode."
)
"""Printed by every `pk tci`, in the summary and as ``ke0_statement`` in the JSON."""
MODE_TEXT: Final = {
    "plasma": "plasma targeting (Jacobs 1990)",
    "effect-site": "effect-site targeting (Shafer & Gregg 1992), ASSUMED ke0",
}
DEFAULT_STEP_S: Final = 1.0
LABEL_WIDTH: Final = 26
CONFIRM_AT_PUMP: Final = (
    "Decision support only: a model's prediction, not a measurement; confirm every rate "
    "at the pump."
)

FIELD_OPTIONS: Final = {
    "target_ng_per_ml": "--target-ng-per-ml",
    "duration_s": "--duration-min",
    "concentration_mg_per_ml": "--concentration-mg-per-ml",
    "max_rate_ml_per_h": "--max-rate-ml-per-h",
    "rate_resolution_ml_per_h": "--resolution-ml-per-h",
    "update_interval_s": "--update-s",
    "prediction_step_s": "--step-s",
    "max_plasma_overshoot_fraction": "--max-overshoot-percent",
    "ke0_per_min": "--mode",
}


@dataclass(frozen=True)
class TargetChange:
    t_min: float
    target_ng_per_ml: float
    text: str


def target_changes(raw: str) -> tuple[TargetChange, ...]:
    """An argparse type: ``"30:100,45:150"`` (minutes:ng/mL)."""
    items: list[TargetChange] = []
    for part in raw.split(","):
        text = part.strip()
        if not text:
            continue
        minutes_text, colon, target_text = text.partition(":")
        try:
            t_min, target = float(minutes_text), float(target_text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not MINUTES:NG_PER_ML (e.g. 30:100)"
            ) from None
        if not colon:
            raise argparse.ArgumentTypeError(f"{text!r} is not MINUTES:NG_PER_ML (e.g. 30:100)")
        items.append(TargetChange(t_min=t_min, target_ng_per_ml=target, text=text))
    if not items:
        raise argparse.ArgumentTypeError("lists no target; e.g. 30:100")
    return tuple(items)


def configure(parser: argparse.ArgumentParser) -> None:
    add_patient_options(parser)
    parser.add_argument(
        "--target-ng-per-ml",
        type=float,
        required=True,
        help="target concentration from the start, ng/mL",
    )
    parser.add_argument(
        "--mode",
        choices=("plasma", "effect-site"),
        default="plasma",
        help="target the plasma (default; evidence-based) or the effect site (assumed ke0)",
    )
    parser.add_argument(
        "--duration-min", type=float, required=True, help="length of the schedule, minutes"
    )
    parser.add_argument(
        "--concentration-mg-per-ml",
        type=float,
        required=True,
        help="syringe concentration, mg of ketamine base/mL",
    )
    parser.add_argument(
        "--max-rate-ml-per-h",
        type=float,
        default=DEFAULT_MAX_RATE_ML_PER_H,
        help=f"the pump's maximum rate, mL/h (default {DEFAULT_MAX_RATE_ML_PER_H:g})",
    )
    parser.add_argument(
        "--resolution-ml-per-h",
        type=float,
        default=DEFAULT_RATE_RESOLUTION_ML_PER_H,
        help=f"the pump's rate step, mL/h (default {DEFAULT_RATE_RESOLUTION_ML_PER_H:g})",
    )
    parser.add_argument(
        "--update-s",
        type=float,
        default=DEFAULT_UPDATE_INTERVAL_S,
        help=f"seconds between rate updates (default {DEFAULT_UPDATE_INTERVAL_S:g})",
    )
    parser.add_argument(
        "--max-overshoot-percent",
        type=float,
        metavar="P",
        help="effect-site mode: keep the predicted Cp at most P%% above the target",
    )
    parser.add_argument(
        "--targets",
        type=target_changes,
        help='later targets, comma-separated MINUTES:NG_PER_ML, e.g. "30:100,45:150"',
    )
    parser.add_argument(
        "--step-s",
        type=float,
        default=DEFAULT_STEP_S,
        help=f"time step of the predicted curves, seconds (default {DEFAULT_STEP_S:g})",
    )
    add_output_options(parser)


@dataclass(frozen=True)
class Result:
    patient: Patient
    schedule: TciSchedule
    targets: tuple[TargetChange, ...]


def read_changes(args: argparse.Namespace, duration_min: float) -> list[tuple[float, float]]:
    changes: tuple[TargetChange, ...] = args.targets or ()
    previous = 0.0
    out: list[tuple[float, float]] = []
    for change in changes:
        if not 0.0 < change.t_min < duration_min:
            raise CliError(
                f"--targets: {change.text!r}: the time must be after 0 and before "
                f"--duration-min ({duration_min:g} min)"
            )
        if change.t_min <= previous:
            raise CliError(f"--targets: {change.text!r}: times must increase")
        require("--targets", change.target_ng_per_ml, "ng/mL", above=0)
        previous = change.t_min
        out.append((change.t_min * S_PER_MIN, change.target_ng_per_ml))
    return out


def compute(args: argparse.Namespace) -> Result:
    check_plot_target(args.plot)
    target = require("--target-ng-per-ml", args.target_ng_per_ml, "ng/mL", above=0)
    duration_min = require(
        "--duration-min", args.duration_min, "min", above=0, at_most=MAX_DURATION_S / S_PER_MIN
    )
    require("--concentration-mg-per-ml", args.concentration_mg_per_ml, "mg/mL", above=0)
    require("--max-rate-ml-per-h", args.max_rate_ml_per_h, "mL/h", above=0)
    require("--resolution-ml-per-h", args.resolution_ml_per_h, "mL/h", above=0)
    require("--update-s", args.update_s, "s", at_least=MIN_UPDATE_INTERVAL_S)
    require("--step-s", args.step_s, "s", above=0)
    overshoot: float | None = None
    if args.max_overshoot_percent is not None:
        if args.mode != "effect-site":
            raise CliError(
                "--max-overshoot-percent: applies to --mode effect-site only (plasma "
                "targeting does not overshoot the plasma target)"
            )
        overshoot = require("--max-overshoot-percent", args.max_overshoot_percent, "%", at_least=0)
    changes = read_changes(args, duration_min)
    patient = resolve_patient(args)
    with library_errors(FIELD_OPTIONS):
        pump = PumpLimits(
            concentration_mg_per_ml=args.concentration_mg_per_ml,
            max_rate_ml_per_h=args.max_rate_ml_per_h,
            rate_resolution_ml_per_h=args.resolution_ml_per_h,
        )
        if args.mode == "plasma":
            schedule = plasma_tci(
                patient.model,
                target_ng_per_ml=target,
                duration_s=duration_min * S_PER_MIN,
                pump=pump,
                update_interval_s=args.update_s,
                target_changes=changes,
                prediction_step_s=args.step_s,
            )
        else:
            schedule = effect_site_tci(
                patient.model,
                target_ng_per_ml=target,
                duration_s=duration_min * S_PER_MIN,
                pump=pump,
                update_interval_s=args.update_s,
                max_plasma_overshoot_fraction=None if overshoot is None else overshoot / 100.0,
                target_changes=changes,
                prediction_step_s=args.step_s,
            )
    return Result(patient=patient, schedule=schedule, targets=tuple(args.targets or ()))


def schedule_rows(result: Result) -> list[dict[str, object]]:
    """Each rate the pump runs: from when, mL/h, mg/h, mg/kg/h."""
    schedule = result.schedule
    weight = result.patient.weight_kg
    concentration = schedule.pump.concentration_mg_per_ml
    return [
        {
            "t_s": t,
            "rate_ml_per_h": rate,
            "rate_mg_per_h": rate * concentration,
            "rate_mg_per_kg_per_h": rate * concentration / weight,
        }
        for t, rate in zip(schedule.rate_change_times_s, schedule.rates_ml_per_h, strict=True)
    ]


def as_json(result: Result) -> dict[str, object]:
    schedule, patient = result.schedule, result.patient
    pump = schedule.pump
    return {
        "mode": schedule.mode,
        "ke0_statement": KE0_STATEMENT,
        "model": model_as_json(patient.catalogue_model),
        "patient": patient.as_json(),
        "targets": [{"t_s": t, "target_ng_per_ml": c} for t, c in schedule.targets],
        "pump": {
            "concentration_mg_per_ml": pump.concentration_mg_per_ml,
            "max_rate_ml_per_h": pump.max_rate_ml_per_h,
            "rate_resolution_ml_per_h": pump.rate_resolution_ml_per_h,
        },
        "update_interval_s": schedule.update_interval_s,
        "duration_s": schedule.duration_s,
        "schedule": schedule_rows(result),
        "program": program_as_json(
            schedule.program,
            weight_kg=patient.weight_kg,
            until_s=schedule.duration_s,
            concentration_mg_per_ml=pump.concentration_mg_per_ml,
        ),
        "total_dose_mg": schedule.total_dose_mg,
        "total_dose_mg_per_kg": schedule.total_dose_mg / patient.weight_kg,
        "total_volume_ml": schedule.total_volume_ml,
        "t_s": float_list(schedule.t_s),
        "cp_ng_per_ml": float_list(schedule.cp_ng_per_ml),
        "ce_ng_per_ml": float_list(schedule.ce_ng_per_ml),
        "warnings": list(schedule.warnings),
    }


def _clock(t_s: float) -> str:
    whole = round(t_s)
    return f"{whole // 60:d}:{whole % 60:02d}"


def targets_text(schedule: TciSchedule) -> str:
    """ "150 ng/mL, then 100 ng/mL from 30 min"."""
    return ", then ".join(
        f"{n(c)} ng/mL from {minutes(t)}" if t > 0 else f"{n(c)} ng/mL" for t, c in schedule.targets
    )


def summary_lines(result: Result) -> list[str]:
    schedule, patient = result.schedule, result.patient
    pump = schedule.pump
    rows = [
        ("Model", model_name(patient.catalogue_model)),
        ("Patient", patient.describe()),
        ("Mode", MODE_TEXT[schedule.mode]),
        ("Target", targets_text(schedule)),
        (
            "Pump",
            f"{n(pump.concentration_mg_per_ml)} mg/mL, max {n(pump.max_rate_ml_per_h)} mL/h, "
            f"steps of {n(pump.rate_resolution_ml_per_h)} mL/h, a new rate every "
            f"{n(schedule.update_interval_s)} s",
        ),
        (
            "Total",
            f"{n(schedule.total_dose_mg, 2)} mg ({n(schedule.total_dose_mg / patient.weight_kg)} "
            f"mg/kg) = {n(schedule.total_volume_ml, 2)} mL over {minutes(schedule.duration_s)}",
        ),
        (
            "Cp at the end",
            f"{n(float(schedule.cp_ng_per_ml[-1]), 0)} ng/mL at {minutes(schedule.duration_s)}",
        ),
    ]
    if schedule.ce_ng_per_ml is not None:
        rows.append(
            (
                "Ce at the end (assumed)",
                f"{n(float(schedule.ce_ng_per_ml[-1]), 0)} ng/mL",
            )
        )
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    lines.append(KE0_STATEMENT)
    # The model's own ke0 warning says the same as the statement just printed.
    ke0_warning = patient.model.ke0_warning
    lines.extend(f"Warning: {w}" for w in schedule.warnings if w != ke0_warning)
    lines.append("")
    lines.append("Rate schedule (run each rate from its time until the next):")
    ce_header = "  Ce ng/mL" if schedule.ce_ng_per_ml is not None else ""
    lines.append(
        f"{'time':>7}  {'mL/h':>8}  {'mg/h':>8}  {'mg/kg/h':>8}  {'Cp ng/mL':>9}{ce_header}"
    )
    t_grid = schedule.t_s
    concentration = schedule.pump.concentration_mg_per_ml
    for t, rate in zip(schedule.rate_change_times_s, schedule.rates_ml_per_h, strict=True):
        i = min(int(np.searchsorted(t_grid, t)), t_grid.size - 1)
        ce = ""
        if schedule.ce_ng_per_ml is not None:
            ce = f"  {float(schedule.ce_ng_per_ml[i]):9.1f}"
        mg_per_h = rate * concentration
        lines.append(
            f"{_clock(t):>7}  {n(rate):>8}  {n(mg_per_h):>8}  "
            f"{n(mg_per_h / patient.weight_kg):>8}  {float(schedule.cp_ng_per_ml[i]):9.1f}{ce}"
        )
    lines.append(CONFIRM_AT_PUMP)
    return lines


def plot_title(result: Result) -> str:
    schedule, patient = result.schedule, result.patient
    mode = "Plasma" if schedule.mode == "plasma" else "Effect-site"
    return (
        f"{patient.catalogue_model.title}: {patient.describe()}. {mode} TCI for "
        f"{minutes(schedule.duration_s)}, target {targets_text(schedule)} "
        f"({n(schedule.pump.concentration_mg_per_ml)} mg/mL syringe)"
    )


def draw(result: Result, path: Path) -> None:
    from ketamine_clinic.cli import pk_plot  # matplotlib only when a plot is asked for

    schedule, patient = result.schedule, result.patient
    times = [*schedule.rate_change_times_s, schedule.duration_s]
    steps = [
        (start, end, rate)
        for start, end, rate in zip(times[:-1], times[1:], schedule.rates_ml_per_h, strict=True)
        if end > start
    ]
    factor = schedule.pump.concentration_mg_per_ml / patient.weight_kg
    plot = pk_plot.TciPlot(
        title=plot_title(result),
        drug=patient.catalogue_model.drug,
        mode=schedule.mode,
        t_s=schedule.t_s,
        cp_ng_per_ml=schedule.cp_ng_per_ml,
        ce_ng_per_ml=schedule.ce_ng_per_ml,
        ke0_per_min=patient.model.ke0_per_min,
        targets=schedule.targets,
        pump=pk_plot.PumpProgram(
            steps=steps, unit="mL/h", secondary=("mg/kg/h", "mg/kg/h", factor)
        ),
    )
    with plot_file_errors():
        pk_plot.plot_tci(path, plot)


def run(args: argparse.Namespace) -> int:
    return print_report(
        args, compute(args), draw=draw, as_json=as_json, summary_lines=summary_lines
    )
