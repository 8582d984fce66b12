"""`ketamine-clinic dose`: the nurse's summary, its JSON twin, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import operator_environment, run_cli, run_main

EXAMPLE = (
    "dose",
    "--weight-kg",
    "82",
    "--dose-mg-per-kg",
    "0.5",
    "--duration-min",
    "55",
    "--vial-mg-per-ml",
    "50",
    "--concentration-mg-per-ml",
    "1",
)


def with_options(*replacements: str, drop: tuple[str, ...] = ()) -> list[str]:
    """The example command with options dropped and others added or replaced."""
    args = list(EXAMPLE)
    for option in (*drop, *replacements[::2]):
        if option in args:
            index = args.index(option)
            del args[index : index + 2]
    return [*args, *replacements]


def test_the_summary_states_every_quantity_with_its_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, *EXAMPLE, "--start", "2025-03-01T09:00+00:00")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    # Values worked by hand in tests/pharmacology/test_dosing.py.
    for line in [
        "Care area               Ketamine infusion clinic — depression",
        "Weight                  82 kg",
        "Dose                    0.5 mg/kg ketamine base over 55 min",
        "Ordered dose rate       0.545 mg/kg/h",
        "Total dose              41 mg ketamine base (= 47.273 mg ketamine HCl)",
        "Stock vial              50 mg/mL labelled as base",
        "Draw from stock         0.82 mL",
        "Add diluent             40.18 mL",
        "Volume to be infused    41 mL at 1 mg/mL",
        "Syringe                 50 mL",
        "Pump rate               44.7 mL/h (exact 44.727 mL/h, pump steps of 0.1 mL/h)",
        "Rounding dose error     -0.025 mg (-0.061 %) if stopped at 55 min",
        "Run time to VTBI        55.03 min (the pump stops at the VTBI: all 41 mg base is given)",
        "Start                   2025-03-01T09:00+00:00",
        "Expected end            2025-03-01T09:55:02+00:00",
        "Library check           OK: Within every limit of Ketamine 1 mg/mL (depression).",
    ]:
        assert line in lines
    assert (
        lines[-1]
        == "Decision support only: check every number and confirm the program at the pump."
    )


def test_json_holds_the_same_plan_with_units_in_the_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(capsys, *EXAMPLE, "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["total_base_mg"] == 41.0
    assert plan["total_hcl_mg"] == pytest.approx(47.273)
    assert plan["stock_volume_ml"] == pytest.approx(0.82)
    assert plan["diluent_volume_ml"] == pytest.approx(40.18)
    assert plan["vtbi_ml"] == pytest.approx(41.0)
    assert plan["rate_ml_per_h"] == 44.7
    assert plan["rounding_dose_error_mg"] == pytest.approx(-0.025)
    assert plan["syringe_size_ml"] == 50.0
    assert plan["expected_end"] is None
    assert plan["library_check"] == {
        "verdict": "ok",
        "messages": ["Within every limit of Ketamine 1 mg/mL (depression)."],
        "breaches": [],
    }


def test_a_weight_in_pounds_is_converted_and_shown_with_both_units(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(capsys, *with_options("--weight-lb", "180", drop=("--weight-kg",)))
    assert code == 0
    assert "Weight                  81.647 kg (from 180 lb)" in out.splitlines()


def test_a_soft_breach_is_printed_with_the_message_the_prescriber_must_override(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(
        capsys,
        *with_options(
            "--weight-kg",
            "70",
            "--dose-mg-per-kg",
            "0.9",
            "--duration-min",
            "45",
            "--concentration-mg-per-ml",
            "2",
        ),
    )
    assert code == 0
    lines = out.splitlines()
    assert (
        "Library check           SOFT LIMIT: runs only after a prescriber's override with a reason"
        in lines
    )
    assert (
        "                        Dose rate 1.2 mg/kg/h is above the soft limit of 1 mg/kg/h for "
        "Ketamine 2 mg/mL (depression). It runs only after a prescriber overrides this alert "
        "with a reason." in lines
    )


def test_the_care_area_and_pump_resolution_change_the_plan(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(
        capsys,
        *EXAMPLE,
        "--care-area",
        "depression-cv-caution",
        "--pump-resolution-ml-per-h",
        "1",
        "--json",
    )
    assert code == 0
    plan = json.loads(out)
    assert plan["care_area"] == "depression-cv-caution"
    assert plan["rate_ml_per_h"] == 45.0  # 44.727 at 1 mL/h steps
    assert plan["library_check"]["verdict"] == "ok"


def test_an_order_over_a_hard_limit_prints_the_nurses_message_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(
        capsys,
        *with_options(
            "--dose-mg-per-kg", "1", "--duration-min", "30", "--concentration-mg-per-ml", "2"
        ),
    )
    assert code == 2
    assert out == ""
    assert err == (
        "ketamine-clinic: error: Dose rate 2 mg/kg/h is above the hard limit of 1.5 mg/kg/h "
        "for Ketamine 2 mg/mL (depression). The pump will not run this program; re-enter it.\n"
    )


@pytest.mark.parametrize(
    ("replacements", "reason"),
    [
        (("--weight-kg", "10"), "--weight-kg: 10 kg is outside 20-300 kg"),
        (("--weight-kg", "nan"), "--weight-kg: must be a finite number of kg; got nan"),
        (("--duration-min", "0"), "--duration-min: 0 min is outside 1-1440 min"),
        (
            ("--concentration-mg-per-ml", "60"),
            "--concentration-mg-per-ml: 60 mg/mL is stronger than the stock (50 mg base/mL); "
            "a dilution cannot concentrate",
        ),
        (
            ("--vial-mg-per-ml", "50", "--vial-label", "hcl", "--concentration-mg-per-ml", "45"),
            "--concentration-mg-per-ml: 45 mg/mL is stronger than the stock "
            "(43.37 mg base/mL); a dilution cannot concentrate",
        ),
        (
            ("--pump-resolution-ml-per-h", "0"),
            "--pump-resolution-ml-per-h: 0 mL/h is outside 0.001-10 mL/h",
        ),
        (
            ("--syringe-sizes-ml", "10,20"),
            "--concentration-mg-per-ml: the volume to infuse, 41.0 mL at 1 mg/mL, does not fit "
            "the largest syringe (20 mL); choose a higher concentration",
        ),
        (
            ("--start", "2025-03-01T09:00"),
            "--start: needs a time zone (e.g. 2025-03-01T09:00+00:00)",
        ),
        (("--start", "9 am"), "--start: not an ISO 8601 time: '9 am'"),
    ],
)
def test_a_bad_value_gets_one_line_naming_the_option_and_exit_2(
    capsys: pytest.CaptureFixture[str], replacements: tuple[str, ...], reason: str
) -> None:
    code, out, err = run_main(capsys, *with_options(*replacements))
    assert code == 2
    assert out == ""
    assert err == f"ketamine-clinic: error: {reason}\n"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            with_options("--weight-lb", "180"),
            "argument --weight-lb: not allowed with argument --weight-kg",
        ),
        (
            with_options(drop=("--weight-kg",)),
            "one of the arguments --weight-kg --weight-lb is required",
        ),
        (
            with_options("--weight-kg", "heavy"),
            "argument --weight-kg: invalid float value: 'heavy'",
        ),
        (
            with_options("--care-area", "icu"),
            # How argparse quotes the choices differs between Python versions.
            "argument --care-area: invalid choice: 'icu' (choose from ",
        ),
        (
            with_options("--syringe-sizes-ml", "ten"),
            "argument --syringe-sizes-ml: must be sizes in mL separated by commas, e.g. "
            "10,20,50; got 'ten'",
        ),
    ],
)
def test_a_malformed_command_line_gets_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


def test_the_command_runs_in_a_fresh_interpreter_without_django_or_a_database(
    tmp_path: Path,
) -> None:
    # No KC_SECRET_KEY or settings: the dose command must not need them.
    result = run_cli(*EXAMPLE, "--json", env=operator_environment(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rate_ml_per_h"] == 44.7
    assert not (tmp_path / "var").exists()
    probe = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [
            sys.executable,
            "-c",
            "import sys, contextlib, io\n"
            "from ketamine_clinic.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()): code = main({list(EXAMPLE)!r})\n"
            "print(code, any(m == 'django' or m.startswith('django.') for m in sys.modules))\n",
        ],
        env=operator_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.stdout.strip() == "0 False", probe.stderr
