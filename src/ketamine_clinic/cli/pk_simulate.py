"""`ketamine-clinic pk simulate`: predicted concentrations for one patient and one program.

A weight-based infusion (optionally a bolus first, and the nurse's rate changes) run
through a published model by the exact solver of :mod:`ketamine_clinic.pharmacology`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from ketamine_clinic.cli.pk_args import (
    RATE_CHANGES_HELP,
    S_PER_MIN,
    Patient,
    RateChange,
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
    peak,
    plot_file_errors,
    print_report,
    program_as_json,
    program_steps,
    rate_changes,
    require,
    resolve_patient,
    time_grid_s,
    with_rate_changes,
)
from ketamine_clinic.pharmacology.program import InfusionProgram, constant_infusion
from ketamine_clinic.pharmacology.solver import Simulation, simulate

DEFAULT_STEP_S: Final = 10.0
DEFAULT_TAIL_MIN: Final = 120.0
LABEL_WIDTH: Final = 26
PREDICTION_ONLY: Final = "Model prediction for decision support: not a measured concentration."

FIELD_OPTIONS: Final = {
    "dose_mg": "--dose-mg-per-kg",
    "duration_s": "--duration-min",
    "t_s": "--until-min",
}


def configure(parser: argparse.ArgumentParser) -> None:
    add_patient_options(parser)
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
        help=f"simulate until this time, minutes (default: infusion + {DEFAULT_TAIL_MIN:g} min)",
    )
    parser.add_argument(
        "--step-s",
        type=float,
        default=DEFAULT_STEP_S,
        help=f"output time step, seconds (default {DEFAULT_STEP_S:g})",
    )
    parser.add_argument(
        "--bolus-mg-per-kg",
        type=float,
        help="a bolus at time 0 before the infusion, mg of ketamine base/kg",
    )
    parser.add_argument("--rate-changes", type=rate_changes, help=RATE_CHANGES_HELP)
    parser.add_argument(
        "--concentration-mg-per-ml",
        type=float,
        help="syringe concentration, mg/mL: also gives the pump rates in mL/h",
    )
    add_output_options(parser)


@dataclass(frozen=True)
class Order:
    """What was asked for, in the units it was asked in."""

    dose_mg_per_kg: float
    duration_min: float
    bolus_mg_per_kg: float | None
    changes: tuple[RateChange, ...]
    concentration_mg_per_ml: float | None
    until_min: float

    def describe(self) -> str:
        text = f"{n(self.dose_mg_per_kg)} mg/kg over {n(self.duration_min, 1)} min"
        if self.bolus_mg_per_kg:
            text = f"bolus {n(self.bolus_mg_per_kg)} mg/kg, then {text}"
        return text


@dataclass(frozen=True)
class Result:
    patient: Patient
    order: Order
    program: InfusionProgram
    simulation: Simulation
    cmax: tuple[float, float]
    end_of_infusion_s: float | None
    cp_end_of_infusion_ng_per_ml: float | None

    @property
    def until_s(self) -> float:
        return self.order.until_min * S_PER_MIN


def read_order(args: argparse.Namespace) -> Order:
    dose = require("--dose-mg-per-kg", args.dose_mg_per_kg, "mg/kg", at_least=0)
    duration = require("--duration-min", args.duration_min, "min", above=0)
    bolus = args.bolus_mg_per_kg
    if bolus is not None:
        require("--bolus-mg-per-kg", bolus, "mg/kg", at_least=0)
    concentration = args.concentration_mg_per_ml
    if concentration is not None:
        require("--concentration-mg-per-ml", concentration, "mg/mL", above=0)
    until = args.until_min if args.until_min is not None else duration + DEFAULT_TAIL_MIN
    return Order(
        dose_mg_per_kg=dose,
        duration_min=duration,
        bolus_mg_per_kg=bolus,
        changes=tuple(args.rate_changes or ()),
        concentration_mg_per_ml=concentration,
        until_min=until,
    )


def build_program(order: Order, weight_kg: float) -> InfusionProgram:
    with library_errors(FIELD_OPTIONS):
        program = constant_infusion(
            order.dose_mg_per_kg * weight_kg, order.duration_min * S_PER_MIN
        )
        if order.bolus_mg_per_kg:
            program = program.with_bolus(0.0, order.bolus_mg_per_kg * weight_kg)
    return with_rate_changes(program, order.changes, weight_kg=weight_kg, until_min=order.until_min)


def compute(args: argparse.Namespace) -> Result:
    check_plot_target(args.plot)
    order = read_order(args)
    grid = time_grid_s(order.until_min, args.step_s)
    patient = resolve_patient(args)
    program = build_program(order, patient.weight_kg)
    with library_errors(FIELD_OPTIONS):
        sim = simulate(patient.model, program, grid)
        # Cmax and the end of infusion fall on a change of rate: look there as well as on
        # the output grid, so the summary does not depend on --step-s.
        events = np.array(
            [t for t in (*program.rate_change_times_s, *program.bolus_times_s) if t <= grid[-1]]
        )
        dense = np.union1d(grid, events)
        at_events = simulate(patient.model, program, dense)
    stop_s = end_of_infusion_s(program)
    cp_end = None
    if stop_s is not None and stop_s <= grid[-1]:
        cp_end = float(at_events.cp_ng_per_ml[int(np.searchsorted(dense, stop_s))])
    result = Result(
        patient=patient,
        order=order,
        program=program,
        simulation=sim,
        cmax=peak(dense, at_events.cp_ng_per_ml),
        end_of_infusion_s=stop_s if cp_end is not None else None,
        cp_end_of_infusion_ng_per_ml=cp_end,
    )
    return result


def as_json(result: Result) -> dict[str, object]:
    sim, order, patient = result.simulation, result.order, result.patient
    weight = patient.weight_kg
    ce = sim.ce_ng_per_ml
    metabolite = sim.metabolite_ng_per_ml
    return {
        "model": model_as_json(patient.catalogue_model),
        "patient": patient.as_json(),
        "order": {
            "dose_mg_per_kg": order.dose_mg_per_kg,
            "dose_mg": order.dose_mg_per_kg * weight,
            "duration_min": order.duration_min,
            "rate_mg_per_kg_per_h": order.dose_mg_per_kg / order.duration_min * 60.0,
            "bolus_mg_per_kg": order.bolus_mg_per_kg,
            "bolus_mg": None if order.bolus_mg_per_kg is None else order.bolus_mg_per_kg * weight,
            "rate_changes": [{"t_min": c.t_min, "change": c.change} for c in order.changes],
            "until_min": order.until_min,
        },
        "program": program_as_json(
            result.program,
            weight_kg=weight,
            until_s=result.until_s,
            concentration_mg_per_ml=order.concentration_mg_per_ml,
        ),
        "summary": {
            "cmax_ng_per_ml": result.cmax[0],
            "t_cmax_s": result.cmax[1],
            "end_of_infusion_s": result.end_of_infusion_s,
            "cp_end_of_infusion_ng_per_ml": result.cp_end_of_infusion_ng_per_ml,
            "ce_max_ng_per_ml": None if ce is None else float(np.max(ce)),
            "metabolite_max_ng_per_ml": None if metabolite is None else float(np.max(metabolite)),
        },
        "t_s": float_list(sim.t_s),
        "cp_ng_per_ml": float_list(sim.cp_ng_per_ml),
        "ce_ng_per_ml": float_list(ce),
        "metabolite": patient.model.metabolite_name,
        "metabolite_ng_per_ml": float_list(metabolite),
        "warnings": list(patient.model.warnings),
    }


def summary_lines(result: Result) -> list[str]:
    sim, order, patient = result.simulation, result.order, result.patient
    model = patient.catalogue_model
    program = result.program
    rows = [
        ("Model", model_name(model)),
        ("Patient", patient.describe()),
        ("Dose", order.describe()),
    ]
    total = program.dose_mg_until(result.until_s)
    rows.append(
        (
            "Given by the end",
            f"{n(total, 1)} mg ({n(total / patient.weight_kg)} mg/kg) by {minutes(result.until_s)}",
        )
    )
    if order.changes:
        rows.append(("Rate changes", ", ".join(c.text for c in order.changes)))
    cmax, t_cmax = result.cmax
    rows.append(("Cmax (plasma)", f"{n(cmax, 0)} ng/mL at {minutes(t_cmax)}"))
    if result.end_of_infusion_s is not None and result.cp_end_of_infusion_ng_per_ml is not None:
        rows.append(
            (
                "Cp at end of infusion",
                f"{n(result.cp_end_of_infusion_ng_per_ml, 0)} ng/mL at "
                f"{minutes(result.end_of_infusion_s)}",
            )
        )
    elif any(rate > 0 for rate in program.rates_mg_per_h):
        rows.append(("Cp at end of infusion", f"still running at {minutes(result.until_s)}"))
    else:
        rows.append(("Cp at end of infusion", "no infusion (bolus only)"))
    rows.append(
        ("Cp at the end", f"{n(float(sim.cp_ng_per_ml[-1]), 0)} ng/mL at {minutes(result.until_s)}")
    )
    if sim.ce_ng_per_ml is not None:
        ce_max, t_ce = peak(sim.t_s, sim.ce_ng_per_ml)
        rows.append(("Ce max (assumed ke0)", f"{n(ce_max, 0)} ng/mL at {minutes(t_ce)}"))
    if sim.metabolite_ng_per_ml is not None:
        m_max, t_m = peak(sim.t_s, sim.metabolite_ng_per_ml)
        rows.append(
            (f"{patient.model.metabolite_name} max", f"{n(m_max, 0)} ng/mL at {minutes(t_m)}")
        )
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    lines.extend(f"Warning: {warning}" for warning in patient.model.warnings)
    lines.append(PREDICTION_ONLY)
    return lines


def plot_title(result: Result) -> str:
    patient, order = result.patient, result.order
    title = (
        f"{patient.catalogue_model.title}: {patient.describe()}, {order.describe()} "
        f"({n(order.dose_mg_per_kg * patient.weight_kg, 1)} mg)"
    )
    if order.changes:
        title += "\nRate changes: " + ", ".join(c.text for c in order.changes)
    return title


def draw(result: Result, path: Path) -> None:
    from ketamine_clinic.cli import pk_plot  # matplotlib only when a plot is asked for

    order, weight = result.order, result.patient.weight_kg
    steps = [
        (start, end, rate / weight)
        for start, end, rate in program_steps(result.program, until_s=result.until_s)
    ]
    secondary = None
    if order.concentration_mg_per_ml is not None:
        secondary = (
            f"mL/h at {n(order.concentration_mg_per_ml)} mg/mL",
            "mL/h",
            weight / order.concentration_mg_per_ml,
        )
    marks = [(c.t_s, c.change) for c in order.changes]
    marks.extend(
        (t, f"bolus {n(dose, 1)} mg")
        for t, dose in zip(result.program.bolus_times_s, result.program.boluses_mg, strict=True)
    )
    sim = result.simulation
    model = result.patient.model
    plot = pk_plot.SimulationPlot(
        title=plot_title(result),
        drug=result.patient.catalogue_model.drug,
        t_s=sim.t_s,
        cp_ng_per_ml=sim.cp_ng_per_ml,
        ce_ng_per_ml=sim.ce_ng_per_ml,
        ke0_per_min=model.ke0_per_min,
        metabolite_name=model.metabolite_name,
        metabolite_ng_per_ml=sim.metabolite_ng_per_ml,
        cmax=result.cmax,
        pump=pk_plot.PumpProgram(
            steps=steps, unit="mg/kg/h", secondary=secondary, marks=sorted(marks)
        ),
    )
    with plot_file_errors():
        pk_plot.plot_simulation(path, plot)


def run(args: argparse.Namespace) -> int:
    return print_report(
        args, compute(args), draw=draw, as_json=as_json, summary_lines=summary_lines
    )
