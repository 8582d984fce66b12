"""`ketamine-clinic pk`: predictions as JSON and as a summary, and one-line errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ketamine_clinic.pharmacology.models import get_model
from ketamine_clinic.pharmacology.population import simulate_population
from ketamine_clinic.pharmacology.program import apply_rate_changes, constant_infusion
from ketamine_clinic.pharmacology.solver import simulate
from ketamine_clinic.pharmacology.tci import PumpLimits, plasma_tci
from tests.cli.conftest import operator_environment, run_main
from tests.cli.test_help import subcommand_parsers

SIMULATE = (
    "pk",
    "simulate",
    "--model",
    "domino",
    "--weight-kg",
    "70",
    "--dose-mg-per-kg",
    "0.5",
    "--duration-min",
    "40",
    "--until-min",
    "180",
    "--step-s",
    "10",
)


def with_options(
    base: tuple[str, ...], *replacements: str, drop: tuple[str, ...] = ()
) -> list[str]:
    """A command with options dropped and others added or replaced (flags not handled)."""
    args = list(base)
    for option in (*drop, *replacements[::2]):
        if option in args:
            index = args.index(option)
            del args[index : index + 2]
    return [*args, *replacements]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = run_main(capsys, *args, "--json")
    assert code == 0, err
    assert err == ""
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def floats(value: object) -> np.ndarray:
    assert isinstance(value, list)
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------------------------
# pk simulate
# --------------------------------------------------------------------------------------


def test_simulate_json_is_exactly_the_solvers_prediction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *SIMULATE)
    t_s = floats(result["t_s"])
    assert_array_equal(t_s, np.arange(0.0, 10_801.0, 10.0))
    model = get_model("domino").for_patient(weight_kg=70.0)
    direct = simulate(model, constant_infusion(35.0, 2400.0), t_s)
    assert_array_equal(floats(result["cp_ng_per_ml"]), direct.cp_ng_per_ml)
    assert direct.ce_ng_per_ml is not None
    assert_array_equal(floats(result["ce_ng_per_ml"]), direct.ce_ng_per_ml)
    assert result["metabolite_ng_per_ml"] is None
    # /work/shared/reference/pharmacology.md: Domino, 70 kg, 0.5 mg/kg over 40 min, Cp at
    # the end of the infusion ~240 ng/mL (computed independently with scipy).
    cp_at_40_min = floats(result["cp_ng_per_ml"])[240]
    assert cp_at_40_min == pytest.approx(240.0, rel=0.02)
    summary = result["summary"]
    assert isinstance(summary, dict)
    assert summary["end_of_infusion_s"] == 2400.0
    assert summary["cp_end_of_infusion_ng_per_ml"] == pytest.approx(cp_at_40_min)
    assert summary["cmax_ng_per_ml"] == pytest.approx(cp_at_40_min)
    assert summary["t_cmax_s"] == 2400.0


def test_simulate_json_names_the_model_patient_program_and_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *SIMULATE, "--concentration-mg-per-ml", "1")
    model = result["model"]
    assert isinstance(model, dict)
    assert model["name"] == "domino"
    assert model["title"] == "Domino 1982"
    assert model["ke0_is_assumed"] is True
    assert result["patient"] == {
        "weight_kg": 70.0,
        "weight_lb": None,
        "age_years": None,
        "forced_outside_population": False,
    }
    program = result["program"]
    assert isinstance(program, dict)
    assert program["rate_change_times_s"] == [0.0, 2400.0]
    assert program["rates_mg_per_h"] == [52.5, 0.0]
    assert program["total_dose_mg"] == pytest.approx(35.0)
    assert program["steps"] == [
        {
            "start_s": 0.0,
            "end_s": 2400.0,
            "rate_mg_per_h": 52.5,
            "rate_mg_per_kg_per_h": 0.75,
            "rate_ml_per_h": 52.5,
        },
        {
            "start_s": 2400.0,
            "end_s": 10800.0,
            "rate_mg_per_h": 0.0,
            "rate_mg_per_kg_per_h": 0.0,
            "rate_ml_per_h": 0.0,
        },
    ]
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    assert any("No measured ke0 exists for racemic ketamine" in w for w in warnings)


def test_simulate_reports_the_metabolite_of_a_model_that_has_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *with_options(SIMULATE, "--model", "simons"))
    assert result["metabolite"] == "S-norketamine"
    metabolite = floats(result["metabolite_ng_per_ml"])
    assert metabolite.shape == floats(result["t_s"]).shape
    assert metabolite[0] == 0.0
    assert metabolite.max() > 0.0


def test_rate_changes_are_applied_as_the_nurse_would_at_the_pump(
    capsys: pytest.CaptureFixture[str],
) -> None:
    changes = "20:+10%,25:-0.05 mg/kg/h,30:pause,35:resume,38:set 0.6 mg/kg/h,39:stop"
    result = run_json(capsys, *SIMULATE, "--rate-changes", changes)
    program = result["program"]
    assert isinstance(program, dict)
    assert program["rate_change_times_s"] == [
        0.0,
        1200.0,
        1500.0,
        1800.0,
        2100.0,
        2280.0,
        2340.0,
        2400.0,
    ]
    assert_allclose(
        program["rates_mg_per_h"],
        [52.5, 57.75, 54.25, 0.0, 54.25, 42.0, 0.0, 0.0],
        rtol=1e-12,
    )
    # The same program built directly gives the same arrays.
    expected = apply_rate_changes(
        constant_infusion(35.0, 2400.0),
        [
            (1200.0, "+10%"),
            (1500.0, "-0.05 mg/kg/h"),
            (1800.0, "pause"),
            (2100.0, "resume"),
            (2280.0, "set 0.6 mg/kg/h"),
            (2340.0, "stop"),
        ],
        weight_kg=70.0,
    )
    direct = simulate(
        get_model("domino").for_patient(weight_kg=70.0), expected, floats(result["t_s"])
    )
    assert_array_equal(floats(result["cp_ng_per_ml"]), direct.cp_ng_per_ml)
    summary = result["summary"]
    assert isinstance(summary, dict)
    assert summary["end_of_infusion_s"] == 2340.0


def test_a_pause_makes_the_plasma_concentration_fall_and_resume_makes_it_rise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plain = floats(run_json(capsys, *SIMULATE)["cp_ng_per_ml"])
    paused = floats(
        run_json(capsys, *SIMULATE, "--rate-changes", "20:pause,30:resume")["cp_ng_per_ml"]
    )
    # Grid index = minutes x 6 (10 s steps).
    assert_array_equal(paused[:121], plain[:121])
    assert paused[180] < paused[121] < plain[121]  # falling during the pause
    assert paused[240] > paused[180]  # rising again after resume
    assert paused[240] < plain[240]  # less drug given in all


def test_a_bolus_and_a_weight_in_pounds_are_used(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(
        capsys,
        *with_options(
            SIMULATE, "--weight-lb", "180", "--bolus-mg-per-kg", "0.1", drop=("--weight-kg",)
        ),
    )
    patient = result["patient"]
    assert isinstance(patient, dict)
    weight_kg = 180 * 0.45359237
    assert patient["weight_kg"] == pytest.approx(weight_kg)
    program = result["program"]
    assert isinstance(program, dict)
    assert program["bolus_times_s"] == [0.0]
    assert program["boluses_mg"] == [pytest.approx(0.1 * weight_kg)]
    model = get_model("domino").for_patient(weight_kg=weight_kg)
    direct = simulate(
        model,
        constant_infusion(0.5 * weight_kg, 2400.0).with_bolus(0.0, 0.1 * weight_kg),
        floats(result["t_s"]),
    )
    assert_allclose(floats(result["cp_ng_per_ml"]), direct.cp_ng_per_ml, rtol=1e-12)


def test_a_paediatric_model_runs_on_an_adult_only_when_forced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = with_options(SIMULATE, "--model", "herd", "--age-years", "40")
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("ketamine-clinic: error: --age-years: Herd 2007: age_years 40 years")
    assert err.endswith("Add --force to extrapolate anyway.\n")
    assert err.count("\n") == 1
    result = run_json(capsys, *args, "--force")
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    assert warnings[0].startswith("Forced outside the model's population")
    patient = result["patient"]
    assert isinstance(patient, dict)
    assert patient["forced_outside_population"] is True


def test_simulate_prints_a_summary_a_clinician_reads(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, *SIMULATE)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    for line in [
        "Model                     Domino 1982 (racemic ketamine)",
        "Patient                   70 kg",
        "Dose                      0.5 mg/kg over 40 min",
        "Given by the end          35 mg (0.5 mg/kg) by 180 min",
        "Cmax (plasma)             240 ng/mL at 40 min",
        "Cp at end of infusion     240 ng/mL at 40 min",
    ]:
        assert line in lines
    assert (
        "Warning: No measured ke0 exists for racemic ketamine; the effect-site curve uses an "
        "assumed ke0 of 0.652 /min and is illustrative." in lines
    )
    assert lines[-1] == "Model prediction for decision support: not a measured concentration."


def test_a_continuing_infusion_is_said_to_be_still_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(capsys, *with_options(SIMULATE, "--until-min", "30"))
    assert code == 0
    assert "Cp at end of infusion     still running at 30 min" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            with_options(SIMULATE, "--model", "marsh"),
            "--model: no model named 'marsh'; known models: domino, clements, hijazi, herd, "
            "kamp, simons",
        ),
        (
            with_options(SIMULATE, "--weight-kg", "-70"),
            "--weight-kg: must be more than 0 kg; got -70",
        ),
        (
            with_options(SIMULATE, "--weight-kg", "nan"),
            "--weight-kg: must be a finite number of kg; got nan",
        ),
        (
            with_options(SIMULATE, "--weight-kg", "250"),
            "--weight-kg: Domino 1982: weight_kg 250 kg is outside the model's population "
            "(30-200 kg; adults, racemic ketamine, venous sampling). Add --force to "
            "extrapolate anyway.",
        ),
        (
            with_options(SIMULATE, "--weight-lb", "0", drop=("--weight-kg",)),
            "--weight-lb: must be more than 0 lb; got 0",
        ),
        (
            with_options(SIMULATE, "--age-years", "-1"),
            "--age-years: must be at least 0 years; got -1",
        ),
        (
            with_options(SIMULATE, "--dose-mg-per-kg", "-0.5"),
            "--dose-mg-per-kg: must be at least 0 mg/kg; got -0.5",
        ),
        (
            with_options(SIMULATE, "--duration-min", "0"),
            "--duration-min: must be more than 0 min; got 0",
        ),
        (with_options(SIMULATE, "--until-min", "0"), "--until-min: must be more than 0 min; got 0"),
        (with_options(SIMULATE, "--step-s", "0"), "--step-s: must be more than 0 s; got 0"),
        (
            with_options(SIMULATE, "--step-s", "0.01"),
            "--step-s: 0.01 s over 180 min gives 1,080,001 points; at most 200,000 (use a "
            "larger step)",
        ),
        (
            with_options(SIMULATE, "--bolus-mg-per-kg", "-1"),
            "--bolus-mg-per-kg: must be at least 0 mg/kg; got -1",
        ),
        (
            with_options(SIMULATE, "--concentration-mg-per-ml", "0"),
            "--concentration-mg-per-ml: must be more than 0 mg/mL; got 0",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "20:faster"),
            "--rate-changes: '20:faster': cannot read 'faster'; expected \"+10%\", \"-10%\", "
            '"+0.05 mg/kg/h", "-2 mg/h", "set 0.6 mg/kg/h", "pause", "resume" or "stop" '
            "(units: mg/h, mg/min, mg/kg/h, mg/kg/min)",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "20:+10%,30:resume"),
            "--rate-changes: '30:resume': resume without an earlier pause",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "20:-1 mg/kg/h"),
            "--rate-changes: '20:-1 mg/kg/h': '-1 mg/kg/h' would make the rate negative "
            "(-17.5 mg/h)",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "200:pause"),
            "--rate-changes: '200:pause' is after the end of the simulation (--until-min 180)",
        ),
        (
            with_options(SIMULATE, "--plot", "/no/such/directory/cp.png"),
            "--plot: the directory '/no/such/directory' does not exist",
        ),
    ],
)
def test_simulate_refuses_a_bad_value_in_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err == f"ketamine-clinic: error: {reason}\n"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            with_options(SIMULATE, "--weight-lb", "150"),
            "argument --weight-lb: not allowed with argument --weight-kg",
        ),
        (
            with_options(SIMULATE, drop=("--weight-kg",)),
            "one of the arguments --weight-kg --weight-lb is required",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "20+10%"),
            "argument --rate-changes: '20+10%' is not MINUTES:CHANGE",
        ),
        (
            with_options(SIMULATE, "--rate-changes", "soon:pause"),
            "argument --rate-changes: 'soon:pause': the time before ':' must be minutes",
        ),
        (
            [*SIMULATE, "--rate-changes=-5:pause"],
            "argument --rate-changes: '-5:pause': the time must be minutes >= 0",
        ),
        (
            with_options(SIMULATE, "--plot", "cp.jpg"),
            "argument --plot: the file name must end in .svg or .png",
        ),
        (with_options(SIMULATE, "--step-s", "fast"), "argument --step-s: invalid float value"),
        (
            with_options(SIMULATE, drop=("--duration-min",)),
            "the following arguments are required: --duration-min",
        ),
        (["pk"], "the following arguments are required: ACTION"),
        (["pk", "predict"], "argument ACTION: invalid choice: 'predict'"),
    ],
)
def test_a_malformed_pk_command_line_gets_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


@pytest.mark.parametrize(
    ("action", "options"),
    [
        (
            "simulate",
            [
                "--model",
                "--weight-kg",
                "--weight-lb",
                "--age-years",
                "--force",
                "--dose-mg-per-kg",
                "--duration-min",
                "--until-min",
                "--step-s",
                "--bolus-mg-per-kg",
                "--rate-changes",
                "--concentration-mg-per-ml",
                "--json",
                "--plot",
            ],
        ),
        (
            "tci",
            [
                "--target-ng-per-ml",
                "--mode",
                "--duration-min",
                "--concentration-mg-per-ml",
                "--max-rate-ml-per-h",
                "--resolution-ml-per-h",
                "--update-s",
                "--max-overshoot-percent",
                "--targets",
                "--json",
                "--plot",
            ],
        ),
        (
            "population",
            ["-n", "--seed", "--threshold-ng-per-ml", "--dose-mg-per-kg", "--json", "--plot"],
        ),
    ],
)
def test_each_pk_action_has_help_naming_its_options(
    capsys: pytest.CaptureFixture[str], action: str, options: list[str]
) -> None:
    code, out, err = run_main(capsys, "pk", action, "--help")
    assert code == 0
    assert err == ""
    assert out.startswith(f"usage: ketamine-clinic pk {action} ")
    for option in options:
        assert option in out
    parser = subcommand_parsers()["pk"]
    actions = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert [a.dest for a in actions.choices[action]._actions if not a.help] == []


# --------------------------------------------------------------------------------------
# pk tci
# --------------------------------------------------------------------------------------

TCI = (
    "pk",
    "tci",
    "--target-ng-per-ml",
    "150",
    "--weight-kg",
    "70",
    "--duration-min",
    "60",
    "--concentration-mg-per-ml",
    "1",
)
KE0_STATEMENT = (
    "No measured ke0 exists for racemic ketamine: every effect-site concentration here uses "
    "an assumed ke0 and is illustrative; plasma targeting is the evidence-based mode."
)


def test_plasma_tci_json_is_the_engines_schedule_with_the_ke0_statement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *TCI, "--mode", "plasma", "--targets", "30:100")
    assert result["mode"] == "plasma"
    assert result["ke0_statement"] == KE0_STATEMENT
    schedule = plasma_tci(
        get_model("domino").for_patient(weight_kg=70.0),
        target_ng_per_ml=150.0,
        duration_s=3600.0,
        pump=PumpLimits(concentration_mg_per_ml=1.0),
        target_changes=[(1800.0, 100.0)],
    )
    assert_array_equal(floats(result["t_s"]), schedule.t_s)
    assert_array_equal(floats(result["cp_ng_per_ml"]), schedule.cp_ng_per_ml)
    assert result["targets"] == [
        {"t_s": 0.0, "target_ng_per_ml": 150.0},
        {"t_s": 1800.0, "target_ng_per_ml": 100.0},
    ]
    rows = result["schedule"]
    assert isinstance(rows, list)
    assert [row["t_s"] for row in rows] == list(schedule.rate_change_times_s)
    assert [row["rate_ml_per_h"] for row in rows] == list(schedule.rates_ml_per_h)
    assert rows[-1]["rate_ml_per_h"] == 0.0  # the pump stops at the end
    # At 1 mg/mL, mg/h equal mL/h; every rate is a multiple of the pump's 0.1 mL/h.
    for row in rows:
        assert row["rate_mg_per_h"] == row["rate_ml_per_h"]
        assert round(row["rate_ml_per_h"] * 10) == pytest.approx(row["rate_ml_per_h"] * 10)
    assert result["total_volume_ml"] == pytest.approx(schedule.total_volume_ml)
    cp = floats(result["cp_ng_per_ml"])
    assert cp[1790] == pytest.approx(150.0, rel=0.01)  # held on target before the change
    assert cp[-1] == pytest.approx(100.0, rel=0.01)


def test_effect_site_tci_caps_the_plasma_overshoot_and_warns_about_the_mode(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *TCI, "--mode", "effect-site", "--max-overshoot-percent", "50")
    assert result["mode"] == "effect-site"
    assert result["ke0_statement"] == KE0_STATEMENT
    cp = floats(result["cp_ng_per_ml"])
    ce = floats(result["ce_ng_per_ml"])
    assert cp.max() <= 150.0 * 1.5 * 1.001
    assert ce.max() <= 150.0 * 1.001
    assert ce[-1] == pytest.approx(150.0, rel=0.01)
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    assert any("plasma targeting is the evidence-based mode" in w for w in warnings)


def test_tci_prints_a_schedule_the_pump_can_run_and_states_the_ke0_fact(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, *TCI)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert "Mode                      plasma targeting (Jacobs 1990)" in lines
    assert KE0_STATEMENT in lines
    header = lines.index("Rate schedule (run each rate from its time until the next):")
    assert lines[header + 1].split() == [
        "time",
        "mL/h",
        "mg/h",
        "mg/kg/h",
        "Cp",
        "ng/mL",
        "Ce",
        "ng/mL",
    ]
    first = lines[header + 2].split()
    assert first[0] == "0:00"
    assert float(first[1]) > 100  # the loading rate
    assert lines[-1].startswith("Decision support only")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            with_options(TCI, "--target-ng-per-ml", "0"),
            "--target-ng-per-ml: must be more than 0 ng/mL; got 0",
        ),
        (
            with_options(TCI, "--duration-min", "2000"),
            "--duration-min: must be at most 1440 min; got 2000",
        ),
        (
            with_options(TCI, "--concentration-mg-per-ml", "-1"),
            "--concentration-mg-per-ml: must be more than 0 mg/mL; got -1",
        ),
        (with_options(TCI, "--update-s", "0.5"), "--update-s: must be at least 1 s; got 0.5"),
        (
            with_options(TCI, "--resolution-ml-per-h", "10", "--max-rate-ml-per-h", "5"),
            "--resolution-ml-per-h: must not exceed max_rate_ml_per_h (10 > 5 mL/h)",
        ),
        (
            with_options(TCI, "--max-overshoot-percent", "20"),
            "--max-overshoot-percent: applies to --mode effect-site only (plasma targeting "
            "does not overshoot the plasma target)",
        ),
        (
            with_options(TCI, "--targets", "90:100"),
            "--targets: '90:100': the time must be after 0 and before --duration-min (60 min)",
        ),
        (
            with_options(TCI, "--targets", "30:100,20:120"),
            "--targets: '20:120': times must increase",
        ),
        (with_options(TCI, "--model", "herd"), "--age-years: Herd 2007: age_years is required"),
    ],
)
def test_tci_refuses_a_bad_value_in_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (with_options(TCI, "--mode", "both"), "argument --mode: invalid choice: 'both'"),
        (
            with_options(TCI, "--targets", "30-100"),
            "argument --targets: '30-100' is not MINUTES:NG_PER_ML",
        ),
        (
            with_options(TCI, drop=("--concentration-mg-per-ml",)),
            "the following arguments are required: --concentration-mg-per-ml",
        ),
    ],
)
def test_a_malformed_tci_command_line_gets_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


# --------------------------------------------------------------------------------------
# pk population
# --------------------------------------------------------------------------------------

POPULATION = (
    "pk",
    "population",
    "-n",
    "500",
    "--model",
    "domino",
    "--weight-kg",
    "70",
    "--dose-mg-per-kg",
    "0.5",
    "--duration-min",
    "40",
    "--until-min",
    "180",
    "--step-s",
    "10",
)


def test_population_json_has_bands_thresholds_and_says_the_variability_is_assumed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_json(capsys, *POPULATION, "--seed", "3", "--threshold-ng-per-ml", "185", "250")
    assert result["n_patients"] == 500
    assert result["seed"] == 3
    assert result["percentiles"] == [5.0, 25.0, 50.0, 75.0, 95.0]
    t_s = floats(result["t_s"])
    assert t_s.shape == (1081,)
    bands = np.asarray(result["cp_percentiles_ng_per_ml"], dtype=np.float64)
    assert bands.shape == (5, 1081)
    assert np.all(np.diff(bands, axis=0) >= 0)  # 5th <= 25th <= median <= 75th <= 95th
    assert np.asarray(result["ce_percentiles_ng_per_ml"], dtype=np.float64).shape == (5, 1081)
    direct = simulate_population(
        get_model("domino"),
        constant_infusion(35.0, 2400.0),
        t_s,
        n_patients=500,
        weight_kg=70.0,
        seed=3,
        thresholds_ng_per_ml=(185.0, 250.0),
    )
    assert_array_equal(bands, direct.cp_percentiles_ng_per_ml)
    thresholds = result["thresholds"]
    assert isinstance(thresholds, list)
    assert [t["threshold_ng_per_ml"] for t in thresholds] == [185.0, 250.0]
    for i, threshold in enumerate(thresholds):
        assert threshold["fraction_ever_above"] == direct.fraction_ever_above[i]
        assert_array_equal(floats(threshold["fraction_above"]), direct.fraction_above_ng_per_ml[i])
    # More patients exceed the lower threshold; the median at 40 min is ~240 ng/mL.
    assert thresholds[0]["fraction_ever_above"] > thresholds[1]["fraction_ever_above"] > 0
    variability = result["variability"]
    assert isinstance(variability, dict)
    assert variability["published"] is False
    warnings = result["warnings"]
    assert isinstance(warnings, list)
    assert any("assumption, not a published value" in w for w in warnings)


def test_population_uses_the_published_variability_where_there_is_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = with_options(POPULATION, "--model", "herd", "--weight-kg", "20", "--age-years", "6")
    result = run_json(capsys, *args)
    variability = result["variability"]
    assert isinstance(variability, dict)
    assert variability["published"] is True
    assert "Herd" in str(variability["source"])
    thresholds = result["thresholds"]
    assert isinstance(thresholds, list)
    assert [t["threshold_ng_per_ml"] for t in thresholds] == [250.0]  # the default


def test_the_same_seed_gives_the_same_population_and_another_seed_another(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = run_json(capsys, *POPULATION, "--seed", "1")
    again = run_json(capsys, *POPULATION, "--seed", "1")
    other = run_json(capsys, *POPULATION, "--seed", "2")
    assert first["cp_percentiles_ng_per_ml"] == again["cp_percentiles_ng_per_ml"]
    assert first["cp_percentiles_ng_per_ml"] != other["cp_percentiles_ng_per_ml"]


def test_population_prints_a_summary_with_the_spread_and_the_exceedance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, *POPULATION)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert "Patients                  500 simulated around 70 kg (seed 0)" in lines
    assert any(
        line.startswith("Variability               ASSUMED, not published: ") for line in lines
    )
    assert any(
        line.startswith("Median Cmax               ") and "5th-95th percentile" in line
        for line in lines
    )
    assert any(
        line.startswith("Cp above 250 ng/mL        ") and "% of patients" in line for line in lines
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            with_options(POPULATION, "-n", "0"),
            "argument -n/--n-patients: must be 1 to 100,000; got 0",
        ),
        (
            with_options(POPULATION, "-n", "many"),
            "argument -n/--n-patients: must be a whole number of patients",
        ),
        (with_options(POPULATION, "--seed", "-1"), "argument --seed: must be 0 or more; got -1"),
        (
            with_options(POPULATION, "--threshold-ng-per-ml", "-5"),
            "--threshold-ng-per-ml: must be at least 0 ng/mL; got -5",
        ),
        (with_options(POPULATION, "--model", "nope"), "--model: no model named 'nope'"),
        (
            with_options(POPULATION, "--plot", "bands.pdf"),
            "argument --plot: the file name must end in .svg or .png",
        ),
        (
            with_options(POPULATION, "--rate-changes", "20:resume"),
            "--rate-changes: '20:resume': resume without an earlier pause",
        ),
    ],
)
def test_population_refuses_a_bad_value_in_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    code, out, err = run_main(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


# --------------------------------------------------------------------------------------
# No Django
# --------------------------------------------------------------------------------------


def test_every_pk_action_with_a_plot_runs_without_importing_django(tmp_path: Path) -> None:
    runs = [
        [*SIMULATE, "--json", "--plot", str(tmp_path / "simulate.png")],
        [*TCI, "--mode", "effect-site", "--plot", str(tmp_path / "tci.svg")],
        [*POPULATION, "--plot", str(tmp_path / "population.png")],
    ]
    probe = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [
            sys.executable,
            "-c",
            "import sys, contextlib, io\n"
            "from ketamine_clinic.cli import main\n"
            "codes = []\n"
            f"for args in {runs!r}:\n"
            "    with contextlib.redirect_stdout(io.StringIO()): codes.append(main(args))\n"
            "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
            "print(codes, ','.join(bad) or 'none')\n",
        ],
        env=operator_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.stdout.strip() == "[0, 0, 0] none", probe.stderr
    for name in ("simulate.png", "tci.svg", "population.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    assert not (tmp_path / "var").exists()
