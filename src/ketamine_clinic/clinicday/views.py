"""The clinic-day pages: the day's list, and one visit from check-in to the pump start.

Each page reads through an audited selector and each button calls one service. A form
that a service refuses is shown again, bound, with the service's message next to the
field it names; the service wrote nothing (each is one transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import AccessPolicy, access, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.clinicday import forms as day_forms
from ketamine_clinic.clinicday.policies import (
    CLINICAL,
    DAY_READERS,
    DESK_AND_CLINICAL,
    PRESCRIBING,
)
from ketamine_clinic.clinicday.selectors import day_visits, visit_for_page
from ketamine_clinic.infusion.services import infusion_start
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.patients.forms import apply_errors
from ketamine_clinic.visits import state_machine
from ketamine_clinic.visits.checks import run_checks
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit, VitalsReading
from ketamine_clinic.visits.services import (
    escort_confirm,
    fasting_record,
    iv_access_record,
    medication_review_record,
    pregnancy_test_record,
    record_check_override,
    visit_transition,
    vitals_record,
)

# Moves the pump makes (start, pause, resume, stop): they are pump events on the room
# page, never bare state changes, so the dose record and the state cannot disagree.
PUMP_STATES = frozenset({VisitState.INFUSING, VisitState.PAUSED, VisitState.RECOVERY})
PRE_INFUSION_STATES = frozenset(
    {VisitState.SCHEDULED, VisitState.CHECKED_IN, VisitState.CHECKS_DONE, VisitState.READY}
)
BUTTON_LABELS = {
    VisitState.CHECKED_IN: "Check in",
    VisitState.CHECKS_DONE: "Checks done",
    VisitState.READY: "Ready for the infusion",
    VisitState.DISCHARGED: "Discharge",
    VisitState.CANCELLED: "Cancel the visit",
    VisitState.DID_NOT_ATTEND: "Did not attend",
    VisitState.ABORTED: "Abort",
}
STATE_BADGES = {
    VisitState.SCHEDULED: "",
    VisitState.CHECKED_IN: "badge-info",
    VisitState.CHECKS_DONE: "badge-info",
    VisitState.READY: "badge-ok",
    VisitState.INFUSING: "badge-live",
    VisitState.PAUSED: "badge-warn",
    VisitState.RECOVERY: "badge-info",
    VisitState.DISCHARGED: "badge-ok",
    VisitState.CANCELLED: "badge-muted",
    VisitState.DID_NOT_ATTEND: "badge-muted",
    VisitState.ABORTED: "badge-danger",
}


def _visit_or_404(visit_id: int, user: User, page: str) -> Visit:
    try:
        return visit_for_page(visit_id=visit_id, by=user, page=page)
    except Visit.DoesNotExist:
        raise Http404("No such visit.") from None


@access(DAY_READERS)
def day(request: HttpRequest) -> HttpResponse:
    """The day's visits by room and time; an unreadable date falls back to today."""
    user = staff_user(request)
    form = day_forms.DayForm(request.GET)
    chosen = form.cleaned_data["date"] if form.is_valid() else None
    shown = chosen or timezone.localdate()
    rooms = day_visits(day=shown, by=user)
    return render(
        request,
        "clinicday/day.html",
        {
            "day": shown,
            "previous_day": shown - timedelta(days=1),
            "next_day": shown + timedelta(days=1),
            "rooms": rooms,
            "count": sum(len(room.visits) for room in rooms),
            "badges": STATE_BADGES,
            "form": form,
        },
    )


@dataclass(frozen=True)
class TransitionButton:
    state: VisitState
    label: str
    form: forms.Form
    reason_required: bool
    dose_required: bool


def _transition_buttons(
    visit: Visit, user: User, bound: forms.Form | None
) -> list[TransitionButton]:
    """The moves the table allows from here that this user's roles may make."""
    buttons = []
    for target in state_machine.allowed_next(visit.state):
        state = VisitState(str(target))
        rule = state_machine.TRANSITIONS[(state_machine.State(visit.state), target)]
        if state in PUMP_STATES or not rule.roles & set(user.roles):
            continue
        form = (
            bound
            if bound is not None and bound.prefix == state.value
            else day_forms.TransitionForm(prefix=state.value)
        )
        buttons.append(
            TransitionButton(
                state=state,
                label=BUTTON_LABELS.get(state, state.label),
                form=form,
                reason_required=rule.reason_required,
                dose_required=rule.dose_required,
            )
        )
    return buttons


def _visit_context(
    visit: Visit, user: User, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    bound = bound or {}
    order = current_order(visit)
    syringe = (
        SyringePreparation.objects.filter(order=order)
        .select_related("prepared_by", "verification__verified_by")
        .order_by("-prepared_at", "-id")
        .first()
        if order is not None
        else None
    )
    plan_end = None
    if order is not None:
        began = visit.infusion_started_at or timezone.now()
        plan_end = began + timedelta(minutes=order.duration_min)
    override_form = bound.get("override")
    order_form = bound.get("order") or day_forms.OrderForm(prefix="order")
    context: dict[str, Any] = {
        "visit": visit,
        "patient": visit.patient,
        "badge": STATE_BADGES.get(VisitState(visit.state), ""),
        "transitions": _transition_buttons(visit, user, bound.get("transition")),
        "pre_infusion": visit.state in PRE_INFUSION_STATES,
        "checks": run_checks(visit) if visit.state in PRE_INFUSION_STATES else [],
        "override_form": override_form,
        "override_key": override_form.data.get("override-check_key") if override_form else None,
        "can_record": bool(user.roles & {Role.NURSE, Role.PRESCRIBER}),
        "can_escort": bool(user.roles & {Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER}),
        "can_prescribe": Role.PRESCRIBER in user.roles,
        "vitals": VitalsReading.objects.filter(visit=visit).order_by("-taken_at", "-id")[:5],
        "order": order,
        "plan_end": plan_end,
        "order_form": order_form,
        "ask_override_reason": bool(
            order_form.is_bound
            and (
                order_form.errors.get("override_reason")
                or order_form.data.get("order-override_reason")
            )
        ),
        "syringe": syringe,
        "syringe_verified": syringe is not None and hasattr(syringe, "verification"),
        "can_start": visit.state == VisitState.READY,
        "in_room": visit.state in (VisitState.INFUSING, VisitState.PAUSED),
    }
    for key, form_class in _FORMS.items():
        context[f"{key}_form"] = bound.get(key) or form_class(prefix=key)
    return context


@access(DAY_READERS)
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Everything before the pump starts: state, checks, records, order and syringe."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, "visit")
    return render(request, "clinicday/visit.html", _visit_context(visit, user))


# ---- the actions: one URL each, so the role matrix lists who may press it -------------


Save = Callable[[Visit, User, dict[str, Any]], str]


@dataclass(frozen=True)
class Action:
    key: str
    form_class: type[forms.Form]
    save: Save  # calls one service; returns the message shown after it


def _transition(visit: Visit, user: User, data: dict[str, Any]) -> str:
    if data["to_state"] not in VisitState.values:
        raise ValidationError("Choose the next step with one of its buttons.")
    target = VisitState(data["to_state"])
    visit_transition(
        visit, target, by=user, reason=data["reason"] or "", dose_given_mg=data["dose_given_mg"]
    )
    return f"Visit moved to {target.label.lower()}."


def _override(visit: Visit, user: User, data: dict[str, Any]) -> str:
    record_check_override(visit, data["check_key"], by=user, reason=data["reason"])
    return "Override recorded."


def _vitals(visit: Visit, user: User, data: dict[str, Any]) -> str:
    vitals_record(visit=visit, by=user, **data)
    return "Vitals recorded."


def _fasting(visit: Visit, user: User, data: dict[str, Any]) -> str:
    fasting_record(visit=visit, by=user, **data)
    return "Fasting times recorded."


def _escort(visit: Visit, user: User, data: dict[str, Any]) -> str:
    escort_confirm(visit=visit, by=user, **data)
    return "Escort confirmed."


def _pregnancy(visit: Visit, user: User, data: dict[str, Any]) -> str:
    pregnancy_test_record(visit=visit, by=user, result=data["result"])
    return "Pregnancy test recorded."


def _medication_review(visit: Visit, user: User, data: dict[str, Any]) -> str:
    medication_review_record(visit=visit, by=user, **data)
    return "Medication review recorded."


def _iv_access(visit: Visit, user: User, data: dict[str, Any]) -> str:
    iv_access_record(visit=visit, by=user, **data)
    return "IV access recorded."


def _order(visit: Visit, user: User, data: dict[str, Any]) -> str:
    order_infusion(visit, by=user, **data)
    return "Infusion ordered."


def _prepare(visit: Visit, user: User, data: dict[str, Any]) -> str:
    order = current_order(visit)
    if order is None:
        raise ValidationError("Order the infusion before preparing a syringe.")
    syringe_prepare(order, by=user, vial_lots=data["vial_lots"])
    return "Syringe prepared: a second person verifies it."


def _verify(visit: Visit, user: User, data: dict[str, Any]) -> str:
    order = current_order(visit)
    syringe = (
        SyringePreparation.objects.filter(order=order).order_by("-prepared_at", "-id").first()
        if order is not None
        else None
    )
    if syringe is None:
        raise ValidationError("There is no syringe to verify.")
    syringe_verify(syringe, by=user)
    return "Syringe verified."


def _start(visit: Visit, user: User, data: dict[str, Any]) -> str:
    infusion_start(visit, by=user)
    return "Infusion started."


_FORMS: dict[str, type[forms.Form]] = {
    "vitals": day_forms.VitalsForm,
    "fasting": day_forms.FastingForm,
    "escort": day_forms.EscortForm,
    "pregnancy": day_forms.PregnancyTestForm,
    "medication_review": day_forms.MedicationReviewForm,
    "iv_access": day_forms.IvAccessForm,
    "prepare": day_forms.SyringePrepareForm,
    "verify": day_forms.EmptyForm,
    "start": day_forms.EmptyForm,
}

ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        Action("transition", day_forms.TransitionForm, _transition),
        Action("override", day_forms.OverrideForm, _override),
        Action("vitals", day_forms.VitalsForm, _vitals),
        Action("fasting", day_forms.FastingForm, _fasting),
        Action("escort", day_forms.EscortForm, _escort),
        Action("pregnancy", day_forms.PregnancyTestForm, _pregnancy),
        Action("medication_review", day_forms.MedicationReviewForm, _medication_review),
        Action("iv_access", day_forms.IvAccessForm, _iv_access),
        Action("order", day_forms.OrderForm, _order),
        Action("prepare", day_forms.SyringePrepareForm, _prepare),
        Action("verify", day_forms.EmptyForm, _verify),
        Action("start", day_forms.EmptyForm, _start),
    )
}


def _run_action(request: HttpRequest, visit_id: int, action: Action) -> HttpResponse:
    """Bind the form, call the service; on refusal show the page again with the errors."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, action.key)
    prefix = action.key
    if action.key == "transition":
        # Each move's form is prefixed by its target (one page holds several); the
        # target is also posted unprefixed so the page knows which button was pressed.
        target = request.POST.get("to_state", "")
        prefix = target if target in VisitState.values else "transition"
    form = action.form_class(request.POST, prefix=prefix)
    if form.is_valid():
        if action.key == "transition":
            form.cleaned_data["to_state"] = prefix
        try:
            done = action.save(visit, user, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except (PermissionDenied, state_machine.TransitionRefused) as refused:
            form.add_error(None, getattr(refused, "message", None) or str(refused))
        else:
            messages.success(request, done)
            if action.key == "start":
                return redirect("clinicday:room", visit_id=visit.pk)
            return redirect("clinicday:visit", visit_id=visit.pk)
    visit.refresh_from_db()
    context = _visit_context(visit, user, {action.key: form})
    return render(request, "clinicday/visit.html", context, status=422)


def _action_view(key: str, policy: AccessPolicy) -> Callable[[HttpRequest, int], HttpResponse]:
    action = ACTIONS[key]

    @access(policy)
    @require_POST
    def view(request: HttpRequest, visit_id: int) -> HttpResponse:
        return _run_action(request, visit_id, action)

    view.__name__ = f"visit_{key}"
    view.__doc__ = f"POST only: {key.replace('_', ' ')} for the visit, through its service."
    return view


ACTION_POLICIES: dict[str, AccessPolicy] = {
    "transition": DESK_AND_CLINICAL,
    "override": PRESCRIBING,
    "vitals": CLINICAL,
    "fasting": CLINICAL,
    "escort": DESK_AND_CLINICAL,
    "pregnancy": CLINICAL,
    "medication_review": CLINICAL,
    "iv_access": CLINICAL,
    "order": PRESCRIBING,
    "prepare": CLINICAL,
    "verify": CLINICAL,
    "start": CLINICAL,
}
ACTION_VIEWS = {key: _action_view(key, policy) for key, policy in ACTION_POLICIES.items()}


@access(DAY_READERS)
def room_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The infusion room: placeholder until the room page is built."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, "room")
    return render(request, "clinicday/room.html", {"visit": visit, "patient": visit.patient})
