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
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import AccessPolicy, access, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.booking.policies import BOOKERS
from ketamine_clinic.clinicday import forms as day_forms
from ketamine_clinic.clinicday.cp_plot import cp_plot
from ketamine_clinic.clinicday.policies import (
    CLINICAL,
    DAY_READERS,
    DESK_AND_CLINICAL,
    PRESCRIBING,
)
from ketamine_clinic.clinicday.selectors import (
    VisitSyringe,
    day_visits,
    draw_options,
    visit_for_page,
    visit_syringes,
)
from ketamine_clinic.courses.selectors import visit_titration_steps
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent, SessionNote
from ketamine_clinic.infusion.selectors import infusion_status
from ketamine_clinic.infusion.services import (
    adverse_event_record,
    infusion_abort,
    infusion_pause,
    infusion_resume,
    infusion_start,
    infusion_stop,
    infusion_titrate,
    session_note_record,
)
from ketamine_clinic.instruments.errors import InstrumentError
from ketamine_clinic.inventory.selectors import syringes_awaiting_account
from ketamine_clinic.inventory.services.use import ACCOUNTABLE_STATES, syringe_account
from ketamine_clinic.inventory.witness import WitnessCredentials
from ketamine_clinic.monitoring.pump_programs import PROGRAM_STATES, pump_program_send
from ketamine_clinic.monitoring.selectors import bedside_pump
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.orders.selectors import current_order, syringe_stock_ml
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.patients.forms import apply_errors
from ketamine_clinic.pharmacology.dosing_errors import InvalidDoseInput
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.recovery.models import EscortHandover
from ketamine_clinic.recovery.selectors import (
    ALDRETE_DISCHARGE_AT_LEAST,
    DISCHARGE_ADVICE,
    discharge_criteria,
    visit_summary,
)
from ketamine_clinic.recovery.services import (
    discharge_review_record,
    escort_handover_record,
    visit_discharge,
)
from ketamine_clinic.visits import state_machine
from ketamine_clinic.visits.checks import run_checks
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.instructions import send_visit_instructions, visit_instructions
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

ACCOUNT_NOT_THIS_VISIT = "That syringe was not drawn for this visit: reload the page."

# Moves the pump makes (start, pause, resume, stop): they are pump events on the room
# page, never bare state changes, so the dose record and the state cannot disagree.
# Discharge has its own button beside the criteria it needs.
OWN_BUTTON_STATES = frozenset(
    {VisitState.INFUSING, VisitState.PAUSED, VisitState.RECOVERY, VisitState.DISCHARGED}
)
ON_THE_PUMP = frozenset({VisitState.INFUSING, VisitState.PAUSED})
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
        if state in OWN_BUTTON_STATES or not rule.roles & set(user.roles):
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
                # On the pump, the dose given comes from the pump's record.
                dose_required=rule.dose_required and visit.state not in ON_THE_PUMP,
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
    # Replacing an order starts from the one in force.
    order_form = bound.get("order") or day_forms.OrderForm(
        prefix="order",
        initial=(
            {
                "dose_mg_per_kg": order.dose_mg_per_kg.normalize(),
                "duration_min": order.duration_min,
                "concentration_mg_per_ml": order.concentration_mg_per_ml.normalize(),
            }
            if order is not None
            else None
        ),
    )
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
        "can_book": BOOKERS.allows(user) and visit.state == VisitState.SCHEDULED,
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
        "can_start": visit.state == VisitState.READY
        and syringe is not None
        and hasattr(syringe, "verification"),
        # Before the checks, the nurse's records come first; after, the order does.
        "records_first": visit.state in (VisitState.SCHEDULED, VisitState.CHECKED_IN),
        "in_room": visit.state in (VisitState.INFUSING, VisitState.PAUSED),
        "in_recovery": visit.state == VisitState.RECOVERY,
        "criteria": discharge_criteria(visit) if visit.state == VisitState.RECOVERY else [],
        "aldrete_intro": f"Discharge needs {ALDRETE_DISCHARGE_AT_LEAST} or more.",
        "has_sheet": visit.recovery_started_at is not None,
    }
    for key, form_class in _FORMS.items():
        form_kwargs = ACTIONS[key].form_kwargs
        kwargs = form_kwargs(visit) if form_kwargs is not None else {}
        context[f"{key}_form"] = bound.get(key) or form_class(prefix=key, **kwargs)
    context.update(_stock_context(visit, order, bound.get("account")))
    return context


@dataclass(frozen=True)
class SyringeRow:
    syringe: VisitSyringe
    form: forms.Form | None  # the account form, while the syringe awaits its account


def _stock_context(
    visit: Visit, order: InfusionOrder | None, bound: forms.Form | None
) -> dict[str, Any]:
    """The controlled-substance side of the visit: the draws, and each syringe's account."""
    posted = bound.data.get("account-preparation") if bound is not None else None
    rows = []
    for syringe in visit_syringes(visit):
        form: forms.Form | None = None
        if syringe.figures is not None:
            pk = syringe.preparation.pk
            form = (
                bound
                if bound is not None and posted == str(pk)
                else day_forms.SyringeAccountForm(
                    prefix="account", initial={"preparation": pk}, auto_id=f"id_account{pk}_%s"
                )
            )
        rows.append(SyringeRow(syringe=syringe, form=form))
    shown = any(row.form is bound for row in rows)
    return {
        # A refused post for a syringe not listed here (another visit's, or one already
        # accounted for in another tab) still says why, above the page.
        "account_stray": bound if bound is not None and not shown else None,
        "syringe_rows": rows,
        "awaiting_account": [row for row in rows if row.form is not None],
        "stock_needed_ml": syringe_stock_ml(order) if order is not None else None,
    }


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
    page: str = "visit"  # the page it is pressed on, shown again after it
    # What the form needs from the visit to validate (the titration steps of its protocol).
    form_kwargs: Callable[[Visit], dict[str, Any]] | None = None


def _transition(visit: Visit, user: User, data: dict[str, Any]) -> str:
    if data["to_state"] not in VisitState.values:
        raise ValidationError("Choose the next step with one of its buttons.")
    target = VisitState(data["to_state"])
    if target == VisitState.ABORTED and visit.state in ON_THE_PUMP:
        infusion_abort(visit, by=user, reason=data["reason"] or "")
        return "Infusion aborted: the pump is stopped and the dose given recorded."
    if target in OWN_BUTTON_STATES:
        # The pump's moves and discharge have their own services (the pump record, the
        # course's completion); a hand-made post here must not go around them.
        raise ValidationError(f"Use the {target.label.lower()} button on its own page.")
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


def _prepare_form_kwargs(visit: Visit) -> dict[str, Any]:
    order = current_order(visit)
    if visit.state not in PRE_INFUSION_STATES:
        return {}  # the form is not shown once the pump has started: no stock to read
    return {
        "options": draw_options(),
        "needed_ml": syringe_stock_ml(order) if order is not None else None,
        "strength_mg_per_ml": order.vial_strength_mg_per_ml if order is not None else None,
    }


def _on_rows(error: ValidationError, data: dict[str, Any]) -> ValidationError:
    """The draw's refusal beside the row of the container it names (else above the rows)."""
    if not hasattr(error, "error_dict") or "draws" not in error.error_dict:
        return error
    rows = {
        data.get(f"container_{row}"): f"container_{row}"
        for row in range(1, day_forms.DRAW_ROWS + 1)
    }
    placed: dict[str, list[str]] = {}
    for field, errors in error.error_dict.items():
        for item in errors:
            params = item.params if isinstance(item.params, dict) else {}
            target = (
                rows.get(params.get("container_id"), NON_FIELD_ERRORS)
                if field == "draws"
                else field
            )
            placed.setdefault(target, []).extend(item.messages)
    return ValidationError(placed)


def _prepare(visit: Visit, user: User, data: dict[str, Any]) -> str:
    order = current_order(visit)
    if order is None:
        raise ValidationError("Order the infusion before preparing a syringe.")
    try:
        syringe = syringe_prepare(order, by=user, draws=data["draws"])
    except ValidationError as error:
        raise _on_rows(error, data) from None
    return f"Syringe prepared from lot {syringe.vial_lots}: a second person verifies it."


def _account(visit: Visit, user: User, data: dict[str, Any]) -> str:
    preparation = SyringePreparation.objects.filter(
        pk=data["preparation"], order__visit=visit
    ).first()
    if preparation is None:
        raise ValidationError(ACCOUNT_NOT_THIS_VISIT)
    typed = data["witness"] or data["witness_password"] or data["witness_code"]
    witness = (
        WitnessCredentials(
            username=data["witness"],
            password=data["witness_password"],
            code=data["witness_code"],
        )
        if typed
        else None
    )
    account = syringe_account(preparation, by=user, witness=witness)
    done = f"Syringe accounted for: {account.given_mg} mg given, {account.wasted_mg} mg wasted"
    if account.witness is not None:
        done += f", witnessed by {account.witness.display_name}"
    return done + "."


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


def _send_to_pump(visit: Visit, user: User, data: dict[str, Any]) -> str:
    sent = pump_program_send(visit=visit, by=user)
    if sent.reply_code == "AA":
        return (
            f"The pump took the program ({sent.volume_to_infuse_ml} mL at "
            f"{sent.rate_ml_per_h} mL/h): confirm it at the pump to start."
        )
    if sent.reply_code:
        raise ValidationError(f"The pump refused the program: {sent.reply_text}")
    raise ValidationError(f"The pump did not answer: {sent.reply_text}. Nothing was started.")


def _titrate_form_kwargs(visit: Visit) -> dict[str, Any]:
    return {"steps": visit_titration_steps(visit)}


def _step(data: dict[str, Any]) -> tuple[TitrationStep, str]:
    """The step the form accepted (one of the visit's protocol steps), or "set to"."""
    if data["step"] == day_forms.SET_STEP:
        return TitrationStep.to_dose_rate(data["set_to"]), f"to {data['set_to']:g} mg/kg/h"
    step: TitrationStep = data["titration_step"]
    return step, day_forms.step_label(step)


def _titrate(visit: Visit, user: User, data: dict[str, Any]) -> str:
    try:
        step, text = _step(data)
    except InvalidDoseInput as invalid:
        raise ValidationError({"set_to": invalid.reason}) from None
    event = infusion_titrate(
        visit, by=user, step=step, step_text=text, override_reason=data["override_reason"]
    )
    return f"Rate changed ({text}): now {event.rate_ml_per_h} mL/h."


def _pause(visit: Visit, user: User, data: dict[str, Any]) -> str:
    infusion_pause(visit, by=user, reason=data["reason"])
    return "Pump paused."


def _resume(visit: Visit, user: User, data: dict[str, Any]) -> str:
    infusion_resume(visit, by=user)
    return "Pump running again."


def _stop(visit: Visit, user: User, data: dict[str, Any]) -> str:
    infusion_stop(visit, by=user)
    return "Infusion stopped: recovery has started."


def _adverse_event(visit: Visit, user: User, data: dict[str, Any]) -> str:
    adverse_event_record(visit, by=user, **data)
    return "Adverse event recorded."


def _note(visit: Visit, user: User, data: dict[str, Any]) -> str:
    session_note_record(visit, by=user, **data)
    return "Note recorded."


def _questionnaire(visit: Visit, user: User, key: str, answers: list[int | None]) -> None:
    try:
        record_response(visit.patient, key, answers, actor=user, channel="staff")
    except InstrumentError as refused:
        raise ValidationError(str(refused)) from None


def _dissociation(visit: Visit, user: User, data: dict[str, Any]) -> str:
    _questionnaire(visit, user, "dissociation", [data["rating"]])
    return f"Dissociation rating {data['rating']} recorded."


def _aldrete(visit: Visit, user: User, data: dict[str, Any]) -> str:
    answers = [data[item] for item in day_forms.ALDRETE_ITEMS]
    _questionnaire(visit, user, "aldrete", answers)
    return f"Aldrete score {sum(answers)} recorded."


def _discharge_review(visit: Visit, user: User, data: dict[str, Any]) -> str:
    discharge_review_record(visit, by=user, **data)
    return "Discharge review recorded."


def _handover(visit: Visit, user: User, data: dict[str, Any]) -> str:
    escort_handover_record(visit, by=user, name=data["escort_name"], phone=data["escort_phone"])
    return "Escort handover recorded."


def _send_instructions(visit: Visit, user: User, data: dict[str, Any]) -> str:
    send_visit_instructions(visit, by=user)
    return f"Instructions sent to {visit.patient.email}."


def _discharge(visit: Visit, user: User, data: dict[str, Any]) -> str:
    visit_discharge(visit, by=user)
    return "Patient discharged."


_FORMS: dict[str, type[forms.Form]] = {
    "vitals": day_forms.VitalsForm,
    "fasting": day_forms.FastingForm,
    "escort": day_forms.EscortForm,
    "pregnancy": day_forms.PregnancyTestForm,
    "medication_review": day_forms.MedicationReviewForm,
    "iv_access": day_forms.IvAccessForm,
    "prepare": day_forms.SyringePrepareForm,
    "account": day_forms.SyringeAccountForm,
    "verify": day_forms.EmptyForm,
    "start": day_forms.EmptyForm,
    "aldrete": day_forms.AldreteForm,
    "discharge_review": day_forms.DischargeReviewForm,
    "handover": day_forms.HandoverForm,
    "discharge": day_forms.EmptyForm,
}
_ROOM_FORMS: dict[str, type[forms.Form]] = {
    "titrate": day_forms.TitrateForm,
    "pause": day_forms.PauseForm,
    "resume": day_forms.EmptyForm,
    "stop": day_forms.EmptyForm,
    "room_vitals": day_forms.VitalsForm,
    "send_to_pump": day_forms.EmptyForm,
    "adverse_event": day_forms.AdverseEventForm,
    "note": day_forms.NoteForm,
    "dissociation": day_forms.DissociationForm,
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
        Action("prepare", day_forms.SyringePrepareForm, _prepare, "visit", _prepare_form_kwargs),
        Action("account", day_forms.SyringeAccountForm, _account),
        Action("verify", day_forms.EmptyForm, _verify),
        Action("start", day_forms.EmptyForm, _start),
        Action("titrate", day_forms.TitrateForm, _titrate, "room", _titrate_form_kwargs),
        Action("pause", day_forms.PauseForm, _pause, "room"),
        Action("resume", day_forms.EmptyForm, _resume, "room"),
        Action("stop", day_forms.EmptyForm, _stop, "room"),
        Action("room_vitals", day_forms.VitalsForm, _vitals, "room"),
        Action("send_to_pump", day_forms.EmptyForm, _send_to_pump, "room"),
        Action("adverse_event", day_forms.AdverseEventForm, _adverse_event, "room"),
        Action("note", day_forms.NoteForm, _note, "room"),
        Action("dissociation", day_forms.DissociationForm, _dissociation, "room"),
        Action("aldrete", day_forms.AldreteForm, _aldrete),
        Action("discharge_review", day_forms.DischargeReviewForm, _discharge_review),
        Action("handover", day_forms.HandoverForm, _handover),
        Action("discharge", day_forms.EmptyForm, _discharge),
        Action("send_instructions", day_forms.EmptyForm, _send_instructions),
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
    form_kwargs = action.form_kwargs(visit) if action.form_kwargs is not None else {}
    form = action.form_class(request.POST, prefix=prefix, **form_kwargs)
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
            if action.key == "start" or action.page == "room":
                return redirect("clinicday:room", visit_id=visit.pk)
            return redirect("clinicday:visit", visit_id=visit.pk)
    visit.refresh_from_db()
    if action.page == "room":
        context = _room_context(visit, user, {action.key: form})
        return render(request, "clinicday/room.html", context, status=422)
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
    "account": CLINICAL,
    "verify": CLINICAL,
    "start": CLINICAL,
    "titrate": CLINICAL,
    "pause": CLINICAL,
    "resume": CLINICAL,
    "stop": CLINICAL,
    "room_vitals": CLINICAL,
    "send_to_pump": CLINICAL,
    "adverse_event": CLINICAL,
    "note": CLINICAL,
    "dissociation": CLINICAL,
    "aldrete": CLINICAL,
    "discharge_review": CLINICAL,
    "handover": CLINICAL,
    "discharge": CLINICAL,
    "send_instructions": DESK_AND_CLINICAL,
}
ACTION_VIEWS = {key: _action_view(key, policy) for key, policy in ACTION_POLICIES.items()}


def _room_context(
    visit: Visit, user: User, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    bound = bound or {}
    now = timezone.now()
    status = infusion_status(visit, now=now)
    titration_steps = visit_titration_steps(visit)
    plot = None
    elapsed_min = None
    dose_rate = None
    if status is not None:
        if status.pump.started_at is not None:
            elapsed_min = (now - status.pump.started_at).total_seconds() / 60.0
        plot = cp_plot(
            status.curve_t_min,
            status.curve_cp_ng_per_ml,
            now_min=elapsed_min,
            cp_now=status.cp_now_ng_per_ml,
        )
        concentration = float(status.order.concentration_mg_per_ml)
        dose_rate = status.pump.rate_ml_per_h * concentration / float(status.order.weight_kg)
    context: dict[str, Any] = {
        "visit": visit,
        "patient": visit.patient,
        "status": status,
        "plot": plot,
        "elapsed_min": elapsed_min,
        "dose_rate": dose_rate,
        "running": visit.state == VisitState.INFUSING,
        "paused": visit.state == VisitState.PAUSED,
        # An ended visit is a record to read: its services refuse new entries anyway.
        "can_record": bool(user.roles & {Role.NURSE, Role.PRESCRIBER})
        and visit.state not in state_machine.TERMINAL_STATES,
        "vitals": VitalsReading.objects.filter(visit=visit).order_by("-taken_at", "-id")[:6],
        "pump_events": PumpEvent.objects.filter(visit=visit).select_related("by").order_by("at"),
        "adverse_events": AdverseEvent.objects.filter(visit=visit).order_by("at"),
        "notes": SessionNote.objects.filter(visit=visit).select_related("by").order_by("at"),
        "bedside_pump": bedside_pump(visit),
        "pump_sendable": visit.state in PROGRAM_STATES["NW"],
        "titrate_steps": day_forms.step_buttons(titration_steps),
        "titrate_bound": bound.get("titrate"),
        "awaiting_account": syringes_awaiting_account(visit_id=visit.pk)
        if visit.state in ACCOUNTABLE_STATES
        else [],
    }
    for key, form_class in _ROOM_FORMS.items():
        form_kwargs = ACTIONS[key].form_kwargs
        kwargs = form_kwargs(visit) if form_kwargs is not None else {}
        context[f"{key}_form"] = bound.get(key) or form_class(prefix=key, **kwargs)
    return context


@access(DAY_READERS)
def room_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The infusion: program, time, dose, rate, the predicted Cp, and the room's records."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, "room")
    return render(request, "clinicday/room.html", _room_context(visit, user))


@access(DAY_READERS)
def instructions_sheet(request: HttpRequest, visit_id: int) -> HttpResponse:
    """Before the day: the printable instructions, times computed from the appointment."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, "instructions")
    return render(
        request,
        "clinicday/instructions.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "instructions": visit_instructions(visit),
            "can_send": DESK_AND_CLINICAL.allows(user),
        },
    )


@access(DAY_READERS)
def discharge_sheet(request: HttpRequest, visit_id: int) -> HttpResponse:
    """The printable sheet the patient and escort take home, with the visit's summary."""
    user = staff_user(request)
    visit = _visit_or_404(visit_id, user, "discharge_sheet")
    return render(
        request,
        "clinicday/discharge_sheet.html",
        {
            "visit": visit,
            "patient": visit.patient,
            "summary": visit_summary(visit),
            "advice": DISCHARGE_ADVICE,
            "order": current_order(visit),
            "handover": EscortHandover.objects.filter(visit=visit).order_by("-at", "-id").first(),
            "clinic_name": settings.KC_CLINIC_NAME,
            "clinic_phone": settings.KC_CLINIC_PHONE,
        },
    )
