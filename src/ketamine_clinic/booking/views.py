"""Booking pages: plan a course, move a visit, cancel one and re-place it, take a room out
of service. Each shows the engine's proposal first and books it on a second click; the
services re-check it then, so a stale proposal is refused with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking import forms as booking_forms
from ketamine_clinic.booking.frame import visit_times
from ketamine_clinic.booking.models import Room, VisitMove
from ketamine_clinic.booking.planning import (
    ProposedMove,
    ProposedVisit,
    course_times,
    propose_course_plan,
    propose_replan,
    unbooked_numbers,
)
from ketamine_clinic.booking.policies import BOOKERS, OUTAGE_RECORDERS
from ketamine_clinic.booking.services import (
    course_plan_book,
    room_outage_record,
    visit_cancel_and_replace,
    visit_move,
)
from ketamine_clinic.clinicday.selectors import visit_for_page
from ketamine_clinic.courses.models import Course
from ketamine_clinic.patients.forms import apply_errors
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition


def _audit_read(user: Any, object_type: str, object_id: int, patient_id: int, page: str) -> None:
    audit_record(
        action=AuditAction.READ, actor=user, object_type=object_type, object_id=object_id,
        patient_id=patient_id, detail={"page": page},
    )  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# ---- plan a course --------------------------------------------------------------------


def _plan_rows(visits: list[ProposedVisit]) -> list[dict[str, Any]]:
    return [{"number": v.number, "start": _iso(v.start), "room": v.room.pk} for v in visits]


def _plan_from_rows(course: Course, rows: list[dict[str, Any]]) -> list[ProposedVisit]:
    rooms = Room.objects.in_bulk([row["room"] for row in rows])
    times = course_times(course)
    try:
        return [
            ProposedVisit(int(row["number"]), datetime.fromisoformat(row["start"]),
                          rooms[row["room"]], times)
            for row in rows
        ]  # fmt: skip
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"proposal": booking_forms.PROPOSAL_STALE}) from None


@access(BOOKERS)
def course_plan(request: HttpRequest, course_id: int) -> HttpResponse:
    """Find times for every infusion of the course not yet booked; book them on confirm."""
    user = staff_user(request)
    course = Course.objects.select_related("patient").filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    _audit_read(user, "course", course.pk, course.patient_id, "course_plan")
    book_form = booking_forms.ProposalForm()
    if request.method == "POST":
        book_form = booking_forms.ProposalForm(request.POST)
        if book_form.is_valid():
            try:
                visits = _plan_from_rows(course, book_form.cleaned_data["proposal"])
                booked = course_plan_book(course=course, visits=visits, by=user)
            except ValidationError as error:
                apply_errors(book_form, error)
            except PermissionDenied as refused:
                book_form.add_error(None, str(refused))
            else:
                messages.success(
                    request, f"{len(booked)} visits booked for {course.patient.display_name}."
                )
                first = timezone.localtime(booked[0].scheduled_start).date()
                return redirect(f"/schedule/week/?start={first.isoformat()}")
    plan_form = booking_forms.PlanForm(
        request.GET or None, initial={"earliest": timezone.localdate()}
    )
    proposal = None
    if request.GET and plan_form.is_valid():
        preferred = plan_form.cleaned_data["preferred_time"]
        proposal = propose_course_plan(
            course,
            earliest=plan_form.cleaned_data["earliest"],
            preferred_minute_of_day=preferred.hour * 60 + preferred.minute if preferred else None,
        )
        if proposal.problem is None:
            book_form = booking_forms.ProposalForm(
                initial={"proposal": booking_forms.sign_proposal(_plan_rows(proposal.visits))}
            )
    return render(
        request,
        "booking/plan.html",
        {
            "course": course,
            "patient": course.patient,
            "numbers": unbooked_numbers(course),
            "plan_form": plan_form,
            "proposal": proposal,
            "book_form": book_form,
        },
        status=422 if book_form.errors else 200,
    )


# ---- move one visit -------------------------------------------------------------------


def _visit(visit_id: int, user: User, page: str) -> Visit:
    """The visit, its read audited as the clinic-day pages audit theirs; 404 if absent."""
    try:
        return visit_for_page(visit_id=visit_id, by=user, page=page)
    except Visit.DoesNotExist:
        raise Http404("No such visit.") from None


@access(BOOKERS)
def move(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Move a booked visit to another time or room, with a reason."""
    user = staff_user(request)
    visit = _visit(visit_id, user, "move")
    initial = {"start": timezone.localtime(visit.scheduled_start), "room": visit.room}
    form = booking_forms.MoveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            visit_move(
                visit=visit, start=form.cleaned_data["start"], room=form.cleaned_data["room"],
                reason=form.cleaned_data["reason"], by=user,
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "The visit was moved.")
            return redirect("clinicday:visit", visit_id=visit.pk)
    return render(
        request,
        "booking/move.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "form": form,
            "movable": visit.state == VisitState.SCHEDULED,
            "moves": VisitMove.objects.filter(visit=visit).select_related(
                "from_room", "to_room", "by"
            ),
            "length_min": visit_times(visit).total_minutes,
        },
        status=422 if form.errors else 200,
    )


# ---- cancel and re-place --------------------------------------------------------------


def _move_rows(moves: list[ProposedMove]) -> list[dict[str, Any]]:
    return [
        {"visit": m.visit.pk, "start": _iso(m.start), "room": m.room.pk, "forced": m.forced}
        for m in moves
    ]


def _moves_from_rows(rows: list[dict[str, Any]]) -> list[ProposedMove]:
    try:
        visits = Visit.objects.select_related("patient", "course", "room").in_bulk(
            [row["visit"] for row in rows]
        )
        rooms = Room.objects.in_bulk([row["room"] for row in rows])
        return [
            ProposedMove(visits[row["visit"]], datetime.fromisoformat(row["start"]),
                         rooms[row["room"]], bool(row["forced"]))
            for row in rows
        ]  # fmt: skip
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"proposal": booking_forms.PROPOSAL_STALE}) from None


@access(BOOKERS)
def cancel(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Cancel a booked visit; with a re-placement from the planner when one exists."""
    user = staff_user(request)
    visit = _visit(visit_id, user, "cancel")
    form = booking_forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if request.POST.get("replace"):
                rows = booking_forms.load_proposal(request.POST.get("proposal", ""))
                moves = _moves_from_rows(rows)
                applied = visit_cancel_and_replace(visit=visit, reason=reason, moves=moves, by=user)
                done = "Cancelled and booked again"
                target = applied.replacement or visit
            else:
                visit_transition(visit, VisitState.CANCELLED, by=user, reason=reason)
                done, target = "Cancelled", visit
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"{done}.")
            return redirect("clinicday:visit", visit_id=target.pk)
    proposal = None
    replacement: ProposedMove | None = None
    others: list[ProposedMove] = []
    signed = ""
    if visit.state == VisitState.SCHEDULED and visit.course is not None:
        proposal = propose_replan(cancelled=visit)
        if proposal.problem is None:
            signed = booking_forms.sign_proposal(_move_rows(proposal.moves))
            replacement = next((m for m in proposal.moves if m.visit.pk == visit.pk), None)
            others = [m for m in proposal.moves if m.visit.pk != visit.pk]
    return render(
        request,
        "booking/cancel.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "form": form,
            "cancellable": visit.state == VisitState.SCHEDULED,
            "proposal": proposal,
            "replacement": replacement,
            "others": others,
            "signed_proposal": signed,
        },
        status=422 if form.errors else 200,
    )


# ---- a room out of service --------------------------------------------------------------


@access(OUTAGE_RECORDERS)
def outage(request: HttpRequest, room_id: int) -> HttpResponse:
    """Take a room out of service; its visits in that time are re-placed where possible."""
    user = staff_user(request)
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise Http404("No such room.")
    form = booking_forms.OutageForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = room_outage_record(
                room=room, starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"], reason=form.cleaned_data["reason"], by=user,
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
    return render(
        request,
        "booking/outage.html",
        {
            "room": room,
            "form": form,
            "outage": result[0] if result else None,
            "moved": result[1].moved if result else [],
            "problem": result[2] if result else None,
        },
        status=422 if form.errors else 200,
    )
