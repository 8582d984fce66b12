"""Starting and stopping a patient's treatment course, from the chart's course section.

Both are small POST forms on the chart (no page of their own): each calls one service,
and the answer, done or refused with the service's own message, comes back on the
chart at its course section. The services audit the writes and check the role again.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.messages.utils import get_level_tags
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.courses.chart import course_by_id, protocol_label
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.policies import COURSE_DECIDING
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, PROTOCOLS
from ketamine_clinic.courses.services import course_start, course_stop
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import patient_by_id


class CourseStartForm(forms.Form):
    """The protocol of the new course (one exists today; the form is ready for more)."""

    protocol_key = forms.ChoiceField(
        label="Protocol",
        choices=[(key, protocol.label) for key, protocol in PROTOCOLS.items()],
        initial=DEFAULT_PROTOCOL_KEY,
    )


class CourseStopForm(forms.Form):
    """Why the course stops. Optional here on purpose: the service refuses an empty or
    too long reason with its own message, which the chart then shows."""

    reason = forms.CharField(label="Reason for stopping", required=False, strip=False)


# The redirect lands on the chart's course section, below the page's message list, so
# the section repeats the messages tagged with this (else a refusal is out of sight).
# The base template writes `message-{{ tags }}` as its class: the tag carries its own
# `message-<level>` too, so the message at the top keeps its colour.
COURSE_MESSAGE_TAG = "course"


def _say(request: HttpRequest, level: int, text: str) -> None:
    tag = get_level_tags()[level]
    messages.add_message(request, level, text, extra_tags=f"{COURSE_MESSAGE_TAG} message-{tag}")


def _to_course_section(patient_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("patients:chart", args=[patient_id]) + "#course")


def _refused(request: HttpRequest, error: ValidationError | forms.Form) -> None:
    """Say on the chart why nothing was done: the service's (or the form's) own words."""
    if isinstance(error, ValidationError):
        texts = error.messages
    else:
        texts = [str(text) for errors in error.errors.values() for text in errors]
    _say(request, messages.ERROR, " ".join(texts))


@access(COURSE_DECIDING)
@require_POST
def course_start_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST only: start a course for the patient under the chosen protocol."""
    user = staff_user(request)
    try:
        patient = patient_by_id(patient_id=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    form = CourseStartForm(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return _to_course_section(patient.pk)
    try:
        course = course_start(
            patient=patient, by=user, protocol_key=form.cleaned_data["protocol_key"]
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        _say(
            request,
            messages.SUCCESS,
            f"Course started: {protocol_label(course)}, "
            f"{course.infusions_planned} infusions. Plan its visits next.",
        )
    return _to_course_section(patient.pk)


@access(COURSE_DECIDING)
@require_POST
def course_stop_view(request: HttpRequest, course_id: int) -> HttpResponse:
    """POST only: stop the active course early, with the prescriber's reason."""
    user = staff_user(request)
    try:
        course = course_by_id(course_id=course_id)
    except Course.DoesNotExist:
        raise Http404("No such course") from None
    form = CourseStopForm(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return _to_course_section(course.patient_id)
    try:
        course_stop(course=course, by=user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _refused(request, error)
    else:
        _say(request, messages.SUCCESS, "Course stopped; the reason is kept with the course.")
    return _to_course_section(course.patient_id)
