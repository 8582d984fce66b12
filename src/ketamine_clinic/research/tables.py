"""The export's tables and columns: one definition for the CSV header, the Parquet
schema and the data dictionary, so the three cannot disagree.

Pure Python (no Django, no pyarrow).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketamine_clinic.research.deidentify import AGE_TOP_CODE_LABEL, OFFSET_MAX_DAYS


class ColumnType(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    TEXT = "text"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # UTC, whole seconds; ISO 8601 with Z in CSV
    INTEGER_LIST = "integer list"  # JSON array in CSV
    TEXT_LIST = "text list"  # JSON array in CSV


# How each kind of column was de-identified, worded once for the dictionary.
STUDY_ID = (
    "random study id drawn for this export only (not derived from any database id, "
    "MRN or name; differs between exports; the mapping is not stored)"
)
SHIFTED = (
    f"SHIFTED: the real UTC time moved by the patient's random offset of whole days "
    f"(-{OFFSET_MAX_DAYS}..+{OFFSET_MAX_DAYS}, never 0; one offset per patient per "
    "export, not stored): intervals within a patient and the time of day are exact, "
    "the date and weekday are not real"
)
KEPT = "kept as recorded (not an identifier)"
CODED = (
    "kept if on its fixed list of codes (research/vocabulary.py); any other value is "
    'exported as "unlisted", so no free text can pass through'
)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    unit: str
    description: str
    deidentification: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _study_id(name: str, description: str) -> Column:
    return Column(name, ColumnType.TEXT, "", description, STUDY_ID)


def _shifted(name: str, description: str) -> Column:
    return Column(name, ColumnType.TIMESTAMP, "UTC", description, SHIFTED)


def _coded(name: str, description: str) -> Column:
    return Column(name, ColumnType.TEXT, "", description, CODED)


def _kept(name: str, kind: ColumnType, unit: str, description: str) -> Column:
    return Column(name, kind, unit, description, KEPT)


def _patient_ref() -> Column:
    return _study_id("patient_study_id", "the patient (see patients)")


PATIENTS = Table(
    "patients",
    "one row per patient with data in the export",
    (
        _study_id("patient_study_id", "the patient"),
        _coded("sex_at_birth", "sex assigned at birth"),
        Column(
            "age_at_first_infusion_years",
            ColumnType.TEXT,
            "years",
            "completed years on the day of the first infusion started (empty if none was); "
            "a whole number as text",
            f"derived from the date of birth, which is never exported; ages over 89 are "
            f'"{AGE_TOP_CODE_LABEL}" (Safe Harbor 164.514(b)(2)(i)(C))',
        ),
        Column(
            "diagnosis_icd10_codes",
            ColumnType.TEXT_LIST,
            "",
            "ICD-10-CM codes of the diagnoses on record (entered-in-error left out), sorted",
            'codes on the bundled ICD-10-CM list only (others: "unlisted"); titles and notes dropped',
        ),
    ),
)

COURSES = Table(
    "courses",
    "one row per course of infusions started (or planned) in the export's window",
    (
        _study_id("course_study_id", "the course"),
        _patient_ref(),
        _coded("protocol_key", "the clinic's protocol"),
        _coded("status", "active, completed or stopped"),
        _shifted("started_at_shifted", "course start"),
        _shifted("ended_at_shifted", "course end"),
        _kept("infusions_planned", ColumnType.INTEGER, "infusions", "infusions the protocol plans"),
        _kept(
            "infusions_given",
            ColumnType.INTEGER,
            "infusions",
            "visits of the course whose infusion was started (whatever the window)",
        ),
    ),
)

VISITS = Table(
    "visits",
    "one row per infusion visit scheduled in the export's window, whatever its state",
    (
        _study_id("visit_study_id", "the visit"),
        _patient_ref(),
        _study_id("course_study_id", "the course (see courses); empty for a booster"),
        _kept("number_in_course", ColumnType.INTEGER, "", "1 for the course's first infusion"),
        _coded("state", "the visit's state (discharged, ...)"),
        _shifted("scheduled_start_shifted", "booked start"),
        _shifted("infusion_started_at_shifted", "pump started"),
        _shifted("recovery_started_at_shifted", "recovery began"),
        _shifted("discharged_at_shifted", "discharged"),
        _kept("weight_kg", ColumnType.FLOAT, "kg", "weight the order was dosed on (2 dp)"),
        _kept(
            "ordered_dose_mg_per_kg",
            ColumnType.FLOAT,
            "mg/kg",
            "ketamine dose ordered (the order in force)",
        ),
        _kept("ordered_duration_min", ColumnType.INTEGER, "min", "infusion duration ordered"),
        _kept(
            "infusing_min",
            ColumnType.FLOAT,
            "min",
            "time the pump ran, pauses excluded, replayed from its events (2 dp)",
        ),
        _kept(
            "delivered_mg",
            ColumnType.FLOAT,
            "mg",
            "ketamine delivered: volume the pump events give times the order's "
            "concentration (2 dp); empty without pump events",
        ),
        Column(
            "adverse_event_kinds",
            ColumnType.TEXT_LIST,
            "",
            "kind of each adverse event recorded, in time order",
            'kinds on the fixed list only (others: "unlisted"); descriptions dropped as free text',
        ),
        Column(
            "adverse_events_with_intervention",
            ColumnType.INTEGER,
            "events",
            "how many of those adverse events had an intervention recorded",
            "a count: the intervention itself is typed by staff (free text) and dropped",
        ),
    ),
)

VITALS = Table(
    "vitals",
    "one row per set of vital signs taken in the export's window",
    (
        _patient_ref(),
        _study_id("visit_study_id", "the visit (see visits)"),
        _shifted("taken_at_shifted", "when taken"),
        _kept("systolic_mmhg", ColumnType.INTEGER, "mmHg", "systolic blood pressure"),
        _kept("diastolic_mmhg", ColumnType.INTEGER, "mmHg", "diastolic blood pressure"),
        _kept("heart_rate_per_min", ColumnType.INTEGER, "/min", "heart rate"),
        _kept("spo2_percent", ColumnType.INTEGER, "%", "oxygen saturation"),
        _kept(
            "respiratory_rate_per_min",
            ColumnType.INTEGER,
            "/min",
            "respiratory rate (empty if not taken)",
        ),
        _coded("source", "manual entry or a monitor"),
    ),
)

SCORES = Table(
    "scores",
    "one row per questionnaire response taken in the export's window; a corrected "
    "response is replaced by its correction",
    (
        _patient_ref(),
        _coded("instrument_key", "the questionnaire (phq9, gad7, ...)"),
        _coded("instrument_version", "its definition's version"),
        _kept(
            "item_answers",
            ColumnType.INTEGER_LIST,
            "points",
            "each item's answer in the instrument's order; null = unanswered",
        ),
        _kept("total", ColumnType.INTEGER, "points", "total score (empty if none)"),
        _coded("severity", "the instrument's severity band"),
        _kept("valid", ColumnType.BOOLEAN, "", "false when unanswered items leave no total"),
        _coded("channel", "kiosk or staff entry"),
        _shifted("taken_at_shifted", "when answered"),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, COURSES, VISITS, VITALS, SCORES)

DICTIONARY_COLUMNS = ("table", "column", "type", "unit", "description", "deidentification")


def dictionary_rows() -> list[tuple[str, ...]]:
    """The data dictionary: every column of every table, its unit and how it was treated."""
    return [
        (
            table.name,
            column.name,
            str(column.type),
            column.unit,
            column.description,
            column.deidentification,
        )
        for table in TABLES
        for column in table.columns
    ]
