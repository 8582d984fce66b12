"""`ketamine-clinic generate` from the command line: its output and its errors."""

from __future__ import annotations

import pytest

from ketamine_clinic.patients.models import Patient
from tests.cli.conftest import run_main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "0", "--infusions", "5"], "argument --patients: must be at least 1; got 0"),
        (
            ["--patients", "ten", "--infusions", "5"],
            "argument --patients: must be a whole number; got 'ten'",
        ),
        (
            ["--patients", "10", "--infusions", "-1"],
            "argument --infusions: must be 0 or more; got -1",
        ),
        (["--patients", "10"], "the following arguments are required: --infusions"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_main(capsys, "generate", *args)
    assert code == 2
    assert out == ""
    assert err == f"ketamine-clinic: error: {message} (see `ketamine-clinic generate --help`)\n"


@pytest.mark.django_db(transaction=False)
def test_it_prints_what_it_made_and_refuses_a_second_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(
        capsys, "generate", "--patients", "12", "--infusions", "30", "--seed", "5"
    )
    assert code == 0
    assert out.startswith("Generated a synthetic clinic (seed 5): 12 patients, 30 infusions from ")
    assert "visits.Visit" in out and "inventory.StockEntry" in out
    assert Patient.objects.count() == 12
    code, _, err = run_main(capsys, "generate", "--patients", "12", "--infusions", "30")
    assert code == 2
    assert err == (
        "ketamine-clinic: error: generate: the database already has 12 patients: generate fills "
        "an empty clinic (pass --allow-existing to add a synthetic clinic beside them)\n"
    )


def test_too_many_infusions_for_the_patients_is_refused(
    capsys: pytest.CaptureFixture[str], db: None
) -> None:
    code, _, err = run_main(capsys, "generate", "--patients", "2", "--infusions", "100")
    assert code == 2
    assert "100 infusions for 2 patients is more than the clinic gives" in err
