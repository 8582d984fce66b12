"""Patient resources from a FHIR Bundle into the registry, all or nothing.

Policy: every Patient entry is checked first (FHIR validity through fhir.resources,
then what the registry needs); if any entry is refused, nothing is written and every
problem is reported, each naming the entry's index and the field. Entries of other
resource types are skipped and counted, not refused: a Bundle from another system may
carry anything. Each patient is registered through `patients.services.patient_create`,
so they get the clinic's next MRN and the usual audit entry; an MRN in the Bundle under
the clinic's own system is the record's old number, and one already in the registry
means the patient is already here (a duplicate), which refuses the import.

Sex at birth: the clinic's sex-at-birth extension, when present, is the value (our own
exports carry it); otherwise Patient.gender male and female are taken as such, and
"other" or "unknown" (or no gender) as "unknown": administrative gender "other" does not
say what sex was recorded at birth, and the registry must not claim it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from fhir.resources.R4B.patient import Patient as FhirPatient
from pydantic import ValidationError as PydanticValidationError

from ketamine_clinic.fhir.codes import MRN_SYSTEM, SEX_AT_BIRTH_EXTENSION
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services import patient_create

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

GENDERS = ("male", "female", "other", "unknown")
SEX_AT_BIRTH_FOR_GENDER = {
    "male": "male",
    "female": "female",
    "other": "unknown",
    "unknown": "unknown",
}

NOT_JSON = "not valid JSON: {error}"
NOT_A_BUNDLE = "expected a Bundle, got {found}"
ENTRY_NOT_A_LIST = "entry must be a list of entries"
ENTRY_NOT_AN_OBJECT = "an entry must be a JSON object with a resource"
NAME_MISSING = "a name with a family name and a given name is required"
FAMILY_MISSING = "the family name is required"
GIVEN_MISSING = "a given name is required"
BIRTH_DATE_MISSING = "birthDate is required"
BIRTH_DATE_PARTIAL = "a full date (YYYY-MM-DD) is needed; {found!r} is only partly known"
GENDER_INVALID = "{found!r} is not one of male, female, other, unknown"
SEX_AT_BIRTH_INVALID = "{found!r} is not one of " + ", ".join(SexAtBirth.values)
MRN_ALREADY_REGISTERED = "MRN {mrn} is already registered (patient id {patient_id})"
MRN_TWICE = "MRN {mrn} is also in entry[{other}]"

# The registry's field -> where it came from in the Patient resource.
SOURCE_FIELD = {
    "legal_first_name": "name.given",
    "legal_last_name": "name.family",
    "preferred_name": "name.given",
    "date_of_birth": "birthDate",
    "sex_at_birth": "gender",
}


@dataclass(frozen=True)
class ImportProblem:
    """One refusal: which entry (None for the Bundle itself), which field, why."""

    entry: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = "bundle" if self.entry is None else f"entry[{self.entry}].resource"
        return f"{where}.{self.field}: {self.reason}"


class BundleImportRefused(Exception):
    """Nothing was written; `problems` says why, entry by entry."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class PatientFromBundle:
    entry: int
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    date_of_birth: date
    sex_at_birth: str
    mrn_in_bundle: str | None


@dataclass(frozen=True)
class ImportResult:
    created: list[tuple[PatientFromBundle, Patient]]
    skipped_entries: int  # entries of other resource types


def _bundle_entries(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BundleImportRefused(
            [ImportProblem(None, "json", NOT_JSON.format(error=error))]
        ) from None
    found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
    if found != "Bundle":
        raise BundleImportRefused(
            [ImportProblem(None, "resourceType", NOT_A_BUNDLE.format(found=repr(found)))]
        )
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise BundleImportRefused([ImportProblem(None, "entry", ENTRY_NOT_A_LIST)])
    return entries


def _pydantic_problems(index: int, error: PydanticValidationError) -> list[ImportProblem]:
    return [
        ImportProblem(
            index,
            ".".join(str(part) for part in problem["loc"]) or "resource",
            problem["msg"],
        )
        for problem in error.errors()
    ]


def _read_patient(
    index: int, resource: dict[str, Any]
) -> tuple[PatientFromBundle | None, list[ImportProblem]]:
    try:
        patient = FhirPatient.model_validate(resource)
    except PydanticValidationError as error:
        return None, _pydantic_problems(index, error)
    problems: list[ImportProblem] = []

    names = patient.name or []
    official = next((n for n in names if n.use == "official"), names[0] if names else None)
    usual = next((n for n in names if n.use == "usual" and n is not official), None)
    if official is None:
        problems.append(ImportProblem(index, "name", NAME_MISSING))
    else:
        if not (official.family or "").strip():
            problems.append(ImportProblem(index, "name.family", FAMILY_MISSING))
        if not official.given or not (official.given[0] or "").strip():
            problems.append(ImportProblem(index, "name.given", GIVEN_MISSING))
    if patient.birthDate is None:
        problems.append(ImportProblem(index, "birthDate", BIRTH_DATE_MISSING))
    elif not isinstance(patient.birthDate, date):
        # FHIR allows "1984" or "1984-03"; the registry (and dosing by age) needs the day.
        problems.append(
            ImportProblem(index, "birthDate", BIRTH_DATE_PARTIAL.format(found=patient.birthDate))
        )
    gender = patient.gender or "unknown"
    if gender not in GENDERS:
        problems.append(ImportProblem(index, "gender", GENDER_INVALID.format(found=gender)))
    sex_at_birth = SEX_AT_BIRTH_FOR_GENDER.get(gender, "unknown")
    for extension in patient.extension or []:
        if extension.url == SEX_AT_BIRTH_EXTENSION:
            if extension.valueCode not in SexAtBirth.values:
                problems.append(
                    ImportProblem(
                        index,
                        "extension.valueCode",
                        SEX_AT_BIRTH_INVALID.format(found=extension.valueCode),
                    )
                )
            sex_at_birth = str(extension.valueCode)
    mrn = next(
        (i.value for i in patient.identifier or [] if i.system == MRN_SYSTEM and i.value), None
    )
    if problems or official is None or not isinstance(patient.birthDate, date):
        return None, problems
    return (
        PatientFromBundle(
            entry=index,
            legal_first_name=(official.given or [""])[0] or "",
            legal_last_name=official.family or "",
            preferred_name=(usual.given or [""])[0] or "" if usual is not None else "",
            date_of_birth=patient.birthDate,
            sex_at_birth=sex_at_birth,
            mrn_in_bundle=mrn,
        ),
        [],
    )


def _mrn_problems(found: list[PatientFromBundle]) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    first_entry: dict[str, int] = {}
    for patient in found:
        mrn = patient.mrn_in_bundle
        if mrn is None:
            continue
        key = mrn.upper()
        if key in first_entry:
            problems.append(
                ImportProblem(
                    patient.entry, "identifier", MRN_TWICE.format(mrn=mrn, other=first_entry[key])
                )
            )
            continue
        first_entry[key] = patient.entry
        existing = Patient.objects.filter(mrn__iexact=mrn).values_list("pk", flat=True).first()
        if existing is not None:
            problems.append(
                ImportProblem(
                    patient.entry,
                    "identifier",
                    MRN_ALREADY_REGISTERED.format(mrn=mrn, patient_id=existing),
                )
            )
    return problems


def import_patients(*, text: str, by: User | None) -> ImportResult:
    """Register every Patient in the Bundle `text`, or none of them (BundleImportRefused)."""
    found: list[PatientFromBundle] = []
    problems: list[ImportProblem] = []
    skipped = 0
    for index, entry in enumerate(_bundle_entries(text)):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(ImportProblem(index, "resource", ENTRY_NOT_AN_OBJECT))
            continue
        if resource.get("resourceType") != "Patient":
            skipped += 1
            continue
        patient, entry_problems = _read_patient(index, resource)
        problems.extend(entry_problems)
        if patient is not None:
            found.append(patient)
    problems.extend(_mrn_problems(found))
    if problems:
        raise BundleImportRefused(problems)
    return ImportResult(created=_create_all(found, by=by), skipped_entries=skipped)


@transaction.atomic
def _create_all(
    found: list[PatientFromBundle], *, by: User | None
) -> list[tuple[PatientFromBundle, Patient]]:
    """Register each; a refusal by the registry (a future birth date...) undoes them all."""
    created: list[tuple[PatientFromBundle, Patient]] = []
    problems: list[ImportProblem] = []
    for source in found:
        try:
            patient = patient_create(
                legal_first_name=source.legal_first_name,
                legal_last_name=source.legal_last_name,
                preferred_name=source.preferred_name,
                date_of_birth=source.date_of_birth,
                sex_at_birth=SexAtBirth(source.sex_at_birth),
                by=by,
            )
        except ValidationError as refused:
            problems.extend(
                ImportProblem(source.entry, SOURCE_FIELD.get(field, field), message)
                for field, messages in refused.message_dict.items()
                for message in messages
            )
            continue
        created.append((source, patient))
    if problems:
        # Raised inside the transaction, so every patient created above is rolled back.
        raise BundleImportRefused(problems)
    return created
