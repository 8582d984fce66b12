"""A patient's alarm limits: the clinic's, this patient's adjustments, and the form a
prescriber uses to change one (with the reason, kept on the record)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.clinicday.policies import PRESCRIBING
from ketamine_clinic.monitoring.alarm_limits import (
    alarm_limit_adjust,
    limit_history,
    limit_rows,
)
from ketamine_clinic.monitoring.policies import MONITOR_READERS
from ketamine_clinic.patients.forms import apply_errors
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import patient_get


class LimitAdjustForm(forms.Form):
    rule = forms.ChoiceField(label="Limit")
    side = forms.ChoiceField(label="Side", choices=[("low", "Low"), ("high", "High")])
    limit = forms.DecimalField(label="New limit", max_digits=8, decimal_places=2)
    reason = forms.CharField(label="Why (kept on the record)", max_length=300)

    def __init__(self, *args: Any, rules: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = rules  # type: ignore[attr-defined]


def _page(
    request: HttpRequest, patient: Patient, form: LimitAdjustForm | None, status: int = 200
) -> HttpResponse:
    rows = limit_rows(patient.pk)
    choices = [(row.key, f"{row.parameter} ({row.priority} priority)") for row in rows]
    return render(
        request,
        "monitoring/alarm_limits.html",
        {
            "patient": patient,
            "rows": rows,
            "history": limit_history(patient.pk),
            "can_adjust": PRESCRIBING.allows(staff_user(request)),
            "form": form or LimitAdjustForm(rules=choices),
        },
        status=status,
    )


def _patient(request: HttpRequest, patient_id: int) -> Patient:
    try:
        return patient_get(patient_id=patient_id, by=staff_user(request))
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


@access(MONITOR_READERS)
def alarm_limits(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's alarm limits, and (prescribers) the form to adjust one."""
    return _page(request, _patient(request, patient_id), None)


@access(PRESCRIBING)
@require_POST
def alarm_limit_adjust_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST only: one adjustment, through the service; refused: the page with the reason."""
    patient = _patient(request, patient_id)
    choices = [(row.key, row.key) for row in limit_rows(patient.pk)]
    form = LimitAdjustForm(request.POST, rules=choices)
    if form.is_valid():
        code, priority = form.cleaned_data["rule"].split(":")
        try:
            alarm_limit_adjust(
                patient=patient,
                by=staff_user(request),
                parameter_code=int(code),
                priority=priority,
                side=form.cleaned_data["side"],
                limit=form.cleaned_data["limit"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Limit changed: it applies from now.")
            return redirect("monitoring:alarm_limits", patient_id=patient.pk)
    return _page(request, patient, form, status=422)
