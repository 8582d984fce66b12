"""The chart's treatment-course panel: the active course's progress and visits, and the
courses before it.

The patients app asks for this through ``patients.chart_panels.course_panel`` (a late
import, as for its other panels), so the patients app never imports courses. Not
audited here: the chart read that draws the panel writes the one READ entry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import NoReverseMatch, resolve, reverse

from ketamine_clinic.access.policy import declared_policy
from ketamine_clinic.accounts.models import User
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.policies import COURSE_DECIDING
from ketamine_clinic.courses.protocols import InvalidProtocol
from ketamine_clinic.courses.protocols_data import PROTOCOLS, protocol_for
from ketamine_clinic.courses.selectors import (
    CourseProgress,
    course_progress,
    patient_courses_rows,
)
from ketamine_clinic.courses.services import COURSE_REASON_MAX_LENGTH
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.selectors import chart_visits

# The booking app's planning page for a course ("Plan the visits").
COURSE_PLAN_URL_NAME = "booking:course_plan"


@dataclass(frozen=True, slots=True)
class PastCourse:
    """A course that has ended, as one line under the active one (``given``: infusions
    discharged, counted as ``course_progress`` counts "done")."""

    course: Course
    protocol_label: str
    given: int


@dataclass(frozen=True, slots=True)
class CoursePanel:
    """What the chart's course section shows, and which of its buttons this user gets."""

    progress: CourseProgress | None
    protocol_label: str
    past: list[PastCourse] = field(default_factory=list)
    # (key, label) of the protocols a new course may follow, for the start form.
    protocol_choices: list[tuple[str, str]] = field(default_factory=list)
    can_decide: bool = False
    plan_url: str | None = None
    # The stop form's limit, the service's own (it refuses a longer reason anyway).
    reason_max_length: int = COURSE_REASON_MAX_LENGTH


def protocol_label(course: Course) -> str:
    """The protocol's label as the course began it (its snapshot), else its key."""
    label = course.protocol.get("label") if isinstance(course.protocol, dict) else None
    if label:
        return str(label)
    try:
        return protocol_for(course.protocol_key).label
    except InvalidProtocol:
        return course.protocol_key


def _plan_url(course: Course, user: User) -> str | None:
    """The booking page that plans ``course``'s visits, if it exists and admits ``user``.

    Guarded because the booking app's planning page is built separately: until its URL
    name exists the chart simply offers no link, rather than failing to draw.
    """
    try:
        url = reverse(COURSE_PLAN_URL_NAME, args=[course.pk])
    except NoReverseMatch:
        return None
    policy = declared_policy(resolve(url).func)
    return url if policy is not None and policy.allows(user) else None


def _discharged_counts(patient: Patient, courses: list[Course]) -> Counter[int]:
    """Per course, its visits discharged (as ``course_progress`` counts "done": a discharged
    visit always holds its number), from the visits the chart's timeline reads anyway
    rather than a query per course."""
    ids = {course.pk for course in courses}
    return Counter(
        visit.course_id
        for visit in chart_visits(patient)
        if visit.state == VisitState.DISCHARGED and visit.course_id in ids
    )


def course_panel(patient: Patient, user: User, *, now: datetime | None = None) -> CoursePanel:
    """The patient's active course with its progress, and their ended courses, newest first."""
    courses = patient_courses_rows(patient)
    active = next((c for c in courses if c.status == CourseStatus.ACTIVE), None)
    ended = [c for c in courses if c.status in (CourseStatus.COMPLETED, CourseStatus.STOPPED)]
    given = _discharged_counts(patient, ended)
    past = [
        PastCourse(course=course, protocol_label=protocol_label(course), given=given[course.pk])
        for course in ended
    ]
    return CoursePanel(
        progress=course_progress(active, now=now) if active is not None else None,
        protocol_label=protocol_label(active) if active is not None else "",
        past=past,
        protocol_choices=[(key, protocol.label) for key, protocol in PROTOCOLS.items()],
        can_decide=COURSE_DECIDING.allows(user),
        plan_url=_plan_url(active, user) if active is not None else None,
    )


def course_by_id(*, course_id: int) -> Course:
    """The course, with its patient, for a start or stop whose service audits the write.

    Raises Course.DoesNotExist. Not audited: the service that acts on it writes the entry.
    """
    return Course.objects.select_related("patient").get(pk=course_id)
