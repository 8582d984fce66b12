"""`ketamine-clinic fhir` as an operator runs it: a fresh SQLite database, a client
registered, a Bundle imported and the patient exported again."""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from tests.cli.conftest import STRONG_TEST_SECRET, operator_environment, run_cli
from tests.fhir.support import validated
from tests.support.services import sqlite_pass_only

# Its own SQLite file whatever the pass: running it again on PostgreSQL would prove nothing new.
sqlite_only = sqlite_pass_only("uses its own SQLite database")


@sqlite_only
def test_register_a_client_import_a_patient_and_export_them(tmp_path: Path) -> None:
    env = operator_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'clinic.sqlite3'}", KC_SECRET_KEY=STRONG_TEST_SECRET
    )
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0

    added = run_cli(
        "fhir",
        "client",
        "add",
        "--name",
        "Regional HIE",
        "--scope",
        "system/*.read",
        env=env,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("kcf_")
    listed = run_cli("fhir", "client", "list", env=env, cwd=tmp_path)
    assert listed.stdout.startswith("1\tRegional HIE\tkcf_")
    assert added.stdout.strip() not in listed.stdout

    bundle = tmp_path / "in.json"
    bundle.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "Patient",
                            "name": [{"family": "Okafor", "given": ["Ada"]}],
                            "birthDate": "1979-11-02",
                            "gender": "female",
                        }
                    }
                ],
            }
        )
    )
    imported = run_cli("fhir", "import", str(bundle), env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "entry[0]: registered KC000001 Okafor, Ada\n"

    out = tmp_path / "out.json"
    exported = run_cli(
        "fhir", "export", "--patient", "KC000001", "--out", str(out), env=env, cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    patient = validated(Bundle, out.read_text())["entry"][0]["resource"]
    assert (patient["name"][0]["family"], patient["birthDate"], patient["gender"]) == (
        "Okafor",
        "1979-11-02",
        "female",
    )

    again = run_cli("fhir", "import", str(out), env=env, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == (
        "ketamine-clinic: error: import refused, nothing was written: "
        "entry[0].resource.identifier: MRN KC000001 is already registered (patient id 1)\n"
    )
