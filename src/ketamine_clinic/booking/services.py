"""Booking writes: a planned course booked, a visit moved, a visit cancelled and re-placed,
a room taken out of service with its visits re-placed. Each audited, each under one lock.

Every write re-checks its placements (``planning.placement_problems``) inside the
transaction that holds the booking lock (the scheduling-settings row, locked FOR UPDATE),
so two desks booking the last free slot at once cannot both succeed, and a proposal that
went stale between the page and the click is refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.frame import visit_end, visit_times
from ketamine_clinic.booking.models import Room, RoomOutage, SchedulingSettings, VisitMove
from ketamine_clinic.booking.planning import (
    Placement,
    ProposedMove,
    ProposedVisit,
    placement_problems,
    propose_replan,
)
from ketamine_clinic.courses.models import Course
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_schedule, visit_transition

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

# The desk books and moves; nurses and prescribers do too (they often book the next visit
# at discharge). Rooms out of service are the clinic lead's call (and a nurse's who finds
# a broken pump).
BOOKING_ROLES: Final = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER})
OUTAGE_ROLES: Final = frozenset({Role.CLINIC_LEAD, Role.NURSE})

NOT_PERMITTED: Final = "Your roles do not allow this: it needs a {roles}."
REASON_REQUIRED: Final = "Say why (it is kept with the record)."
REASON_MAX_LENGTH: Final = 500
REASON_TOO_LONG: Final = f"Keep the reason under {REASON_MAX_LENGTH} characters."
ONLY_SCHEDULED: Final = "Only a visit not yet started can be moved; this one is {state}."
NOT_AWARE: Final = "Give the time with its time zone."
OUTAGE_ORDER: Final = "The end must be after the start."
OUTAGE_PAST: Final = "The outage must end in the future."
NOTHING_CHANGED: Final = "The visit is already there."


def _require(by: User, allowed: frozenset[Role]) -> None:
    if not (by.is_active and by.roles & allowed):
        needed = " or ".join(sorted(role.label.lower() for role in allowed))
        raise PermissionDenied(NOT_PERMITTED.format(roles=needed))


def _clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": REASON_TOO_LONG})
    return text


def _lock_the_book() -> None:
    """Serialise every booking write: one row, locked until the transaction ends."""
    SchedulingSettings.current()
    SchedulingSettings.objects.select_for_update().get(pk=1)


def _refuse(problems: dict[int, list[str]], labels: list[str], field: str) -> None:
    if problems:
        text = " ".join(f"{labels[i]}: {' '.join(texts)}" for i, texts in sorted(problems.items()))
        raise ValidationError({field: text})


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment, timezone.get_default_timezone()):%a %d %b %H:%M}"


# ---- a course planned ahead ---------------------------------------------------------


@transaction.atomic
def course_plan_book(*, course: Course, visits: list[ProposedVisit], by: User) -> list[Visit]:
    """Book the proposed visits of ``course`` (each re-checked under the lock)."""
    _require(by, BOOKING_ROLES)
    if not visits:
        raise ValidationError({"visits": "There is nothing to book."})
    _lock_the_book()
    placements = [
        Placement(course.patient_id, v.times, v.start, v.room, course, v.number) for v in visits
    ]
    labels = [f"Infusion {v.number}" for v in visits]
    _refuse(placement_problems(placements), labels, "visits")
    booked = [
        visit_schedule(
            patient=course.patient,
            scheduled_start=v.start,
            course=course,
            room=v.room,
            infusion_min=v.times.infusion_minutes,
            number=v.number,
            by=by,
        )
        for v in visits
    ]
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="course_plan",
        object_id=course.pk,
        patient_id=course.patient_id,
        detail={"visit_ids": [v.pk for v in booked], "numbers": [v.number for v in visits]},
    )
    return booked


# ---- moving one visit ---------------------------------------------------------------


def _apply_move(visit: Visit, *, start: datetime, room: Room, reason: str, by: User) -> Visit:
    """Record the move and put the visit at its new place (the checks are the caller's)."""
    now = timezone.now()
    VisitMove.objects.create(
        visit=visit,
        from_start=visit.scheduled_start,
        from_room=visit.room,
        to_start=start,
        to_room=room,
        reason=reason,
        at=now,
        by=by,
    )
    before = {
        "start": visit.scheduled_start.isoformat(),
        "room": visit.room.name if visit.room else None,
    }
    visit.scheduled_start = start
    visit.room = room
    visit.save(update_fields=["scheduled_start", "room"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="visit",
        object_id=visit.pk,
        patient_id=visit.patient_id,
        reason=reason,
        detail={"moved_from": before, "moved_to": {"start": start.isoformat(), "room": room.name}},
    )
    return visit


@transaction.atomic
def visit_move(*, visit: Visit, start: datetime, room: Room, reason: str, by: User) -> Visit:
    """Move a booked visit to ``start`` in ``room``, if every rule still holds there."""
    _require(by, BOOKING_ROLES)
    reason = _clean_reason(reason)
    if timezone.is_naive(start):
        raise ValidationError({"start": NOT_AWARE})
    _lock_the_book()
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("course", "room")
        .get(pk=visit.pk)
    )
    if visit.state != VisitState.SCHEDULED:
        raise ValidationError(ONLY_SCHEDULED.format(state=visit.get_state_display().lower()))
    if visit.scheduled_start == start and visit.room_id == room.pk:
        raise ValidationError({"start": NOTHING_CHANGED})
    placement = Placement(
        visit.patient_id, visit_times(visit), start, room, visit.course,
        visit.number_in_course, visit.pk,
    )  # fmt: skip
    problems = placement_problems([placement]).get(0, [])
    if problems:
        raise ValidationError({"start": " ".join(problems)})
    return _apply_move(visit, start=start, room=room, reason=reason, by=by)


# ---- applying a replan ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplanApplied:
    """What a replan changed: visits moved, and the re-placed visit of a cancellation."""

    moved: list[Visit]
    replacement: Visit | None
    cancelled: Visit | None


def _apply_replan(
    moves: list[ProposedMove], *, cancelled: Visit | None, reason: str, by: User
) -> ReplanApplied:
    """Check the moves together under the lock, then apply them.

    The cancelled visit's move becomes a new visit taking its number (the cancelled one
    stays, cancelled, with the reason); every other move is a ``VisitMove``.
    """
    placements = [
        Placement(m.visit.patient_id, visit_times(m.visit), m.start, m.room, m.visit.course,
                  m.visit.number_in_course, m.visit.pk)
        for m in moves
    ]  # fmt: skip
    labels = [f"{m.visit.patient.display_name}, {m.visit.label}" for m in moves]
    fresh = {
        v.pk: v
        for v in Visit.objects.select_for_update().filter(pk__in=[m.visit.pk for m in moves])
    }
    for m in moves:
        if fresh[m.visit.pk].state != VisitState.SCHEDULED or (
            fresh[m.visit.pk].scheduled_start != m.visit.scheduled_start
        ):
            raise ValidationError(
                {"moves": "The schedule changed since this was proposed: look again."}
            )
    _refuse(placement_problems(placements), labels, "moves")
    replacement: Visit | None = None
    moved: list[Visit] = []
    for m in moves:
        if cancelled is not None and m.visit.pk == cancelled.pk:
            continue
        moved.append(_apply_move(m.visit, start=m.start, room=m.room, reason=reason, by=by))
    if cancelled is not None:
        visit_transition(cancelled, VisitState.CANCELLED, by=by, reason=reason)
        new_place = next((m for m in moves if m.visit.pk == cancelled.pk), None)
        if new_place is not None:
            replacement = visit_schedule(
                patient=cancelled.patient,
                scheduled_start=new_place.start,
                course=cancelled.course,
                room=new_place.room,
                infusion_min=cancelled.planned_infusion_min,
                number=cancelled.number_in_course,
                by=by,
            )
    return ReplanApplied(moved, replacement, cancelled)


@transaction.atomic
def visit_cancel_and_replace(
    *, visit: Visit, reason: str, moves: list[ProposedMove], by: User
) -> ReplanApplied:
    """Cancel ``visit`` and book it again where the replan put it, with the replan's moves.

    ``moves`` is what the page showed (``planning.propose_replan(cancelled=visit)``); it
    is checked again here and refused whole if anything changed.
    """
    _require(by, BOOKING_ROLES)
    reason = _clean_reason(reason)
    _lock_the_book()
    if not any(m.visit.pk == visit.pk for m in moves):
        raise ValidationError({"moves": "The proposal does not re-place this visit."})
    applied = _apply_replan(moves, cancelled=visit, reason=reason, by=by)
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="replan",
        object_id=visit.pk,
        patient_id=visit.patient_id,
        reason=reason,
        detail={
            "event": "cancelled",
            "replacement": applied.replacement.pk if applied.replacement else None,
            "moved_visit_ids": [v.pk for v in applied.moved],
        },
    )
    return applied


# ---- a room out of service ------------------------------------------------------------


@transaction.atomic
def room_outage_record(
    *, room: Room, starts_at: datetime, ends_at: datetime, reason: str, by: User
) -> tuple[RoomOutage, ReplanApplied, str | None]:
    """Take ``room`` out of service and re-place the visits it held then.

    The outage is recorded whatever the planner finds (the room is out of service either
    way); the visits are moved when a re-placement exists, and otherwise stay and are
    named in the returned problem for the desk to ring their patients.
    """
    _require(by, OUTAGE_ROLES)
    reason = _clean_reason(reason)
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            raise ValidationError({field: NOT_AWARE})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": OUTAGE_ORDER})
    if ends_at <= timezone.now():
        raise ValidationError({"ends_at": OUTAGE_PAST})
    _lock_the_book()
    outage = RoomOutage.objects.create(
        room=room, starts_at=starts_at, ends_at=ends_at, reason=reason,
        recorded_at=timezone.now(), recorded_by=by,
    )  # fmt: skip
    caught = list(
        Visit.objects.filter(
            room=room,
            state=VisitState.SCHEDULED,
            scheduled_start__lt=ends_at,
        ).select_related("patient", "course")
    )
    caught = [v for v in caught if visit_end(v) > starts_at]
    applied = ReplanApplied([], None, None)
    problem: str | None = None
    if caught:
        proposal = propose_replan(
            from_date=timezone.localtime(max(starts_at, timezone.now())).date()
        )
        if proposal.problem is not None:
            problem = proposal.problem
        else:
            try:
                with transaction.atomic():
                    applied = _apply_replan(
                        proposal.moves,
                        cancelled=None,
                        reason=f"{room.name} out of service: {reason}",
                        by=by,
                    )
            except ValidationError as error:
                problem = " ".join(error.messages)
        if problem is not None:
            names = ", ".join(
                f"{v.patient.display_name} ({_local(v.scheduled_start)})" for v in caught
            )
            problem = (
                f"No re-placement was booked ({problem}). Visits still in {room.name}: {names}."
            )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="room_outage",
        object_id=outage.pk,
        reason=reason,
        detail={
            "room": room.name,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "moved_visit_ids": [v.pk for v in applied.moved],
            "unplaced_visit_ids": [v.pk for v in caught] if problem else [],
        },
    )
    return outage, applied, problem
