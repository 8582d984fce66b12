"""What the patient operations accept and return.

Field names are the registry's own (`legal_first_name`, `sex_at_birth`), so a service's
refusal names the field the caller sent. Every string a person typed is returned as a
JSON string, verbatim: the API never renders HTML, so nothing here is escaped.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from ketamine_clinic.api.schemas_problems import (
    NO_NUL_PATTERN,
    NOT_BLANK_PATTERN,
    SPACE_CHARACTERS,
    IsoDate,
    Text,
)
from ketamine_clinic.patients.enums import (
    AllergySeverity,
    AllergyStatus,
    GenderIdentity,
    MedicationFlag,
    PatientSearchKind,
    PregnancyPotential,
    SexAtBirth,
)
from ketamine_clinic.patients.models import (
    Allergy,
    Diagnosis,
    Medication,
    Patient,
    WeightMeasurement,
)
from ketamine_clinic.patients.selectors import (
    SEARCH_MAX_TERMS,
    SEARCH_QUERY_MAX_LENGTH,
    SEARCH_RESULT_LIMIT,
    PatientChart,
)

# The registration form's limits (patients/forms.py, and the model's columns).
NAME_MAX_LENGTH = 100

# What `patient_search` accepts, written as a JSON Schema pattern so the schema promises
# no more than the selector keeps (schemathesis holds it to that): after surrounding
# spaces, a real date yyyy-mm-dd, or one to SEARCH_MAX_TERMS words that are not an
# impossible date; no NUL. Written to mean the same to Python and to ECMA readers
# (spaces spelled out, [0-9] for digits); the one gap: a date-shaped query in non-ASCII
# digits, which the selector refuses, matches. Documented, not enforced here: the
# selector refuses the rest with a sentence a person understands.
_SPACE = f"[{SPACE_CHARACTERS}]"
_WORD = rf"[^{SPACE_CHARACTERS}\x00]+"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_REAL_DATE = (
    r"(?:(?!0000)[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    rf"|(?!0000){_LEAP_YEAR}-02-29)"
)
SEARCH_QUERY_PATTERN = (
    rf"^{_SPACE}*(?:{_REAL_DATE}|(?![0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{_SPACE}*$)"
    rf"{_WORD}(?:{_SPACE}+{_WORD}){{0,{SEARCH_MAX_TERMS - 1}}}){_SPACE}*$"
)


class PatientSearchParams(Schema):
    q: str = Field(
        description="A name or part of one (up to five words, each matching a name), "
        "a date of birth (yyyy-mm-dd) or an MRN (KC000042, kc42).",
        # The length is checked here, before the selector strips the query, so that what
        # the schema says is exactly what is refused. The pattern is documented, not
        # enforced here: the selector refuses with its own sentence.
        max_length=SEARCH_QUERY_MAX_LENGTH,
        json_schema_extra={"minLength": 1, "pattern": SEARCH_QUERY_PATTERN},
    )
    offset: int = Field(default=0, ge=0, le=SEARCH_RESULT_LIMIT)
    limit: int = Field(default=SEARCH_RESULT_LIMIT, ge=1, le=SEARCH_RESULT_LIMIT)


class PatientRowOut(Schema):
    """One search result: what the web list shows, and the id to open the chart with."""

    id: int
    mrn: str
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    display_name: str = Field(description='"Last, First" with the preferred name in quotes.')
    date_of_birth: date
    sex_at_birth: SexAtBirth

    @classmethod
    def of(cls, patient: Patient) -> PatientRowOut:
        return cls(
            id=patient.pk,
            mrn=patient.mrn,
            legal_first_name=patient.legal_first_name,
            legal_last_name=patient.legal_last_name,
            preferred_name=patient.preferred_name,
            display_name=patient.display_name,
            date_of_birth=patient.date_of_birth,
            sex_at_birth=SexAtBirth(patient.sex_at_birth),
        )


class PatientSearchOut(Schema):
    query: str
    kind: PatientSearchKind = Field(description="How the query was read.")
    total: int = Field(description="How many patients match in all.")
    offset: int
    limit: int
    truncated: bool = Field(
        description=f"More match than the search returns ({SEARCH_RESULT_LIMIT}, as on the "
        "web page): narrow the query rather than page further."
    )
    items: list[PatientRowOut]


class PatientRegisterIn(Schema):
    """The web registration form's fields; the service checks them as it checks the form's."""

    legal_first_name: Text = Field(
        min_length=1, max_length=NAME_MAX_LENGTH, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    legal_last_name: Text = Field(
        min_length=1, max_length=NAME_MAX_LENGTH, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    preferred_name: Text = Field(
        default="",
        max_length=NAME_MAX_LENGTH,
        description="What the patient asks to be called, if not the legal first name.",
        json_schema_extra={"pattern": NO_NUL_PATTERN},
    )
    date_of_birth: IsoDate = Field(description="yyyy-mm-dd; not in the future, not before 1900.")
    sex_at_birth: SexAtBirth


class WeightOut(Schema):
    # Numbers, not decimal strings: the stored value has two decimals, which a float
    # carries exactly enough to print back the same.
    weight_kg: float = Field(description="As stored, to 0.01 kg: what dosing uses.")
    weight_kg_shown: float = Field(description="To 0.1 kg, rounded half up, as pages show it.")
    entered: str = Field(description='As entered, with its unit: "154 lb".')
    measured_on: date

    @classmethod
    def of(cls, weight: WeightMeasurement) -> WeightOut:
        return cls(
            weight_kg=float(weight.weight_kg),
            weight_kg_shown=float(weight.kg_shown),
            entered=weight.entered_shown,
            measured_on=weight.measured_on,
        )


class AllergyOut(Schema):
    id: int
    substance: str
    reaction: str
    severity: AllergySeverity
    is_ketamine: bool
    recorded_at: datetime

    @classmethod
    def of(cls, allergy: Allergy) -> AllergyOut:
        return cls(
            id=allergy.pk,
            substance=allergy.substance,
            reaction=allergy.reaction,
            severity=AllergySeverity(allergy.severity),
            is_ketamine=allergy.is_ketamine,
            recorded_at=allergy.recorded_at,
        )


class MedicationOut(Schema):
    id: int
    name: str
    dose_text: str
    started_on: date | None
    flags: list[MedicationFlag] = Field(
        description="Classes that matter for ketamine (blunting, blood-pressure rise)."
    )
    flag_labels: list[str]
    flags_set_by_staff: bool

    @classmethod
    def of(cls, medication: Medication) -> MedicationOut:
        return cls(
            id=medication.pk,
            name=medication.name,
            dose_text=medication.dose_text,
            started_on=medication.started_on,
            # Only known values: a flag the enum no longer has is not a flag to act on.
            flags=[MedicationFlag(v) for v in medication.flags if v in MedicationFlag.values],
            flag_labels=medication.flag_labels,
            flags_set_by_staff=medication.flags_set_by_staff,
        )


class DiagnosisOut(Schema):
    id: int
    code: str = Field(description="ICD-10-CM.")
    title: str
    concern: str = Field(description="Why it matters for ketamine; empty if it does not.")

    @classmethod
    def of(cls, diagnosis: Diagnosis) -> DiagnosisOut:
        return cls(
            id=diagnosis.pk, code=diagnosis.code, title=diagnosis.title, concern=diagnosis.concern
        )


class PregnancyOut(Schema):
    potential: PregnancyPotential | None = Field(description="None: not asked.")
    asked_on: date | None


class PersonOut(Schema):
    name: str
    relationship: str
    phone: str


class GenderOut(Schema):
    identity: GenderIdentity | None = Field(description="None: not asked.")
    text: str = Field(description="As the chart shows it: the label, or the patient's words.")
    pronouns: str


class PatientSummaryOut(Schema):
    """What a nurse needs at a glance before an infusion: the chart's summary."""

    id: int
    mrn: str
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    display_name: str
    date_of_birth: date
    age: int = Field(description="Completed years today, in the clinic's time zone.")
    sex_at_birth: SexAtBirth
    gender: GenderOut
    latest_weight: WeightOut | None = Field(description="None: no weight recorded yet.")
    allergy_status: AllergyStatus = Field(
        description="`not_asked` is never `no_known_allergies`: ask before the infusion."
    )
    allergies: list[AllergyOut]
    ketamine_allergy: bool
    current_medications: list[MedicationOut]
    diagnoses: list[DiagnosisOut]
    pregnancy: PregnancyOut
    escort: PersonOut | None = Field(description="None: no usual escort recorded.")

    @classmethod
    def of(cls, chart: PatientChart) -> PatientSummaryOut:
        patient = chart.patient
        weight = chart.latest_weight
        return cls(
            id=patient.pk,
            mrn=patient.mrn,
            legal_first_name=patient.legal_first_name,
            legal_last_name=patient.legal_last_name,
            preferred_name=patient.preferred_name,
            display_name=patient.display_name,
            date_of_birth=patient.date_of_birth,
            age=chart.age,
            sex_at_birth=SexAtBirth(patient.sex_at_birth),
            gender=GenderOut(
                identity=GenderIdentity(patient.gender_identity)
                if patient.gender_identity
                else None,
                text=patient.gender_identity_text,
                pronouns=patient.pronouns,
            ),
            latest_weight=WeightOut.of(weight) if weight is not None else None,
            allergy_status=chart.allergy_status,
            allergies=[AllergyOut.of(allergy) for allergy in chart.allergies],
            ketamine_allergy=chart.ketamine_allergy,
            current_medications=[MedicationOut.of(m) for m in chart.current_medications],
            diagnoses=[DiagnosisOut.of(diagnosis) for diagnosis in chart.diagnoses],
            pregnancy=PregnancyOut(
                potential=PregnancyPotential(patient.pregnancy_potential)
                if patient.pregnancy_potential
                else None,
                asked_on=patient.pregnancy_potential_asked_on,
            ),
            escort=PersonOut(
                name=patient.escort_name,
                relationship=patient.escort_relationship,
                phone=patient.escort_phone,
            )
            if patient.escort_name
            else None,
        )
