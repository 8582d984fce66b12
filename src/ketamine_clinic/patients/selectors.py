"""Reading the patient registry. Every read of a patient's data is audited here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import reduce
from operator import and_
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import AllergyStatus, PatientSearchKind, PregnancyPotential
from ketamine_clinic.patients.models import (
    Allergy,
    ChartItem,
    Correction,
    Diagnosis,
    Medication,
    Patient,
    ReportedHistory,
    WeightMeasurement,
    mrn_for_number,
)
from ketamine_clinic.patients.reported_history import QUESTIONS as HISTORY_QUESTIONS
from ketamine_clinic.patients.timeline_types import TimelineEntry

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

ChartItemT = TypeVar("ChartItemT", bound=ChartItem)

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


def patient_search(*, query: str, by: User, shown: slice = slice(None)) -> PatientSearchResult:
    """Find patients by name fragment, MRN or ISO date of birth; audit the search.

    One READ entry per search, with the query, how it was read, how many matched and
    the ids shown, so a lead can later see who saw which names in a result list.
    ``shown`` is the part of the rows the caller will show (the API's offset and
    limit): only those ids go into the entry, for the entry says who saw what.
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
            "patient_ids": [patient.pk for patient in patients[shown]],
        },
    )
    return PatientSearchResult(query=query, kind=kind, patients=patients, total=total)


# The staff the chart names from the patient's own row (who registered and last changed them,
# who recorded "no known allergies" and the pregnancy potential): read with it, not a query each.
_CHART_PEOPLE = (
    "created_by",
    "updated_by",
    "no_known_allergies_by",
    "pregnancy_potential_recorded_by",
)


def patient_get(*, patient_id: int, by: User, with_people: bool = False) -> Patient:
    """One patient's record, for their chart; the read is audited against the patient.

    ``with_people``: with the staff the chart names (``_CHART_PEOPLE``). Raises
    Patient.DoesNotExist (a 404 to the view) without an entry: nothing was read.
    """
    patients = Patient.objects.select_related(*_CHART_PEOPLE) if with_people else Patient.objects
    patient = patients.get(pk=patient_id)
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


# ---- the chart -------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientChart:
    """What the chart page shows, read in one audited call.

    The lists hold what stands now: items marked entered in error are left out (the
    timeline still shows that they were recorded and retracted).
    """

    patient: Patient
    age: int
    allergy_status: AllergyStatus
    allergies: list[Allergy]
    current_medications: list[Medication]
    past_medications: list[Medication]
    diagnoses: list[Diagnosis]
    weights: list[WeightMeasurement]
    timeline: list[TimelineEntry]
    reported_history: list[tuple[str, str]]  # (question label, answer) of the latest report
    reported_history_at: datetime | None

    @property
    def latest_weight(self) -> WeightMeasurement | None:
        return self.weights[0] if self.weights else None

    @property
    def flagged_medications(self) -> list[Medication]:
        return [medication for medication in self.current_medications if medication.flags]

    @property
    def ketamine_allergy(self) -> bool:
        return any(allergy.is_ketamine for allergy in self.allergies)

    @property
    def diagnosis_concerns(self) -> list[Diagnosis]:
        return [diagnosis for diagnosis in self.diagnoses if diagnosis.concern]


def allergy_status(*, patient: Patient, allergies: list[Allergy]) -> AllergyStatus:
    """Recorded allergies, an explicit "none", or not asked: never "none" by default."""
    if allergies:
        return AllergyStatus.HAS_ALLERGIES
    if patient.no_known_allergies_at is not None:
        return AllergyStatus.NO_KNOWN_ALLERGIES
    return AllergyStatus.NOT_ASKED


def latest_weight(*, patient: Patient) -> WeightMeasurement | None:
    """The weight dosing uses: the most recently measured one not entered in error.

    Not audited on its own: it is a building block of reads that audit themselves (the
    chart, and later the dose calculation of a visit).
    """
    return (
        WeightMeasurement.objects.filter(patient=patient, entered_in_error_at__isnull=True)
        .select_related("measured_by")
        .first()
    )


def _who(user: User | None) -> str | None:
    return user.display_name if user is not None else None


@dataclass(frozen=True)
class _OwnRows:
    """The registry's rows of one patient (entered in error included), each list read
    once with its people, in the models' own order: the chart's lists and its timeline
    come from these instead of reading each table twice or three times."""

    allergies: list[Allergy]
    medications: list[Medication]
    diagnoses: list[Diagnosis]
    weights: list[WeightMeasurement]
    histories: list[ReportedHistory]
    # The same medications by name, sorted by the database (its collation, as everywhere
    # else names sort), for the chart's lists.
    medications_by_name: list[Medication]


def _own_rows(patient: Patient) -> _OwnRows:
    by_name = list(
        patient.medications.select_related("recorded_by", "stopped_by").order_by(
            "name", "-recorded_at"
        )
    )
    return _OwnRows(
        allergies=list(patient.allergies.select_related("recorded_by")),
        # In the model's order (newest recorded first), as the timeline lists them.
        medications=sorted(by_name, key=lambda m: (m.recorded_at, m.pk), reverse=True),
        medications_by_name=by_name,
        diagnoses=list(patient.diagnoses.select_related("recorded_by")),
        weights=list(patient.weights.select_related("recorded_by", "measured_by")),
        histories=list(patient.reported_histories.select_related("entered_by")),
    )


def _own_timeline(patient: Patient, rows: _OwnRows | None = None) -> list[TimelineEntry]:
    """What the registry itself records about a patient, as timeline entries."""
    rows = rows if rows is not None else _own_rows(patient)
    entries = [
        TimelineEntry(
            at=patient.created_at,
            kind="registration",
            title="Registered",
            detail=f"MRN {patient.mrn}",
            actor=_who(patient.created_by),
        )
    ]
    for allergy in rows.allergies:
        detail = " · ".join(
            part for part in (allergy.reaction, allergy.get_severity_display()) if part
        )
        entries.append(
            TimelineEntry(
                at=allergy.recorded_at,
                kind="allergy",
                title=f"Allergy recorded: {allergy.substance}",
                detail=detail,
                actor=_who(allergy.recorded_by),
            )
        )
    entries.extend(
        TimelineEntry(
            at=history.reported_at,
            kind="history",
            title="History reported by the patient",
            detail=f"{len(history.answers)} questions answered",
            actor="patient (kiosk)" if history.entered_by is None else _who(history.entered_by),
        )
        for history in rows.histories
    )
    if patient.no_known_allergies_at is not None:
        entries.append(
            TimelineEntry(
                at=patient.no_known_allergies_at,
                kind="allergy",
                title="No known allergies recorded",
                actor=_who(patient.no_known_allergies_by),
            )
        )
    for medication in rows.medications:
        flags = "; ".join(medication.flag_labels)
        entries.append(
            TimelineEntry(
                at=medication.recorded_at,
                kind="medication",
                title=f"Medication recorded: {medication.name}",
                detail=" · ".join(part for part in (medication.dose_text, flags) if part),
                actor=_who(medication.recorded_by),
            )
        )
    entries.extend(
        TimelineEntry(
            at=diagnosis.recorded_at,
            kind="diagnosis",
            title=f"Diagnosis recorded: {diagnosis.code}",
            detail=diagnosis.title,
            actor=_who(diagnosis.recorded_by),
        )
        for diagnosis in rows.diagnoses
    )
    entries.extend(
        TimelineEntry(
            at=weight.recorded_at,
            kind="weight",
            title=f"Weight {weight.kg_shown} kg",
            detail=f"measured {weight.measured_on:%Y-%m-%d}, entered as {weight.entered_shown}",
            actor=_who(weight.recorded_by),
        )
        for weight in rows.weights
    )
    if patient.pregnancy_potential and patient.pregnancy_potential_recorded_at is not None:
        entries.append(
            TimelineEntry(
                at=patient.pregnancy_potential_recorded_at,
                kind="pregnancy",
                title="Pregnancy potential: "
                + PregnancyPotential(patient.pregnancy_potential).label,
                detail=f"asked {patient.pregnancy_potential_asked_on:%Y-%m-%d}",
                actor=_who(patient.pregnancy_potential_recorded_by),
            )
        )
    entries.extend(_correction_entry(c) for c in patient.corrections.select_related("by"))
    return entries


_MEDICATION_STOP_NOTE = "stopped"


# A correction's title names at most this many fields, then says how many more.
TIMELINE_FIELDS_NAMED = 3


def _correction_entry(correction: Correction) -> TimelineEntry:
    what = "details" if correction.object_type == "patient" else correction.object_type
    what = what.replace("_", " ").capitalize()
    if "entered_in_error" in correction.changes:
        title = f"{what} marked entered in error"
    else:
        # Sorted: PostgreSQL's jsonb does not keep the order the keys were written in.
        names = sorted(name.replace("_", " ") for name in correction.changes)
        fields = ", ".join(names[:TIMELINE_FIELDS_NAMED])
        if len(names) > TIMELINE_FIELDS_NAMED:
            fields += f" and {len(names) - TIMELINE_FIELDS_NAMED} more"
        # Filling in what was empty is completing the record, not correcting it.
        added = correction.object_type == "patient" and all(
            before in (None, "") for before, _ in correction.changes.values()
        )
        title = f"{what} {'added' if added else 'corrected'}: {fields}"
    return TimelineEntry(
        at=correction.at,
        kind="correction",
        title=title,
        detail=correction.reason,
        actor=_who(correction.by),
    )


def _stops(medications: list[Medication]) -> list[TimelineEntry]:
    """Stopping a medication is dated by the stop date the nurse entered, at the clinic's
    midnight, since the row keeps no separate time of entry for it."""
    entries = []
    zone = timezone.get_current_timezone()
    for medication in medications:
        if medication.stopped_on is None:
            continue
        entries.append(
            TimelineEntry(
                at=datetime.combine(medication.stopped_on, time.min, tzinfo=zone),
                kind="medication",
                title=f"Medication {_MEDICATION_STOP_NOTE}: {medication.name}",
                actor=_who(medication.stopped_by),
            )
        )
    return entries


def patient_timeline(*, patient: Patient, own: _OwnRows | None = None) -> list[TimelineEntry]:
    """Everything recorded about the patient here and in the other apps, newest first.

    Not audited on its own: the chart read that calls it is. `own`: the patient's rows
    the caller has read already (the chart).
    """
    from ketamine_clinic.patients.chart_sources import other_apps_timeline_entries

    own = own if own is not None else _own_rows(patient)
    entries = [
        *_own_timeline(patient, own),
        *_stops(own.medications),
        *other_apps_timeline_entries(patient),
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def patient_chart(*, patient_id: int, by: User) -> PatientChart:
    """The chart of one patient; one READ entry (as `patient_get`) covers the whole page.

    Raises Patient.DoesNotExist (a 404 to the view) without an entry.
    """
    patient = patient_get(patient_id=patient_id, by=by, with_people=True)
    own = _own_rows(patient)
    allergies = [a for a in own.allergies if a.entered_in_error_at is None]
    medications = [m for m in own.medications_by_name if m.entered_in_error_at is None]
    return PatientChart(
        patient=patient,
        age=patient.age_on(timezone.localdate()),
        allergy_status=allergy_status(patient=patient, allergies=allergies),
        allergies=allergies,
        current_medications=[m for m in medications if m.stopped_on is None],
        past_medications=[m for m in medications if m.stopped_on is not None],
        diagnoses=[d for d in own.diagnoses if d.entered_in_error_at is None],
        weights=[w for w in own.weights if w.entered_in_error_at is None][:CHART_WEIGHTS_SHOWN],
        timeline=patient_timeline(patient=patient, own=own),
        **_latest_reported_history(own.histories[0] if own.histories else None),
    )


_ANSWER_WORDS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}


def _latest_reported_history(latest: ReportedHistory | None) -> dict[str, Any]:
    """The latest report as (label, answer) rows in question order, answered ones only."""
    if latest is None:
        return {"reported_history": [], "reported_history_at": None}
    rows = [
        (
            question.label,
            _ANSWER_WORDS.get(latest.answers[question.key], latest.answers[question.key])
            if question.kind == "yes_no_unsure"
            else latest.answers[question.key],
        )
        for question in HISTORY_QUESTIONS
        if question.key in latest.answers
    ]
    return {"reported_history": rows, "reported_history_at": latest.reported_at}


CHART_WEIGHTS_SHOWN = 5


def item_of_patient(model: type[ChartItemT], *, patient: Patient, item_id: int) -> ChartItemT:
    """An allergy, medication, diagnosis or weight of this patient, for a form.

    Raises model.DoesNotExist when the item is another patient's: a URL that pairs a
    patient with someone else's item opens nothing. Not audited on its own: the view
    reads the patient with `patient_get` first, which is.
    """
    return model._default_manager.get(pk=item_id, patient=patient)


def patient_by_id(*, patient_id: int) -> Patient:
    """The patient, for an operation whose own read or write is audited.

    Raises Patient.DoesNotExist. Not audited: `questionnaire_history`, `patient_scores`
    and `record_response` write the entry that names what was read or written.
    """
    return Patient.objects.get(pk=patient_id)
