"""Reads of visits for the chart and the course view.

Building blocks, not audited on their own: the chart's open and the course page audit
the read that shows them (as with ``patients.selectors.latest_weight``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ketamine_clinic.accounts.models import display_name_fields
from ketamine_clinic.courses.models import Course
from ketamine_clinic.patients.chart_rows import shared_query
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.visits.check_data import DEFAULT_CHECKS
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import CheckOverride, Visit, VisitTransition


def visits_holding_a_number(course: Course) -> QuerySet[Visit]:
    """The course's visits that count towards its infusions, by appointment time.

    A cancelled or missed visit gives its number back, and so does one aborted before
    the pump started (no ketamine was given); one aborted during the infusion keeps it.
    """
    return (
        course.visits.exclude(state__in=(VisitState.CANCELLED, VisitState.DID_NOT_ATTEND))
        .exclude(Q(state=VisitState.ABORTED) & Q(infusion_started_at__isnull=True))
        .order_by("scheduled_start", "id")
    )


def _local_text(visit: Visit) -> str:
    from django.utils import timezone

    start = timezone.localtime(visit.scheduled_start, timezone.get_default_timezone())
    return f"{start:%Y-%m-%d %H:%M}"


def chart_visits(patient: Patient) -> list[Visit]:
    """Every visit of the patient by appointment time, with only the columns the chart
    shows: its timeline (booked, by whom, where) and the trajectories' infusion marks
    (started, state, number in course), read once per chart (``chart_rows``).

    Only those columns (``display_name_fields`` for the actors): the chart asks for every
    visit, transition and override of the patient, and building whole rows of visits,
    courses and users was most of its timeline's time.
    """
    return shared_query(
        patient,
        "visits.chart_visits",
        Visit.objects.filter(patient=patient)
        .select_related("course", "created_by", "room")
        .only(
            "created_at", "scheduled_start", "planned_infusion_min", "number_in_course",
            "infusion_started_at", "state", "course__protocol", "room__name",
            *display_name_fields("created_by"),
        ),
    )  # fmt: skip


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Visits on the chart: each booking, each change of state, each check override."""
    entries: list[TimelineEntry] = []
    visits = chart_visits(patient)
    for visit in visits:
        room = f", {visit.room.name}" if visit.room is not None else ""
        entries.append(
            TimelineEntry(
                at=visit.created_at,
                kind="visit",
                title=f"{visit.label} scheduled for {_local_text(visit)}",
                detail=f"{visit.planned_infusion_min} min infusion{room}",
                actor=visit.created_by.display_name if visit.created_by else None,
            )
        )
    # Each visit's label from the visits above (read once per chart), not joined again
    # with its course for every transition and override.
    labels = {visit.pk: visit.label for visit in visits}
    transitions = (
        VisitTransition.objects.filter(visit__patient=patient)
        .select_related("by")
        .only("visit", "at", "to_state", "reason", "dose_given_mg", *display_name_fields("by"))
    )
    for change in transitions:
        detail = change.reason
        if change.dose_given_mg is not None:
            detail = f"{detail}; {change.dose_given_mg} mg given before the abort"
        entries.append(
            TimelineEntry(
                at=change.at,
                kind="visit_state",
                title=f"{labels[change.visit_id]}: {VisitState(change.to_state).label.lower()}",
                detail=detail,
                actor=change.by.display_name,
            )
        )
    overrides = (
        CheckOverride.objects.filter(visit__patient=patient)
        .select_related("recorded_by")
        .only(
            "visit", "recorded_at", "check_key", "check_message", "reason",
            *display_name_fields("recorded_by"),
        )
    )  # fmt: skip
    for override in overrides:
        definition = DEFAULT_CHECKS.get(override.check_key)
        label = definition.label if definition else override.check_key
        entries.append(
            TimelineEntry(
                at=override.recorded_at,
                kind="check_override",
                title=f"{labels[override.visit_id]}: check overridden ({label})",
                detail=f"{override.check_message} Reason: {override.reason}",
                actor=override.recorded_by.display_name,
            )
        )
    return entries
