"""Reading the patient registry. Every read of a patient's data is audited here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import and_
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import PatientSearchKind
from ketamine_clinic.patients.models import Patient, mrn_for_number

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

# A search shows at most this many rows; a desk narrows the query rather than scrolls.
SEARCH_RESULT_LIMIT = 50
SEARCH_QUERY_MAX_LENGTH = 100
SEARCH_MAX_TERMS = 5

SEARCH_EMPTY = "Enter a name, a date of birth (yyyy-mm-dd) or an MRN."
SEARCH_TOO_LONG = f"Keep the search under {SEARCH_QUERY_MAX_LENGTH} characters."
SEARCH_TOO_MANY_WORDS = f"Search with at most {SEARCH_MAX_TERMS} words of the name."
SEARCH_BAD_DATE = "That is not a real date. Write a date of birth as yyyy-mm-dd, e.g. 1984-03-07."
SEARCH_NUL = "The search contains a character that cannot be searched for."

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MRN = re.compile(r"^KC0*(\d{1,12})$", re.IGNORECASE)


@dataclass(frozen=True)
class PatientSearchResult:
    """The rows to show, and how many matched in all (`total` may exceed the rows)."""

    query: str
    kind: PatientSearchKind
    patients: list[Patient]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.patients)


def _interpret(query: str) -> tuple[PatientSearchKind, Q]:
    """Read a query as a date of birth, an MRN, or name fragments, in that order."""
    if _ISO_DATE.match(query):
        try:
            born = date.fromisoformat(query)
        except ValueError:
            raise ValidationError(SEARCH_BAD_DATE, code="bad_date") from None
        return PatientSearchKind.DATE_OF_BIRTH, Q(date_of_birth=born)
    mrn = _MRN.match(query)
    if mrn:
        # "kc42" and "KC000042" name the same patient.
        return PatientSearchKind.MRN, Q(mrn=mrn_for_number(int(mrn.group(1))))
    terms = query.split()
    if len(terms) > SEARCH_MAX_TERMS:
        raise ValidationError(SEARCH_TOO_MANY_WORDS, code="too_many_words")
    # Every word must match one of the names: "avery test" finds Avery Testpatient.
    per_term = [
        Q(legal_first_name__icontains=term)
        | Q(legal_last_name__icontains=term)
        | Q(preferred_name__icontains=term)
        for term in terms
    ]
    return PatientSearchKind.NAME, reduce(and_, per_term)


def patient_search(*, query: str, by: User) -> PatientSearchResult:
    """Find patients by name fragment, MRN or ISO date of birth; audit the search.

    One READ entry per search, with the query, how it was read, how many matched and
    the ids shown, so a lead can later see who saw which names in a result list.
    """
    query = query.strip()
    if not query:
        raise ValidationError(SEARCH_EMPTY, code="empty")
    if len(query) > SEARCH_QUERY_MAX_LENGTH:
        raise ValidationError(SEARCH_TOO_LONG, code="too_long")
    if "\x00" in query:
        raise ValidationError(SEARCH_NUL, code="nul")
    kind, condition = _interpret(query)
    matches = Patient.objects.filter(condition)  # in the model's order: last, first, id
    total = matches.count()
    patients = list(matches[:SEARCH_RESULT_LIMIT])
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="patient_search",
        detail={
            "query": query,
            "kind": str(kind),
            "count": total,
            "patient_ids": [patient.pk for patient in patients],
        },
    )
    return PatientSearchResult(query=query, kind=kind, patients=patients, total=total)


def patient_get(*, patient_id: int, by: User) -> Patient:
    """One patient's record, for their chart; the read is audited against the patient.

    Raises Patient.DoesNotExist (a 404 to the view) without an entry: nothing was read.
    """
    patient = Patient.objects.get(pk=patient_id)
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return patient


def patient_id_for_mrn(*, mrn: str) -> int | None:
    """The id of the patient with this MRN, or None.

    Not audited on its own: its one caller, the audit page's filter, records the MRN
    and the id it resolved to in its AUDIT_VIEWED entry.
    """
    match = _MRN.match(mrn.strip())
    if match is None:
        return None
    return (
        Patient.objects.filter(mrn=mrn_for_number(int(match.group(1))))
        .values_list("pk", flat=True)
        .first()
    )
