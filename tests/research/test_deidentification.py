"""The test issue 8 asks for: no identifier from the source records reaches the export.

A small clinic is seeded with a distinctive value in every identifying field (names of
patients, escorts, contacts, referrers and staff; MRN, phones, e-mails, addresses, dates
of birth, device EUI-64s and serials, every free-text field) and exported as CSV and as
Parquet; then every header, cell and line of every file is searched for each of them and
for every real time of every patient.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.infusion.models import AdverseEvent
from ketamine_clinic.patients.models import Diagnosis
from ketamine_clinic.research.deidentify import OFFSET_MAX_DAYS, ExportSecret
from ketamine_clinic.research.requests import ExportRequest
from ketamine_clinic.research.services import research_export_write
from ketamine_clinic.visits.models import Visit
from tests.research.helpers import (
    PARQUET_EXPORT_FILES,
    TABLE_NAMES,
    as_csv_text,
    csv_rows,
    every_text,
    parquet_rows,
    shifted,
)
from tests.research.support import SeededClinic, seed_identified_clinic

pytestmark = pytest.mark.django_db

# Each seeded patient's exported age is distinct, which is how a test finds them again.
AGE_OF = {"A": "90+", "B": "89", "C": "41"}


@pytest.fixture
def clinic() -> SeededClinic:
    return seed_identified_clinic()


def _export(tmp_path: Path, file_format: str, *, seed: int | None = None, name: str = "") -> Path:
    out = tmp_path / (name or file_format)
    secret = ExportSecret(random.Random(seed)) if seed is not None else None
    research_export_write(out=out, request=ExportRequest(file_format), by=None, secret=secret)
    return out


def _time_strings(moment: datetime) -> list[str]:
    """Ways a real time could be written: ISO in UTC and in local time, with T or a space."""
    utc = moment.astimezone(UTC)
    return [
        utc.strftime("%Y-%m-%dT%H:%M:%S"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        utc.isoformat(),
        moment.isoformat(),
    ]


def test_no_identifier_and_no_real_time_appears_in_any_file(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    forbidden = [value.lower() for value in clinic.identifiers]
    for born in clinic.dates_of_birth:
        forbidden += [born.isoformat(), born.strftime("%m/%d/%Y"), born.strftime("%d/%m/%Y")]
    for moment in clinic.source_times:
        forbidden += [text.lower() for text in _time_strings(moment)]
    assert len(forbidden) > 200  # the seed really did fill the fields
    for file_format in ("csv", "parquet"):
        texts = [text.lower() for text in every_text(_export(tmp_path, file_format))]
        assert len(texts) > 300
        leaks = sorted({value for value in forbidden for text in texts if value in text})
        assert leaks == [], f"{file_format} export carries source values"


def test_the_check_above_would_see_an_identifier_if_one_were_exported(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    """The search is not vacuous: the same reading finds exported values that are there."""
    texts = " ".join(every_text(_export(tmp_path, "csv"))).lower()
    assert "f33.1" in texts and "phq9" in texts and "nausea" in texts
    del clinic


def _rows_by_patient(directory: Path, table: str) -> dict[str, list[dict[str, str]]]:
    age_by_id = {
        row["patient_study_id"]: row["age_at_first_infusion_years"]
        for row in csv_rows(directory, "patients")
    }
    tag_by_age = {age: tag for tag, age in AGE_OF.items()}
    grouped: dict[str, list[dict[str, str]]] = {tag: [] for tag in AGE_OF}
    for row in csv_rows(directory, table):
        grouped[tag_by_age[age_by_id[row["patient_study_id"]]]].append(row)
    return grouped


def _offsets(clinic: SeededClinic, directory: Path) -> dict[str, timedelta]:
    """Each patient's shift as the export shows it, checked against every one of their
    times: the same whole-day shift for all of them (so every interval is kept)."""
    found: dict[str, timedelta] = {}
    sources = {p.patient.legal_last_name[-1]: p for p in clinic.patients}
    visits = _rows_by_patient(directory, "visits")
    courses = _rows_by_patient(directory, "courses")
    vitals = _rows_by_patient(directory, "vitals")
    scores = _rows_by_patient(directory, "scores")
    for tag, source in sources.items():
        real = source.times
        pairs: list[tuple[datetime, str]] = []
        for row in visits[tag]:
            n = row["number_in_course"]
            pairs += [
                (real[f"visit{n}_scheduled"], row["scheduled_start_shifted"]),
                (real[f"visit{n}_started"], row["infusion_started_at_shifted"]),
                (real[f"visit{n}_recovery"], row["recovery_started_at_shifted"]),
                (real[f"visit{n}_discharged"], row["discharged_at_shifted"]),
            ]
        (course,) = courses[tag]
        pairs += [
            (real["course_started"], course["started_at_shifted"]),
            (real["course_ended"], course["ended_at_shifted"]),
        ]
        vitals_real = sorted(real[f"visit{n}_vitals"] for n in (1, 2, 3))
        pairs += list(zip(vitals_real, [r["taken_at_shifted"] for r in vitals[tag]], strict=True))
        pairs += list(
            zip(
                [real["score_phq9"], real["score_phq9_after"]],
                [r["taken_at_shifted"] for r in scores[tag]],
                strict=True,
            )
        )
        assert len(pairs) == 4 * 3 + 2 + 3 + 2
        shifts = {shifted(text) - moment.replace(microsecond=0) for moment, text in pairs}
        assert len(shifts) == 1, f"patient {tag}: times shifted by different amounts {shifts}"
        (shift,) = shifts
        assert shift.seconds == 0 and shift.microseconds == 0  # whole days
        assert 1 <= abs(shift.days) <= OFFSET_MAX_DAYS
        found[tag] = shift
    return found


def test_each_patients_times_move_by_one_whole_day_offset_keeping_every_interval(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    _offsets(clinic, _export(tmp_path, "csv"))


def test_different_patients_get_different_offsets(clinic: SeededClinic, tmp_path: Path) -> None:
    # A fixed seed so that three patients drawing from 364 offsets cannot collide by
    # chance; a single offset for everyone would still fail here.
    offsets = _offsets(clinic, _export(tmp_path, "csv", seed=20260310))
    assert len(set(offsets.values())) == 3


def test_ages_over_89_are_grouped_and_the_date_of_birth_never_leaves(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    out = _export(tmp_path, "csv")
    ages = sorted(row["age_at_first_infusion_years"] for row in csv_rows(out, "patients"))
    # 95 at her first infusion; 89 (turning 90 the next day); 41.
    assert ages == ["41", "89", "90+"]
    assert "date_of_birth" not in " ".join(every_text(out))
    del clinic


def test_two_exports_share_no_study_id(clinic: SeededClinic, tmp_path: Path) -> None:
    first, second = _export(tmp_path, "csv", name="one"), _export(tmp_path, "csv", name="two")

    def ids(directory: Path) -> set[str]:
        return {
            value
            for table in TABLE_NAMES
            for row in csv_rows(directory, table)
            for name, value in row.items()
            if name.endswith("study_id") and value
        }

    one, two = ids(first), ids(second)
    assert len(one) == 3 + 3 + 9  # patients, courses, visits
    assert one.isdisjoint(two)
    assert {p.patient.pk for p in clinic.patients}.isdisjoint(int(value[1:], 16) for value in one)


def test_values_are_exported_with_corrections_applied_and_free_text_dropped(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    out = _export(tmp_path, "csv")
    visits = _rows_by_patient(out, "visits")["A"]
    assert [
        row["number_in_course"]
        for row in sorted(visits, key=lambda r: r["scheduled_start_shifted"])
    ] == ["1", "2", "3"]
    second = next(row for row in visits if row["number_in_course"] == "2")
    # The later order (0.6 mg/kg) is in force; the pump ran 30 mL/h for 40 of 45 min at
    # 2 mg/mL: 20 mL, 40 mg.
    assert {
        k: second[k]
        for k in (
            "state",
            "weight_kg",
            "ordered_dose_mg_per_kg",
            "ordered_duration_min",
            "infusing_min",
            "delivered_mg",
            "adverse_event_kinds",
            "adverse_events_with_intervention",
        )
    } == {
        "state": "discharged",
        "weight_kg": "71.35",
        "ordered_dose_mg_per_kg": "0.6",
        "ordered_duration_min": "40",
        "infusing_min": "40.0",
        "delivered_mg": "40.0",
        "adverse_event_kinds": '["nausea","hypertension"]',
        "adverse_events_with_intervention": "1",
    }
    scores = sorted(_rows_by_patient(out, "scores")["A"], key=lambda r: r["taken_at_shifted"])
    # The PHQ-9 of 24 was corrected to 16: only the correction is exported.
    assert [(r["total"], r["item_answers"], r["valid"]) for r in scores] == [
        ("16", "[2,2,2,2,2,2,2,2,0]", "true"),
        ("", "[1,0,1,0,1,0,1,0,null]", "false"),
    ]
    (course,) = _rows_by_patient(out, "courses")["A"]
    assert (
        course["protocol_key"],
        course["status"],
        course["infusions_planned"],
        course["infusions_given"],
    ) == ("standard-6", "stopped", "6", "3")
    patients = csv_rows(out, "patients")
    assert {row["diagnosis_icd10_codes"] for row in patients} == {'["F33.1","F41.1"]'}
    vitals = _rows_by_patient(out, "vitals")["A"]
    assert sorted((r["systolic_mmhg"], r["respiratory_rate_per_min"]) for r in vitals) == [
        ("129", "14"),
        ("130", ""),
        ("131", "14"),
    ]


def test_parquet_holds_the_same_content_as_csv_with_typed_columns(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    # The same seed gives both exports the same study ids and offsets.
    as_csv = _export(tmp_path, "csv", seed=7)
    as_parquet = _export(tmp_path, "parquet", seed=7)
    for table in TABLE_NAMES:
        expected = csv_rows(as_csv, table)
        got = [
            {k: as_csv_text(v) for k, v in row.items()} for row in parquet_rows(as_parquet, table)
        ]
        assert got == expected, table
        assert expected, table
    schema = pq.read_schema(as_parquet / "visits.parquet")
    assert schema.field("scheduled_start_shifted").type == pa.timestamp("ms", tz="UTC")
    assert schema.field("number_in_course").type == pa.int64()
    assert schema.field("delivered_mg").type == pa.float64()
    assert schema.field("adverse_event_kinds").type == pa.list_(pa.string())
    assert pq.read_schema(as_parquet / "scores.parquet").field("item_answers").type == pa.list_(
        pa.int64()
    )
    assert sorted(p.name for p in as_parquet.iterdir()) == PARQUET_EXPORT_FILES
    del clinic


def test_the_data_dictionary_describes_every_column_of_every_file(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    out = _export(tmp_path, "csv")
    dictionary = csv_rows(out, "data_dictionary")
    for table in TABLE_NAMES:
        header = list(csv_rows(out, table)[0])
        assert [row["column"] for row in dictionary if row["table"] == table] == header
    for row in dictionary:
        assert row["description"] and row["deidentification"], row
        if row["column"].endswith("_shifted"):
            assert row["deidentification"].startswith("SHIFTED"), row
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "Safe Harbor" in readme and "not the real date" in readme
    del clinic


def test_the_export_is_audited_with_its_filters_and_row_counts(
    clinic: SeededClinic, tmp_path: Path, personas: dict[str, User]
) -> None:
    out = tmp_path / "x"
    research_export_write(out=out, request=ExportRequest("parquet"), by=personas["clinic_lead"])
    entry = AuditEntry.objects.filter(object_type="research_export").get()
    assert entry.action == "export"
    assert entry.actor_username == personas["clinic_lead"].username
    assert entry.detail == {
        "format": "parquet",
        "since": None,
        "until": None,
        "row_counts": {"patients": 3, "courses": 3, "visits": 9, "vitals": 9, "scores": 6},
        "destination": f"directory {out}",
    }
    del clinic


def test_a_window_keeps_only_records_of_those_days(clinic: SeededClinic, tmp_path: Path) -> None:
    # 10 March 2026: patient A's first infusion (her course began the day before) and
    # patient B's PHQ-9 two days before his first infusion; nothing of C's.
    day = clinic.patients[0].times["visit1_scheduled"].date()
    out = tmp_path / "window"
    research_export_write(out=out, request=ExportRequest("csv", since=day, until=day), by=None)
    assert [len(csv_rows(out, t)) for t in TABLE_NAMES] == [2, 0, 1, 1, 1]
    ages = sorted(row["age_at_first_infusion_years"] for row in csv_rows(out, "patients"))
    assert ages == ["89", "90+"]
    (score,) = csv_rows(out, "scores")
    assert score["total"] == "16"


def test_a_coded_column_holding_anything_but_a_code_exports_unlisted(
    clinic: SeededClinic, tmp_path: Path
) -> None:
    """Written around the services (an import, a script): a name in a kind or code column."""
    source = clinic.patients[2].patient
    visit = Visit.objects.filter(patient=source, number_in_course=3).get()
    assert visit.created_by is not None
    AdverseEvent.objects.create(
        visit=visit, at=visit.scheduled_start, kind="Vexmorrow Smyth", by=visit.created_by
    )
    Diagnosis.objects.create(
        patient=source, code="Q-Jonesy", title="", recorded_at=visit.scheduled_start
    )
    out = _export(tmp_path, "csv")
    texts = " ".join(every_text(out))
    assert "Vexmorrow" not in texts and "Jonesy" not in texts
    (third,) = [r for r in _rows_by_patient(out, "visits")["C"] if r["number_in_course"] == "3"]
    assert third["adverse_event_kinds"] == '["unlisted"]'
    (patient,) = [r for r in csv_rows(out, "patients") if r["age_at_first_infusion_years"] == "41"]
    assert patient["diagnosis_icd10_codes"] == '["F33.1","F41.1","unlisted"]'
