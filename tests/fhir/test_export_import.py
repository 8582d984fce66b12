"""`ketamine-clinic fhir export` and `fhir import`: the Bundle validates, a Patient
survives the round trip, and an invalid Bundle is refused entry by entry with nothing
written."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.fhir.build_clinical import build_patient
from ketamine_clinic.fhir.import_bundle import BundleImportRefused, import_patients
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from tests.cli.conftest import run_main
from tests.fhir.support import CourseRecord, validated
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def _bundle(*resources: dict[str, Any]) -> str:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    )


def _patient(**fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Rivera", "given": ["Sam"]}],
        "birthDate": "1990-05-17",
        "gender": "male",
    }
    resource.update(fields)
    return {name: value for name, value in resource.items() if value is not None}


def test_the_exported_bundle_of_a_course_validates_and_holds_every_record(
    course: CourseRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle.json"
    code, _, err = run_main(
        capsys, "fhir", "export", "--patient", course.patient.mrn, "--out", str(out)
    )
    assert code == 0, err
    bundle = validated(Bundle, out.read_text())
    assert bundle["type"] == "collection"
    kinds = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert kinds == {
        "Patient": 1,
        "Encounter": 6,  # the infused visit and five booked
        "Observation": 4 + 4 + 3,  # two vitals sets (HR, SpO2, BP, RR) and three totals
        "QuestionnaireResponse": 3,
        "MedicationRequest": 1,
        "MedicationAdministration": 1,
        "Procedure": 1,
        "Device": 2,
    }
    # Every reference points at an entry of the Bundle.
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = {value for entry in bundle["entry"] for value in _references(entry["resource"])}
    assert {f"http://localhost:8000/fhir/r4/{ref}" for ref in references} <= full_urls
    read = AuditEntry.objects.filter(action="export", object_type="fhir_Bundle").get()
    assert read.patient_id == str(course.patient.pk)
    assert read.channel == "cli:fhir"
    assert read.detail["resources"] == len(bundle["entry"])


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


def test_export_by_id_writes_to_stdout_and_an_unknown_patient_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    patient = make_patient()
    code, out, _ = run_main(capsys, "fhir", "export", "--patient", str(patient.pk))
    assert code == 0
    assert validated(Bundle, out)["entry"][0]["resource"]["id"] == str(patient.pk)
    code, out, err = run_main(capsys, "fhir", "export", "--patient", "KC999999")
    assert (code, out) == (2, "")
    assert err == "ketamine-clinic: error: --patient: no patient has the id or MRN 'KC999999'\n"


def test_a_patient_survives_export_then_import_into_a_registry_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = make_patient("Robin", "Example", preferred="Rob", sex=SexAtBirth.INTERSEX)
    out = tmp_path / "bundle.json"
    assert run_main(capsys, "fhir", "export", "--patient", original.mrn, "--out", str(out))[0] == 0
    old_mrn = original.mrn
    # Another installation's registry: the patient is not there (no visits hold the row).
    Patient.objects.filter(pk=original.pk).delete()
    code, out_text, err = run_main(capsys, "fhir", "import", str(out))
    assert code == 0, err
    imported = Patient.objects.get()
    assert (
        imported.legal_first_name,
        imported.legal_last_name,
        imported.preferred_name,
        imported.date_of_birth,
        imported.sex_at_birth,
    ) == ("Robin", "Example", "Rob", original.date_of_birth, "intersex")
    assert imported.mrn != old_mrn
    assert out_text == f'entry[0]: registered {imported.mrn} (was {old_mrn}) Example, Robin "Rob"\n'
    # And it exports as it came in, but for the new id and MRN.
    again = json.loads(build_patient(imported).model_dump_json())
    before = validated(Bundle, out.read_text())["entry"][0]["resource"]
    for resource in (again, before):
        resource.pop("id")
        resource.pop("identifier")
    assert again == before


def test_importing_a_patient_already_registered_is_a_duplicate_mrn(
    course: CourseRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle.json"
    assert (
        run_main(capsys, "fhir", "export", "--patient", course.patient.mrn, "--out", str(out))[0]
        == 0
    )
    code, out_text, err = run_main(capsys, "fhir", "import", str(out))
    assert (code, out_text) == (2, "")
    assert err == (
        "ketamine-clinic: error: import refused, nothing was written: "
        f"entry[0].resource.identifier: MRN {course.patient.mrn} is already registered "
        f"(patient id {course.patient.pk})\n"
    )
    assert Patient.objects.count() == 1


def test_every_invalid_entry_is_named_and_nothing_is_written() -> None:
    existing = make_patient()
    text = _bundle(
        _patient(),  # valid
        _patient(name=None),
        _patient(birthDate=None),
        _patient(gender="woman"),
        _patient(identifier=[{"system": "urn:ketamine-clinic:mrn", "value": existing.mrn}]),
        _patient(birthDate="1990-13-45"),
        {"resourceType": "Observation", "status": "final", "code": {"text": "skipped"}},
        _patient(name=[{"use": "official", "given": ["Sam"]}]),
    )
    with pytest.raises(BundleImportRefused) as refused:
        import_patients(text=text, by=None)
    problems = [(p.entry, p.field) for p in refused.value.problems]
    assert problems == [
        (1, "name"),
        (2, "birthDate"),
        (3, "gender"),
        (5, "birthDate"),
        (7, "name.family"),
        (4, "identifier"),
    ]
    messages = [str(p) for p in refused.value.problems]
    assert (
        messages[2]
        == "entry[3].resource.gender: 'woman' is not one of male, female, other, unknown"
    )
    assert messages[5] == (
        f"entry[4].resource.identifier: MRN {existing.mrn} is already registered "
        f"(patient id {existing.pk})"
    )
    assert list(Patient.objects.all()) == [existing]


def test_bad_json_and_a_resource_that_is_not_a_bundle_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle", ')
    code, _, err = run_main(capsys, "fhir", "import", str(broken))
    assert code == 2
    assert err.startswith(
        "ketamine-clinic: error: import refused, nothing was written: bundle.json: not valid JSON"
    )
    not_bundle = tmp_path / "patient.json"
    not_bundle.write_text(json.dumps(_patient()))
    code, _, err = run_main(capsys, "fhir", "import", str(not_bundle))
    assert code == 2
    assert err == (
        "ketamine-clinic: error: import refused, nothing was written: "
        "bundle.resourceType: expected a Bundle, got 'Patient'\n"
    )
    assert not Patient.objects.exists()


def test_a_partly_known_birth_date_is_refused() -> None:
    with pytest.raises(BundleImportRefused) as refused:
        import_patients(text=_bundle(_patient(birthDate="1984-03")), by=None)
    assert [str(p) for p in refused.value.problems] == [
        "entry[0].resource.birthDate: a full date (YYYY-MM-DD) is needed; "
        "'1984-03' is only partly known"
    ]


def test_the_same_mrn_twice_in_one_bundle_is_refused() -> None:
    mrn = [{"system": "urn:ketamine-clinic:mrn", "value": "KC000777"}]
    with pytest.raises(BundleImportRefused) as refused:
        import_patients(text=_bundle(_patient(identifier=mrn), _patient(identifier=mrn)), by=None)
    assert [str(p) for p in refused.value.problems] == [
        "entry[1].resource.identifier: MRN KC000777 is also in entry[0]"
    ]


def test_a_refusal_by_the_registry_undoes_the_patients_already_created() -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(BundleImportRefused) as refused:
        import_patients(text=_bundle(_patient(), _patient(birthDate=tomorrow)), by=None)
    assert [str(p) for p in refused.value.problems] == [
        "entry[1].resource.birthDate: The date of birth cannot be in the future."
    ]
    assert not Patient.objects.exists()


def test_gender_without_the_extension_maps_other_to_unknown_sex_at_birth() -> None:
    result = import_patients(
        text=_bundle(_patient(gender="other"), _patient(gender="female"), _patient(gender=None)),
        by=None,
    )
    assert [p.sex_at_birth for _, p in result.created] == ["unknown", "female", "unknown"]
