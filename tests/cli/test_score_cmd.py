"""`ketamine-clinic score`: JSON and summary output, every instrument, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ketamine_clinic.instruments.definitions import instrument_keys
from tests.cli.conftest import operator_environment, run_cli, run_main

EXAMPLE = ("score", "phq9", "--answers", "1,2,3,0,1,2,3,0,1")

# One complete answer vector per instrument and what it scores, hand-checked.
VECTORS: dict[str, tuple[str, int | None, str | None, list[str]]] = {
    "phq9": ("0,0,0,0,0,0,0,0,0", 0, "minimal", []),
    "gad7": ("3,3,3,3,3,3,3", 21, "severe", []),
    "pcl5": (",".join(["2"] * 20), 40, None, []),
    "qids_sr16": ("1,3,0,2,2,0,1,2,0,1,2,0,3,1,0,2", 16, "severe", []),
    "cssrs_screener": ("n,n,,,,n,", None, None, []),
    "dissociation": ("7", 7, None, []),
    "aldrete": ("2,2,2,2,1", 9, "meets_discharge_score", []),
    "padss": ("2,2,1,2,1", 8, "not_ready", []),
}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = run_main(capsys, *args, "--json")
    assert code == 0, err
    assert err == ""
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_the_briefs_example_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, *EXAMPLE)
    assert result["instrument"] == "phq9"
    assert result["version"] == "1.0"
    assert (result["total"], result["severity"], result["flags"]) == (
        13,
        "moderate",
        ["suicide_risk"],
    )


def test_every_instrument_has_a_vector_here() -> None:
    assert sorted(VECTORS) == sorted(instrument_keys())


@pytest.mark.parametrize("key", sorted(VECTORS))
def test_every_instrument_scores_from_the_command_line(
    capsys: pytest.CaptureFixture[str], key: str
) -> None:
    answers, total, severity, flags = VECTORS[key]
    result = run_json(capsys, "score", key, "--answers", answers)
    assert (result["total"], result["severity"], result["flags"]) == (total, severity, flags)


def test_pcl5_json_carries_the_clusters_and_the_cut_off(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "score", "pcl5", "--answers", ",".join(["2"] * 20))
    assert result["subscales"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert result["cutoffs"] == {"provisional_ptsd": True, "provisional_dsm5_rule": True}


@pytest.mark.parametrize(
    ("answers", "triage"),
    [("y,y,y,n,n,n,", "moderate"), ("1,1,0,0,0,1,1", "high"), ("YES,no,,,,No,", "low")],
)
def test_cssrs_takes_y_n_or_1_0(
    capsys: pytest.CaptureFixture[str], answers: str, triage: str
) -> None:
    result = run_json(capsys, "score", "cssrs_screener", "--answers", answers)
    assert result["triage"] == triage
    assert result["total"] is None


def test_a_blank_is_a_missing_item(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "score", "gad7", "--answers", "1,,3,0,0,0,0")
    assert result["total"] is None
    assert result["missing_items"] == ["2"]
    assert result["invalid_reason"] == "no total: item 2 unanswered (GAD-7 needs every item)"


def test_the_summary_reads_as_a_clinician_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, *EXAMPLE)
    assert (code, err) == (0, "")
    assert "Total           13 (range 0-27)" in out
    assert "Severity        Moderate" in out
    assert "Flag            suicide_risk (positive): item 9 = 1 (Several days)" in out


def test_the_dissociation_summary_says_it_is_not_validated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run_main(capsys, "score", "dissociation", "--answers", "4")
    assert "Not a validated published instrument" in out


def test_list_names_every_instrument(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "score", "--list")
    assert code == 0
    for key in instrument_keys():
        assert key in out
    assert "cssrs_screener  C-SSRS screener     7 items, triage level, no total" in out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("phq9", "--answers", "1,2,4,0,0,0,0,0,0"), "--answers: item 3: 4 is out of range 0-3"),
        (("phq9", "--answers", "1,2,3"), "--answers: PHQ-9 has 9 items (1-9); got 3 answers"),
        (
            ("phq9", "--answers", "1,x,3,0,0,0,0,0,0"),
            "--answers: item 2: 'x' is not a whole number",
        ),
        (
            ("phq9", "--answers", "y,0,0,0,0,0,0,0,0"),
            "--answers: item 1: 'y' is not a whole number",
        ),
        (("phq9", "--answers", ",,,,,,,,"), "--answers: no item is answered"),
        (
            ("cssrs_screener", "--answers", "y,n,,y,,n,"),
            "--answers: item 4: answered yes, but it is asked only when item 2 is yes",
        ),
        (("phq9",), "--answers is required to score an instrument"),
        ((), "name an instrument to score (or --list to see them)"),
        (("madrs", "--answers", "0"), "argument INSTRUMENT: invalid choice: 'madrs'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_exit_2_and_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], reason: str
) -> None:
    code, out, err = run_main(capsys, "score", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"ketamine-clinic: error: {reason}")


def test_the_command_runs_in_a_fresh_interpreter_without_django_or_a_database(
    tmp_path: Path,
) -> None:
    result = run_cli(*EXAMPLE, "--json", env=operator_environment(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 13
    assert not (tmp_path / "var").exists()
    bad = run_cli(
        "score", "phq9", "--answers", "1,2,4,0,0,0,0,0,0", env=operator_environment(), cwd=tmp_path
    )
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr == "ketamine-clinic: error: --answers: item 3: 4 is out of range 0-3\n"
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
