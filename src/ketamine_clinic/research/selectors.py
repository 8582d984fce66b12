"""Reading the clinic's records for the research export, de-identified as they are read.

Patients are taken in a random order (drawn from the export's secret), a chunk at a
time; each chunk's rows of every table are read with ``values_list`` (no model objects,
a fixed number of queries per chunk) and leave here already de-identified: study ids for
database ids, shifted times, codes without their free text. Nothing identifying is ever
selected that is not needed to compute an exported value (the date of birth, for the
grouped age; whether an intervention was typed, for a count), and those values do not
leave this module.

The row order carries nothing either: patients come in the secret's random order, and
each patient's rows in time order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.courses.models import Course
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent
from ketamine_clinic.infusion.pump_state import PumpEventKind, PumpEventView, pump_state
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.patients.models import Diagnosis, Patient
from ketamine_clinic.research.deidentify import ExportSecret, age_in_years, grouped_age
from ketamine_clinic.research.requests import AUDIT_OBJECT_TYPE
from ketamine_clinic.research.tables import COURSES, PATIENTS, SCORES, VISITS, VITALS, Table
from ketamine_clinic.research.vocabulary import allowed, listed, listed_all
from ketamine_clinic.research.vocabulary import version as version_listed
from ketamine_clinic.research.window import ExportWindow
from ketamine_clinic.research.writers import Row
from ketamine_clinic.visits.models import Visit, VitalsReading

# Patients per chunk: a few thousand rows of each table at a time, and IN lists well
# under SQLite's bound on query parameters.
PATIENTS_PER_CHUNK = 500
# Rows fetched per round trip: a chunk's rows of one table in a few fetches rather than
# Django's default 2,000 (on PostgreSQL each fetch is a round trip of a server cursor).
ROWS_PER_FETCH = 10_000


def _two_dp(value: float | Decimal | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _in_rank_order(rows: Iterable[tuple[int, Any, Row]], rank: dict[int, int]) -> list[Row]:
    """Rows keyed (patient id, time), put in the chunk's random patient order, then time."""
    return [row for _, _, row in sorted(rows, key=lambda item: (rank[item[0]], item[1]))]


class _Chunk:
    """One chunk of patients: reads each table for them and de-identifies it."""

    def __init__(
        self,
        patient_ids: Sequence[int],
        *,
        window: ExportWindow,
        secret: ExportSecret,
        now: datetime,
    ) -> None:
        self.patient_ids = list(patient_ids)
        self.rank = {pid: index for index, pid in enumerate(self.patient_ids)}
        self.window = window
        self.secret = secret
        self.now = now
        self.with_rows: set[int] = set()

    def courses(self) -> list[Row]:
        secret = self.secret
        codes = allowed()
        found = list(
            Course.objects.filter(patient_id__in=self.patient_ids)
            .order_by()
            .annotate(began=Coalesce("started_at", "created_at"))
            .filter(self.window.q("began"))
            .values_list(
                "id",
                "patient_id",
                "protocol_key",
                "status",
                "started_at",
                "ended_at",
                "protocol__infusions",
                "began",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        )
        given = dict(
            Visit.objects.filter(
                course_id__in=[c[0] for c in found], infusion_started_at__isnull=False
            )
            .values("course_id")
            .annotate(n=Count("id"))
            .values_list("course_id", "n")
        )
        keyed = []
        for course_id, pid, protocol_key, status, started, ended, planned, began in found:
            self.with_rows.add(pid)
            row = (
                secret.course_ids(course_id),
                secret.patient_ids(pid),
                listed(protocol_key, codes["courses.protocol_key"]),
                listed(status, codes["courses.status"]),
                secret.shift(pid, started),
                secret.shift(pid, ended),
                None if planned is None else int(planned),
                given.get(course_id, 0),
            )
            keyed.append((pid, began, row))
        return _in_rank_order(keyed, self.rank)

    def visits(self) -> list[Row]:
        secret = self.secret
        codes = allowed()
        in_window = Q(visit__patient_id__in=self.patient_ids) & self.window.q(
            "visit__scheduled_start"
        )
        orders: dict[int, tuple[Decimal, Decimal, int, Decimal]] = {}
        for visit_id, weight, dose, minutes, concentration in (
            InfusionOrder.objects.filter(in_window)
            .order_by("visit_id", "ordered_at", "id")
            .values_list(
                "visit_id",
                "weight_kg",
                "dose_mg_per_kg",
                "duration_min",
                "concentration_mg_per_ml",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            orders[visit_id] = (weight, dose, minutes, concentration)  # the latest wins
        events: dict[int, list[PumpEventView]] = defaultdict(list)
        for visit_id, at, kind, rate in (
            PumpEvent.objects.filter(in_window)
            .order_by("visit_id", "at", "id")
            .values_list("visit_id", "at", "kind", "rate_ml_per_h")
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            events[visit_id].append(
                PumpEventView(at, PumpEventKind(kind), None if rate is None else float(rate))
            )
        adverse: dict[int, list[str]] = defaultdict(list)
        intervened: dict[int, int] = defaultdict(int)
        for visit_id, kind, intervention in (
            AdverseEvent.objects.filter(in_window)
            .order_by("visit_id", "at", "id")
            .values_list("visit_id", "kind", "intervention")
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            adverse[visit_id].append(kind)
            intervened[visit_id] += bool(intervention.strip())
        keyed = []
        for (
            visit_id,
            pid,
            course_id,
            number,
            state,
            scheduled,
            started,
            recovery,
            discharged,
        ) in (
            Visit.objects.filter(patient_id__in=self.patient_ids)
            .filter(self.window.q("scheduled_start"))
            .order_by()
            .values_list(
                "id",
                "patient_id",
                "course_id",
                "number_in_course",
                "state",
                "scheduled_start",
                "infusion_started_at",
                "recovery_started_at",
                "discharged_at",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            self.with_rows.add(pid)
            order = orders.get(visit_id)
            infusing_min = delivered_mg = None
            if order is not None and events.get(visit_id):
                pump = pump_state(events[visit_id], self.now)
                infusing_min = _two_dp(pump.infusing_min)
                delivered_mg = _two_dp(pump.infused_ml * float(order[3]))
            row = (
                secret.visit_ids(visit_id),
                secret.patient_ids(pid),
                None if course_id is None else secret.course_ids(course_id),
                number,
                listed(state, codes["visits.state"]),
                secret.shift(pid, scheduled),
                secret.shift(pid, started),
                secret.shift(pid, recovery),
                secret.shift(pid, discharged),
                None if order is None else _two_dp(order[0]),
                None if order is None else round(float(order[1]), 3),
                None if order is None else order[2],
                infusing_min,
                delivered_mg,
                listed_all(adverse.get(visit_id, []), codes["visits.adverse_event_kinds"]),
                intervened.get(visit_id, 0),
            )
            keyed.append((pid, scheduled, row))
        return _in_rank_order(keyed, self.rank)

    def vitals(self) -> list[Row]:
        secret = self.secret
        codes = allowed()
        keyed = []
        for pid, visit_id, taken, systolic, diastolic, heart, spo2, respiratory, source in (
            VitalsReading.objects.filter(visit__patient_id__in=self.patient_ids)
            .filter(self.window.q("taken_at"))
            .order_by()
            .values_list(
                "visit__patient_id",
                "visit_id",
                "taken_at",
                "systolic_mmhg",
                "diastolic_mmhg",
                "heart_rate_per_min",
                "spo2_percent",
                "respiratory_rate_per_min",
                "source",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            self.with_rows.add(pid)
            row = (
                secret.patient_ids(pid),
                secret.visit_ids(visit_id),
                secret.shift(pid, taken),
                systolic,
                diastolic,
                heart,
                spo2,
                respiratory,
                listed(source, codes["vitals.source"]),
            )
            keyed.append((pid, taken, row))
        return _in_rank_order(keyed, self.rank)

    def scores(self) -> list[Row]:
        """Current responses only: one that a later response corrects is replaced by it,
        as ``assessments.selectors._current`` reads them."""
        secret = self.secret
        codes = allowed()
        keyed = []
        for pid, key, version, answers, total, severity, valid, channel, taken in (
            QuestionnaireResponse.objects.filter(
                patient_id__in=self.patient_ids, corrected_by__isnull=True
            )
            .filter(self.window.q("taken_at"))
            .order_by()
            .values_list(
                "patient_id",
                "instrument_key",
                "instrument_version",
                "answers",
                "total",
                "severity",
                "valid",
                "channel",
                "taken_at",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        ):
            self.with_rows.add(pid)
            row = (
                secret.patient_ids(pid),
                listed(key, codes["scores.instrument_key"]),
                version_listed(version),
                [None if answer is None else int(answer) for answer in answers],
                total,
                listed(severity, codes["scores.severity"]),
                valid,
                listed(channel, codes["scores.channel"]),
                secret.shift(pid, taken),
            )
            keyed.append((pid, taken, row))
        return _in_rank_order(keyed, self.rank)

    def patients(self) -> list[Row]:
        """After the other tables: with a window, a patient goes in if any of their rows
        did, or if they were registered in it."""
        known = allowed()
        codes: dict[int, set[str]] = defaultdict(set)
        for pid, code in (
            Diagnosis.objects.filter(
                patient_id__in=self.patient_ids, entered_in_error_at__isnull=True
            )
            .order_by()
            .values_list("patient_id", "code")
        ):
            codes[pid].add(code)
        # The first infusion ever, whatever the window: the age is the patient's, not the
        # window's.
        first_infusion: dict[int, datetime] = dict(
            Visit.objects.filter(patient_id__in=self.patient_ids, infusion_started_at__isnull=False)
            .values("patient_id")
            .annotate(first=Min("infusion_started_at"))
            .values_list("patient_id", "first")
        )
        keyed = []
        for pid, born, sex, created in (
            Patient.objects.filter(id__in=self.patient_ids)
            .order_by()
            .values_list("id", "date_of_birth", "sex_at_birth", "created_at")
        ):
            if self.window.bounded and pid not in self.with_rows:
                registered_in_window = (
                    self.window.since is None or created >= self.window.since
                ) and (self.window.until is None or created < self.window.until)
                if not registered_in_window:
                    continue
            first = first_infusion.get(pid)
            age = None if first is None else grouped_age(age_in_years(born, _local_day(first)))
            row = (
                self.secret.patient_ids(pid),
                listed(sex, known["patients.sex_at_birth"]),
                age,
                sorted(listed_all(codes.get(pid, ()), known["patients.diagnosis_icd10_codes"])),
            )
            keyed.append((pid, 0, row))
        return _in_rank_order(keyed, self.rank)


def _local_day(moment: datetime) -> date:
    """The clinic's calendar day of a moment (ages turn over at the clinic's midnight)."""
    return timezone.localtime(moment).date()


def research_rows(
    *,
    window: ExportWindow,
    secret: ExportSecret,
    now: datetime,
    patients_per_chunk: int = PATIENTS_PER_CHUNK,
) -> Iterator[tuple[Table, list[Row]]]:
    """Every table's de-identified rows, a chunk of patients at a time."""
    patient_ids = list(Patient.objects.order_by().values_list("id", flat=True))
    secret.rng.shuffle(patient_ids)
    for start in range(0, len(patient_ids), patients_per_chunk):
        chunk = _Chunk(
            patient_ids[start : start + patients_per_chunk],
            window=window,
            secret=secret,
            now=now,
        )
        yield COURSES, chunk.courses()
        yield VISITS, chunk.visits()
        yield VITALS, chunk.vitals()
        yield SCORES, chunk.scores()
        yield PATIENTS, chunk.patients()


@dataclass(frozen=True)
class PastExport:
    """One export as the audit trail recorded it (the page lists the latest)."""

    at: datetime
    username: str
    channel: str
    file_format: str
    since: str | None
    until: str | None
    row_counts: dict[str, int]


RECENT_EXPORTS_SHOWN = 20


def recent_exports(limit: int = RECENT_EXPORTS_SHOWN) -> list[PastExport]:
    """The latest exports, newest first, from the audit trail (which is their only record)."""
    entries = AuditEntry.objects.filter(object_type=AUDIT_OBJECT_TYPE).order_by("-seq")[:limit]
    return [
        PastExport(
            at=entry.at,
            username=entry.actor_username,
            channel=entry.channel,
            file_format=str(entry.detail.get("format", "")),
            since=entry.detail.get("since"),
            until=entry.detail.get("until"),
            row_counts=dict(entry.detail.get("row_counts", {})),
        )
        for entry in entries
    ]
