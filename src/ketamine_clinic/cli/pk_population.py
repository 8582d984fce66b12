"""`ketamine-clinic pk population`: how much concentrations vary between patients.

Many virtual patients around the one described, each with log-normal volumes and
clearances, all given the same program (:mod:`ketamine_clinic.pharmacology.population`).
The variability is published for Herd 2007 and Simons 2022 only; for every other model
it is an assumed default, and every output says which.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from ketamine_clinic.cli import pk_simulate
from ketamine_clinic.cli.base import non_negative_int
from ketamine_clinic.cli.pk_args import (
    RATE_CHANGES_HELP,
    S_PER_MIN,
    FloatArray,
    Patient,
    add_output_options,
    add_patient_options,
    check_plot_target,
    end_of_infusion_s,
    float_list,
    library_errors,
    minutes,
    model_as_json,
    model_name,
    n,
    plot_file_errors,
    print_report,
    program_as_json,
    rate_changes,
    require,
    resolve_patient,
    time_grid_s,
)
from ketamine_clinic.pharmacology.population import PopulationSimulation, simulate_population
from ketamine_clinic.pharmacology.program import InfusionProgram
from ketamine_clinic.pharmacology.variability import Variability

PERCENTILES: Final = (5.0, 25.0, 50.0, 75.0, 95.0)
DEFAULT_N_PATIENTS: Final = 1000
# 100,000 patients x 1,081 times runs in about 2 s (population.py); more is a typo.
MAX_N_PATIENTS: Final = 100_000
DEFAULT_THRESHOLDS_NG_PER_ML: Final = (250.0,)  # top of the dissociation range, Krystal 1994
LABEL_WIDTH: Final = 26
PREDICTION_ONLY: Final = "Model prediction for decision support: not a measured concentration."

FIELD_OPTIONS: Final = {
    "n_patients": "-n",
    "seed": "--seed",
    "dose_mg": "--dose-mg-per-kg",
    "duration_s": "--duration-min",
}


def n_patients(raw: str) -> int:
    """An argparse type: a whole number of patients, 1 to MAX_N_PATIENTS."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of patients; got {raw!r}"
        ) from None
    if not 1 <= value <= MAX_N_PATIENTS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_N_PATIENTS:,}; got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    add_patient_options(parser)
    parser.add_argument(
        "-n",
        "--n-patients",
        type=n_patients,
        default=DEFAULT_N_PATIENTS,
        help=f"number of simulated patients (default {DEFAULT_N_PATIENTS:,}; at most "
        f"{MAX_N_PATIENTS:,})",
    )
    parser.add_argument(
        "--dose-mg-per-kg",
        type=float,
        required=True,
        help="infusion dose, mg of ketamine base/kg, given at a constant rate",
    )
    parser.add_argument("--duration-min", type=float, required=True, help="infusion time, minutes")
    parser.add_argument(
        "--until-min",
        type=float,
        help=f"simulate until this time, minutes (default: infusion + "
        f"{pk_simulate.DEFAULT_TAIL_MIN:g} min)",
    )
    parser.add_argument(
        "--step-s",
        type=float,
        default=pk_simulate.DEFAULT_STEP_S,
        help=f"output time step, seconds (default {pk_simulate.DEFAULT_STEP_S:g})",
    )
    parser.add_argument(
        "--bolus-mg-per-kg",
        type=float,
        help="a bolus at time 0 before the infusion, mg of ketamine base/kg",
    )
    parser.add_argument("--rate-changes", type=rate_changes, help=RATE_CHANGES_HELP)
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="random seed: the same seed gives the same patients (default 0)",
    )
    parser.add_argument(
        "--threshold-ng-per-ml",
        type=float,
        nargs="+",
        action="extend",
        metavar="NG_PER_ML",
        help="give the fraction of patients above each of these plasma concentrations "
        "(default 250, the top of the dissociation range)",
    )
    add_output_options(parser)
    parser.set_defaults(concentration_mg_per_ml=None)


@dataclass(frozen=True)
class Result:
    patient: Patient
    order: pk_simulate.Order
    program: InfusionProgram
    population: PopulationSimulation

    @property
    def until_s(self) -> float:
        return self.order.until_min * S_PER_MIN


def compute(args: argparse.Namespace) -> Result:
    check_plot_target(args.plot)
    order = pk_simulate.read_order(args)
    grid = time_grid_s(order.until_min, args.step_s)
    thresholds = tuple(args.threshold_ng_per_ml or DEFAULT_THRESHOLDS_NG_PER_ML)
    for value in thresholds:
        require("--threshold-ng-per-ml", value, "ng/mL", at_least=0)
    patient = resolve_patient(args)
    program = pk_simulate.build_program(order, patient.weight_kg)
    with library_errors(FIELD_OPTIONS):
        population = simulate_population(
            patient.catalogue_model,
            program,
            grid,
            n_patients=args.n_patients,
            weight_kg=patient.weight_kg,
            age_years=patient.age_years,
            seed=args.seed,
            percentiles=PERCENTILES,
            thresholds_ng_per_ml=sorted(set(thresholds)),
            force=patient.forced,
        )
    return Result(patient=patient, order=order, program=program, population=population)


def variability_as_json(variability: Variability) -> dict[str, object]:
    return {
        "published": variability.is_published,
        "source": variability.source,
        "note": variability.note,
        "cv_by_parameter": variability.cv_by_parameter,
        "omega_squared_by_parameter": variability.omega_squared_by_parameter,
    }


def variability_text(variability: Variability) -> str:
    if variability.is_published:
        return f"published: {variability.source}"
    return f"ASSUMED, not published: {variability.source}"


def _band(values: FloatArray) -> list[list[float]]:
    return [[float(v) for v in row] for row in values]


def as_json(result: Result) -> dict[str, object]:
    pop, patient, order = result.population, result.patient, result.order
    thresholds = [
        {
            "threshold_ng_per_ml": threshold,
            "fraction_ever_above": float(pop.fraction_ever_above[i]),
            "max_fraction_above": float(np.max(pop.fraction_above_ng_per_ml[i])),
            "fraction_above": float_list(pop.fraction_above_ng_per_ml[i]),
        }
        for i, threshold in enumerate(pop.thresholds_ng_per_ml)
    ]
    return {
        "model": model_as_json(patient.catalogue_model),
        "patient": patient.as_json(),
        "order": {
            "dose_mg_per_kg": order.dose_mg_per_kg,
            "duration_min": order.duration_min,
            "bolus_mg_per_kg": order.bolus_mg_per_kg,
            "rate_changes": [{"t_min": c.t_min, "change": c.change} for c in order.changes],
            "until_min": order.until_min,
        },
        "program": program_as_json(
            result.program,
            weight_kg=patient.weight_kg,
            until_s=result.until_s,
            concentration_mg_per_ml=None,
        ),
        "n_patients": pop.n_patients,
        "seed": pop.seed,
        "variability": variability_as_json(pop.variability),
        "t_s": float_list(pop.t_s),
        "percentiles": list(pop.percentiles),
        "cp_percentiles_ng_per_ml": _band(pop.cp_percentiles_ng_per_ml),
        "ce_percentiles_ng_per_ml": (
            None if pop.ce_percentiles_ng_per_ml is None else _band(pop.ce_percentiles_ng_per_ml)
        ),
        "thresholds": thresholds,
        "warnings": list(pop.warnings),
    }


def _percentile_row(pop: PopulationSimulation, q: float) -> FloatArray:
    return np.asarray(pop.cp_percentiles_ng_per_ml[pop.percentiles.index(q)], dtype=np.float64)


def summary_lines(result: Result) -> list[str]:
    pop, patient, order = result.population, result.patient, result.order
    median = _percentile_row(pop, 50.0)
    low, high = _percentile_row(pop, 5.0), _percentile_row(pop, 95.0)
    i_peak = int(np.argmax(median))
    rows = [
        ("Model", model_name(patient.catalogue_model)),
        ("Patients", f"{pop.n_patients:,} simulated around {patient.describe()} (seed {pop.seed})"),
        ("Dose", order.describe()),
        ("Variability", variability_text(pop.variability)),
        (
            "Median Cmax",
            f"{n(float(median[i_peak]), 0)} ng/mL at {minutes(float(pop.t_s[i_peak]))} "
            f"(5th-95th percentile {n(float(low[i_peak]), 0)}-{n(float(high[i_peak]), 0)} ng/mL)",
        ),
    ]
    stop_s = end_of_infusion_s(result.program)
    if stop_s is not None and stop_s <= float(pop.t_s[-1]):
        i = int(np.argmin(np.abs(pop.t_s - stop_s)))
        rows.append(
            (
                "Cp at end of infusion",
                f"median {n(float(median[i]), 0)} ng/mL (5th-95th {n(float(low[i]), 0)}-"
                f"{n(float(high[i]), 0)}) at {minutes(float(pop.t_s[i]))}",
            )
        )
    for k, threshold in enumerate(pop.thresholds_ng_per_ml):
        above = pop.fraction_above_ng_per_ml[k]
        j = int(np.argmax(above))
        rows.append(
            (
                f"Cp above {n(threshold)} ng/mL",
                f"{pop.fraction_ever_above[k]:.1%} of patients at some time; at most "
                f"{above[j]:.1%} at once (at {minutes(float(pop.t_s[j]))})",
            )
        )
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    lines.extend(f"Warning: {w}" for w in pop.warnings)
    lines.append(PREDICTION_ONLY)
    return lines


def plot_title(result: Result) -> str:
    pop, patient, order = result.population, result.patient, result.order
    kind = "PUBLISHED" if pop.variability.is_published else "ASSUMED (not published)"
    return (
        f"{patient.catalogue_model.title}: {pop.n_patients:,} simulated patients around "
        f"{patient.describe()}, {order.describe()}\nBetween-patient variability: {kind}"
    )


def draw(result: Result, path: Path) -> None:
    from ketamine_clinic.cli import pk_plot  # matplotlib only when a plot is asked for

    pop = result.population
    ce_median = None
    if pop.ce_percentiles_ng_per_ml is not None:
        ce_median = pop.ce_percentiles_ng_per_ml[pop.percentiles.index(50.0)]
    plot = pk_plot.PopulationPlot(
        title=plot_title(result),
        drug=result.patient.catalogue_model.drug,
        t_s=pop.t_s,
        percentiles=pop.percentiles,
        cp_percentiles_ng_per_ml=pop.cp_percentiles_ng_per_ml,
        ce_median_ng_per_ml=ce_median,
        ke0_per_min=result.patient.model.ke0_per_min,
        thresholds_ng_per_ml=pop.thresholds_ng_per_ml,
        fraction_above=pop.fraction_above_ng_per_ml,
        variability_published=pop.variability.is_published,
        variability_source=pop.variability.source,
    )
    with plot_file_errors():
        pk_plot.plot_population(path, plot)


def run(args: argparse.Namespace) -> int:
    return print_report(
        args, compute(args), draw=draw, as_json=as_json, summary_lines=summary_lines
    )
