"""`ketamine-clinic research export`: what an operator runs, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketamine_clinic.audit.models import AuditEntry
from tests.cli.conftest import run_main
from tests.research.helpers import PARQUET_EXPORT_FILES, csv_rows
from tests.research.support import seed_identified_clinic


@pytest.mark.django_db
def test_it_writes_the_tables_and_says_how_many_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed_identified_clinic()
    out = tmp_path / "export"
    code, stdout, err = run_main(capsys, "research", "export", "--out", str(out), "--format", "csv")
    assert code == 0, err
    assert "patients 3, courses 3, visits 9, vitals 9, scores 6" in stdout
    assert len(csv_rows(out, "visits")) == 9
    entry = AuditEntry.objects.get(object_type="research_export")
    assert entry.channel == "cli:research"
    assert entry.detail["row_counts"]["scores"] == 6


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--format", "xml"],
            "ketamine-clinic: error: --format: must be one of csv, parquet; got 'xml'",
        ),
        (
            ["--format", "csv", "--since", "2026-03-10", "--until", "2026-03-01"],
            "ketamine-clinic: error: --since: must be on or before the until date 2026-03-01; "
            "got 2026-03-10",
        ),
        (["--format", "csv", "--since", "10/03/2026"], "--since: must be a date YYYY-MM-DD"),
    ],
)
def test_bad_options_get_one_line_naming_the_option_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], expected: str
) -> None:
    out = tmp_path / "export"
    code, stdout, err = run_main(capsys, "research", "export", "--out", str(out), *args)
    assert code == 2
    assert stdout == ""
    assert len(err.strip().splitlines()) == 1
    assert expected in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_an_unwritable_out_is_refused_naming_it_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed_identified_clinic()
    # A directory inside a file cannot be made, whoever runs the test (root included).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    code, _, err = run_main(
        capsys, "research", "export", "--out", str(blocker / "export"), "--format", "csv"
    )
    assert code == 2
    assert err.strip() == (
        f"ketamine-clinic: error: --out: cannot write to {blocker / 'export'}: Not a directory"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert not AuditEntry.objects.filter(object_type="research_export").exists()


@pytest.mark.django_db
def test_a_directory_that_holds_files_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_main(
        capsys, "research", "export", "--out", str(tmp_path), "--format", "parquet"
    )
    assert code == 2
    assert f"--out: {tmp_path} already holds files" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.django_db
def test_an_empty_existing_directory_is_filled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_main(
        capsys, "research", "export", "--out", str(tmp_path), "--format", "parquet"
    )
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == PARQUET_EXPORT_FILES
