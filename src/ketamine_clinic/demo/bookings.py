"""The rest of three demo courses booked ahead by the course planner (CP-SAT), as the
desk would from each plan page, so the week view shows the weeks ahead.

Idempotent: a course with nothing left to book is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.planning import propose_course_plan, unbooked_numbers
from ketamine_clinic.booking.services import course_plan_book
from ketamine_clinic.courses.selectors import active_course
from ketamine_clinic.patients.models import Patient

# Patients whose course started with today's demo visit (demo/day.py).
PLANNED_AHEAD = (("Emerson", "Dummyfield"), ("Quinn", "Mockford"), ("Casey", "Fakename"))


def seed_demo_bookings() -> int:
    """Book the remaining infusions of the ``PLANNED_AHEAD`` courses; return how many."""
    desk = User.objects.filter(username="frontdesk").first()
    if desk is None:
        return 0
    booked = 0
    tomorrow = timezone.localdate() + timedelta(days=1)
    for first, last in PLANNED_AHEAD:
        patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
        course = active_course(patient) if patient is not None else None
        if course is None or not unbooked_numbers(course):
            continue
        plan = propose_course_plan(course, earliest=tomorrow)
        if plan.problem is None:
            booked += len(course_plan_book(course=course, visits=plan.visits, by=desk))
    return booked
