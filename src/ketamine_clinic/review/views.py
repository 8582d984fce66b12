"""The review queue page and its two actions (assess a risk flag, decide a screening)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.services import record_risk_assessment
from ketamine_clinic.review.forms import RiskAssessmentForm, ScreeningDecisionForm
from ketamine_clinic.review.policies import QUEUE_ACTORS, QUEUE_READERS
from ketamine_clinic.review.selectors import review_queue
from ketamine_clinic.screening.models import ScreeningAssessment
from ketamine_clinic.screening.services import record_decision


def _errors_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


@access(QUEUE_READERS)
def queue(request: HttpRequest) -> HttpResponse:
    """Everything waiting for a prescriber, oldest first, each with its action."""
    user = staff_user(request)
    items = review_queue(by=user)
    can_act = Role.PRESCRIBER in user.roles
    return render(
        request,
        "review/queue.html",
        {
            "items": items,
            "can_act": can_act,
            "assessment_form": RiskAssessmentForm(),
            "decision_form": ScreeningDecisionForm(),
        },
    )


@access(QUEUE_ACTORS)
@require_POST
def assess_risk_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    user = staff_user(request)
    flag = get_object_or_404(RiskFlag.objects.select_related("patient"), pk=flag_id)
    form = RiskAssessmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The assessment needs a note.")
        return redirect("review:queue")
    try:
        record_risk_assessment(flag, actor=user, note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as refused:
        text = _errors_text(refused) if isinstance(refused, ValidationError) else str(refused)
        messages.error(request, f"Not recorded: {text}")
    else:
        messages.success(request, f"Assessment recorded for {flag.patient.display_name}.")
    return redirect("review:queue")


@access(QUEUE_ACTORS)
@require_POST
def decide_screening(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = staff_user(request)
    assessment = get_object_or_404(
        ScreeningAssessment.objects.select_related("patient"), pk=assessment_id
    )
    form = ScreeningDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The decision needs a choice and a note.")
        return redirect("review:queue")
    try:
        record_decision(
            assessment,
            actor=user,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
        )
    except (ValidationError, PermissionDenied) as refused:
        text = _errors_text(refused) if isinstance(refused, ValidationError) else str(refused)
        messages.error(request, f"Not recorded: {text}")
    else:
        messages.success(request, f"Decision recorded for {assessment.patient.display_name}.")
    return redirect("review:queue")
