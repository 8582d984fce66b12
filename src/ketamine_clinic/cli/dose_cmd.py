"""`ketamine-clinic dose`: work out an infusion from weight and order, as a nurse reads it.

Pure arithmetic and the drug library check (`ketamine_clinic.pharmacology`): no
database and no Django, so it runs on any machine with the package installed. It is
decision support: the clinician confirms every program at the pump.

Exit status: 0 when a plan is printed (the check says whether it needs a prescriber's
override), 2 when an option is wrong or the order crosses a hard limit (one line on
stderr naming the option, or the nurse's message).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from ketamine_clinic.cli.base import CliError, Subcommand
from ketamine_clinic.pharmacology.dosing import (
    DEFAULT_PUMP_RESOLUTION_ML_PER_H,
    DEFAULT_SYRINGE_SIZES_ML,
    InfusionPlan,
    patient_weight_kg,
    plan_infusion,
)
from ketamine_clinic.pharmacology.dosing_errors import HardLimitBreach, InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import (
    DrugLibraryEntry,
    Verdict,
    format_number,
)
from ketamine_clinic.pharmacology.drug_library_data import (
    DEFAULT_CARE_AREA,
    DEFAULT_LIBRARY,
    library_entry,
)
from ketamine_clinic.pharmacology.units import SaltForm

# The option that carries each field the dosing code validates, so an error names what
# the user typed.
FIELD_OPTIONS = {
    "weight_kg": "--weight-kg",
    "weight_lb": "--weight-lb",
    "dose_mg_per_kg": "--dose-mg-per-kg",
    "duration_min": "--duration-min",
    "vial_strength_mg_per_ml": "--vial-mg-per-ml",
    "concentration_mg_per_ml": "--concentration-mg-per-ml",
    "pump_resolution_ml_per_h": "--pump-resolution-ml-per-h",
    "syringe_sizes_ml": "--syringe-sizes-ml",
    "start": "--start",
    "care_area": "--care-area",
}

VERDICT_TEXT = {
    Verdict.SOFT_BREACH: "SOFT LIMIT: runs only after a prescriber's override with a reason",
}
CONFIRM_AT_PUMP = "Decision support only: check every number and confirm the program at the pump."
LABEL_WIDTH = 24


def syringe_sizes(raw: str) -> tuple[float, ...]:
    """An argparse type: comma-separated syringe sizes in mL, e.g. ``10,20,50``."""
    try:
        sizes = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be sizes in mL separated by commas, e.g. 10,20,50; got {raw!r}"
        ) from None
    if not sizes:
        raise argparse.ArgumentTypeError("must list at least one size in mL")
    return sizes


def configure(parser: argparse.ArgumentParser) -> None:
    weight = parser.add_mutually_exclusive_group(required=True)
    weight.add_argument("--weight-kg", type=float, help="weight measured for this visit, kg")
    weight.add_argument("--weight-lb", type=float, help="the same in pounds (converted exactly)")
    parser.add_argument(
        "--dose-mg-per-kg", type=float, required=True, help="ordered dose, mg of ketamine base/kg"
    )
    parser.add_argument(
        "--duration-min", type=float, required=True, help="planned infusion time, minutes"
    )
    parser.add_argument(
        "--vial-mg-per-ml", type=float, required=True, help="stock vial strength as labelled, mg/mL"
    )
    parser.add_argument(
        "--vial-label",
        choices=[form.value for form in SaltForm],
        default=SaltForm.BASE.value,
        help="whether the vial's strength is mg of base (usual) or of the HCl salt",
    )
    parser.add_argument(
        "--concentration-mg-per-ml",
        type=float,
        required=True,
        help="syringe concentration to make up, mg of ketamine base/mL",
    )
    parser.add_argument(
        "--pump-resolution-ml-per-h",
        type=float,
        default=DEFAULT_PUMP_RESOLUTION_ML_PER_H,
        help=f"the pump's rate step, mL/h (default {DEFAULT_PUMP_RESOLUTION_ML_PER_H:g})",
    )
    parser.add_argument(
        "--syringe-sizes-ml",
        type=syringe_sizes,
        default=DEFAULT_SYRINGE_SIZES_ML,
        help="syringe sizes stocked, mL, comma-separated (default 10,20,30,50,60)",
    )
    parser.add_argument(
        "--care-area",
        choices=sorted(DEFAULT_LIBRARY),
        default=DEFAULT_CARE_AREA,
        help=f"drug library care area whose limits apply (default {DEFAULT_CARE_AREA})",
    )
    parser.add_argument(
        "--start",
        help="start time, ISO 8601 with a zone (e.g. 2025-03-01T09:00+01:00); gives the end time",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def parse_start(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise CliError(f"--start: not an ISO 8601 time: {raw!r}") from None


def _n(value: float, decimals: int = 3) -> str:
    return format_number(value, decimals=decimals)


def summary_lines(
    plan: InfusionPlan, entry: DrugLibraryEntry, weight_lb: float | None
) -> list[str]:
    """The plan as a nurse reads it: one quantity a line, units everywhere."""
    weight = f"{_n(plan.weight_kg)} kg"
    if weight_lb is not None:
        weight += f" (from {_n(weight_lb)} lb)"
    if plan.vial_labelled_as is SaltForm.HCL:
        vial = (
            f"{_n(plan.vial_strength_mg_per_ml)} mg/mL labelled as HCl "
            f"(= {_n(plan.vial_strength_base_mg_per_ml)} mg base/mL)"
        )
    else:
        vial = f"{_n(plan.vial_strength_mg_per_ml)} mg/mL labelled as base"
    rows = [
        ("Care area", entry.care_area),
        ("Weight", weight),
        (
            "Dose",
            f"{_n(plan.dose_mg_per_kg)} mg/kg ketamine base over {_n(plan.duration_min)} min",
        ),
        ("Ordered dose rate", f"{_n(plan.ordered_dose_rate_mg_per_kg_per_h)} mg/kg/h"),
        (
            "Total dose",
            f"{_n(plan.total_base_mg)} mg ketamine base "
            f"(= {_n(plan.total_hcl_mg)} mg ketamine HCl)",
        ),
        ("Stock vial", vial),
        ("Draw from stock", f"{_n(plan.stock_volume_ml, 2)} mL"),
        ("Add diluent", f"{_n(plan.diluent_volume_ml, 2)} mL"),
        (
            "Volume to be infused",
            f"{_n(plan.vtbi_ml, 2)} mL at {_n(plan.concentration_mg_per_ml)} mg/mL",
        ),
        ("Syringe", f"{_n(plan.syringe_size_ml)} mL"),
        (
            "Pump rate",
            f"{_n(plan.rate_ml_per_h)} mL/h (exact {_n(plan.exact_rate_ml_per_h)} mL/h, "
            f"pump steps of {_n(plan.pump_resolution_ml_per_h)} mL/h)",
        ),
        ("Delivered dose rate", f"{_n(plan.delivered_dose_rate_mg_per_kg_per_h)} mg/kg/h"),
        (
            "Rounding dose error",
            f"{plan.rounding_dose_error_mg:+.3f} mg ({plan.rounding_dose_error_percent:+.3f} %) "
            f"if stopped at {_n(plan.duration_min)} min",
        ),
        (
            "Run time to VTBI",
            f"{_n(plan.run_min, 2)} min (the pump stops at the VTBI: "
            f"all {_n(plan.total_base_mg)} mg base is given)",
        ),
    ]
    if plan.start is not None and plan.expected_end is not None:
        rows.append(("Start", plan.start.isoformat(timespec="minutes")))
        rows.append(("Expected end", plan.expected_end.isoformat(timespec="seconds")))
    result = plan.check_result
    if result.verdict is Verdict.OK:
        rows.append(("Library check", f"OK: {result.messages[0]}"))
        notes: tuple[str, ...] = ()
    else:
        rows.append(("Library check", VERDICT_TEXT[result.verdict]))
        notes = result.messages
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    lines.extend(f"{'':<{LABEL_WIDTH}}{message}" for message in notes)
    lines.append(f"{'Advisory':<{LABEL_WIDTH}}{entry.advisory}")
    lines.append(CONFIRM_AT_PUMP)
    return lines


def plan_as_json(
    plan: InfusionPlan, entry: DrugLibraryEntry, weight_lb: float | None
) -> dict[str, object]:
    """The same plan as JSON: every quantity with its unit in its key."""
    result = plan.check_result
    return {
        "care_area": entry.key,
        "care_area_name": entry.care_area,
        "weight_kg": plan.weight_kg,
        "weight_lb": weight_lb,
        "dose_mg_per_kg": plan.dose_mg_per_kg,
        "duration_min": plan.duration_min,
        "ordered_dose_rate_mg_per_kg_per_h": plan.ordered_dose_rate_mg_per_kg_per_h,
        "total_base_mg": plan.total_base_mg,
        "total_hcl_mg": plan.total_hcl_mg,
        "vial_strength_mg_per_ml": plan.vial_strength_mg_per_ml,
        "vial_labelled_as": plan.vial_labelled_as.value,
        "vial_strength_base_mg_per_ml": plan.vial_strength_base_mg_per_ml,
        "concentration_mg_per_ml": plan.concentration_mg_per_ml,
        "stock_volume_ml": plan.stock_volume_ml,
        "diluent_volume_ml": plan.diluent_volume_ml,
        "vtbi_ml": plan.vtbi_ml,
        "syringe_size_ml": plan.syringe_size_ml,
        "exact_rate_ml_per_h": plan.exact_rate_ml_per_h,
        "rate_ml_per_h": plan.rate_ml_per_h,
        "pump_resolution_ml_per_h": plan.pump_resolution_ml_per_h,
        "delivered_dose_rate_mg_per_kg_per_h": plan.delivered_dose_rate_mg_per_kg_per_h,
        "rounding_dose_error_mg": plan.rounding_dose_error_mg,
        "rounding_dose_error_percent": plan.rounding_dose_error_percent,
        "run_min": plan.run_min,
        "start": None if plan.start is None else plan.start.isoformat(),
        "expected_end": None if plan.expected_end is None else plan.expected_end.isoformat(),
        "library_check": {
            "verdict": result.verdict.value,
            "messages": list(result.messages),
            "breaches": [
                {
                    "quantity": breach.quantity.value,
                    "severity": breach.severity.value,
                    "direction": breach.direction.value,
                    "value": breach.value,
                    "limit": breach.limit,
                    "unit": breach.unit,
                    "message": breach.message,
                }
                for breach in result.breaches
            ],
        },
        "advisory": entry.advisory,
    }


def run(args: argparse.Namespace) -> int:
    start = parse_start(args.start)
    try:
        entry = library_entry(args.care_area)
        weight_kg = patient_weight_kg(weight_kg=args.weight_kg, weight_lb=args.weight_lb)
        plan = plan_infusion(
            weight_kg=weight_kg,
            dose_mg_per_kg=args.dose_mg_per_kg,
            duration_min=args.duration_min,
            vial_strength_mg_per_ml=args.vial_mg_per_ml,
            vial_labelled_as=SaltForm(args.vial_label),
            concentration_mg_per_ml=args.concentration_mg_per_ml,
            pump_resolution_ml_per_h=args.pump_resolution_ml_per_h,
            syringe_sizes_ml=args.syringe_sizes_ml,
            entry=entry,
            start=start,
        )
    except InvalidDoseInput as exc:
        raise CliError(f"{FIELD_OPTIONS.get(exc.field, exc.field)}: {exc.reason}") from exc
    except HardLimitBreach as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps(plan_as_json(plan, entry, args.weight_lb), indent=2, ensure_ascii=False))
    else:
        print("\n".join(summary_lines(plan, entry, args.weight_lb)))
    return 0


COMMAND = Subcommand(
    name="dose",
    help="Work out a weight-based ketamine infusion (volumes, syringe, pump rate) and "
    "check it against the drug library. Needs no database.",
    configure=configure,
    run=run,
)
