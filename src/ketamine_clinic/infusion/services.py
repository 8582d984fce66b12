"""Writes during the infusion: start, titrate, pause, resume, stop; events and notes.

Each pump change moves the visit through its state machine (``visits.services``) and
records a `PumpEvent` in the same transaction, so the visit's state and the pump's
record never disagree. Titration goes through the pharmacology engine against the
order's drug library entry: a hard limit is refused, a soft one needs a prescriber's
reason.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.infusion.models import (
    AdverseEvent,
    AdverseEventKind,
    NoteKind,
    PumpEvent,
    SessionNote,
)
from ketamine_clinic.infusion.pump_state import PumpEventKind, pump_state
from ketamine_clinic.infusion.selectors import event_views
from ketamine_clinic.orders.selectors import current_order, verified_syringe
from ketamine_clinic.pharmacology.dosing_errors import HardLimitBreach, InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import Verdict
from ketamine_clinic.pharmacology.drug_library_data import library_entry
from ketamine_clinic.pharmacology.titration import RunningInfusion, TitrationStep, titrate
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition

INFUSION_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
START_NEEDS_SYRINGE = "no verified syringe for the current order: prepare and verify it first"
TITRATE_NOT_RUNNING = "the pump is not running: resume it before changing the rate"
TITRATE_SOFT_NEEDS_PRESCRIBER = (
    "this rate is over a soft limit of the drug library: a prescriber must give the reason. {}"
)
NOTE_REQUIRED = "write the note"


def _require(by: User) -> None:
    if not (by.roles & INFUSION_ROLES) or not by.is_active:
        raise PermissionDenied("only a nurse or a prescriber runs the infusion")


def _event(visit: Visit, kind: PumpEventKind, by: User, *, rate: float | None = None,
           step: str = "", override_reason: str = "") -> PumpEvent:  # fmt: skip
    event = PumpEvent.objects.create(
        visit=visit,
        at=timezone.now(),
        kind=kind.value,
        rate_ml_per_h=None if rate is None else Decimal(f"{rate:.1f}"),
        step=step,
        override_reason=override_reason,
        by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="pump_event",
        object_id=event.pk,
        patient_id=visit.patient_id,
        reason=override_reason,
        detail={
            "kind": kind.value,
            "rate_ml_per_h": None if rate is None else f"{rate:.1f}",
            "step": step,
        },
    )
    return event


@transaction.atomic
def infusion_start(visit: Visit, *, by: User) -> PumpEvent:
    """Start the pump at the order's rate: needs the visit ready and a verified syringe."""
    _require(by)
    syringe = verified_syringe(visit)
    if syringe is None:
        raise ValidationError({"syringe": START_NEEDS_SYRINGE})
    order = syringe.order  # a verified syringe belongs to the current order
    visit_transition(visit, VisitState.INFUSING, by=by)
    return _event(visit, PumpEventKind.START, by, rate=float(order.plan["rate_ml_per_h"]))


@transaction.atomic
def infusion_titrate(
    visit: Visit, *, by: User, step: TitrationStep, step_text: str, override_reason: str = ""
) -> PumpEvent:
    """Change the rate by a step, within the drug library (keeping the ordered total)."""
    _require(by)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    order = current_order(visit)
    pump = pump_state(event_views(visit), timezone.now())
    if order is None or visit.state != VisitState.INFUSING or not pump.running:
        raise ValidationError({"step": TITRATE_NOT_RUNNING})
    vtbi = float(order.plan["vtbi_ml"])
    running = RunningInfusion(
        concentration_mg_per_ml=float(order.concentration_mg_per_ml),
        weight_kg=float(order.weight_kg),
        rate_ml_per_h=pump.rate_ml_per_h,
        vtbi_ml=vtbi,
        infused_ml=min(pump.infused_ml, vtbi),
        elapsed_min=pump.infusing_min,
        syringe_contents_ml=vtbi,
    )
    try:
        result = titrate(running, step, entry=library_entry(order.care_area))
    except HardLimitBreach as breach:
        raise ValidationError({"step": str(breach)}) from None
    except InvalidDoseInput as invalid:
        raise ValidationError({"step": invalid.reason}) from None
    reason = override_reason.strip()
    if result.check_result.verdict == Verdict.SOFT_BREACH:
        if Role.PRESCRIBER not in by.roles or not reason:
            raise ValidationError(
                {"override_reason": TITRATE_SOFT_NEEDS_PRESCRIBER.format(
                    " ".join(result.check_result.messages))}
            )  # fmt: skip
    else:
        reason = ""
    return _event(visit, PumpEventKind.RATE_CHANGE, by, rate=result.rate_ml_per_h,
                  step=step_text, override_reason=reason)  # fmt: skip


@transaction.atomic
def infusion_pause(visit: Visit, *, by: User, reason: str = "") -> PumpEvent:
    _require(by)
    visit_transition(visit, VisitState.PAUSED, by=by, reason=reason)
    return _event(visit, PumpEventKind.PAUSE, by, step=reason[:40])


@transaction.atomic
def infusion_resume(visit: Visit, *, by: User) -> PumpEvent:
    _require(by)
    pump = pump_state(event_views(visit), timezone.now())
    visit_transition(visit, VisitState.INFUSING, by=by)
    return _event(visit, PumpEventKind.RESUME, by, rate=pump.last_set_rate_ml_per_h)


@transaction.atomic
def infusion_stop(visit: Visit, *, by: User) -> PumpEvent:
    """Stop the pump (the infusion is over) and start recovery."""
    _require(by)
    visit_transition(visit, VisitState.RECOVERY, by=by)
    return _event(visit, PumpEventKind.STOP, by)


@transaction.atomic
def infusion_abort(visit: Visit, *, by: User, reason: str) -> PumpEvent:
    """End the visit during the infusion: the pump stops, and the dose given is what the
    pump's record delivered (not a number typed in), so the pump record, the visit and
    the controlled-substance count cannot disagree."""
    _require(by)
    now = timezone.now()
    pump = pump_state(event_views(visit), now)
    order = current_order(visit)
    given_mg = (
        Decimal(str(pump.infused_ml)) * order.concentration_mg_per_ml
        if order is not None
        else Decimal(0)
    ).quantize(Decimal("0.01"))
    visit_transition(visit, VisitState.ABORTED, by=by, reason=reason, dose_given_mg=given_mg)
    return _event(visit, PumpEventKind.STOP, by)


@transaction.atomic
def adverse_event_record(
    visit: Visit, *, by: User, kind: str, description: str = "", intervention: str = ""
) -> AdverseEvent:
    _require(by)
    if kind not in AdverseEventKind.values:
        raise ValidationError({"kind": f"unknown adverse event {kind!r}"})
    event = AdverseEvent.objects.create(
        visit=visit, at=timezone.now(), kind=kind, description=description.strip(),
        intervention=intervention.strip()[:200], by=by,
    )  # fmt: skip
    audit_record(
        action=AuditAction.CREATE, actor=by, object_type="adverse_event", object_id=event.pk,
        patient_id=visit.patient_id, detail={"kind": kind},
    )  # fmt: skip
    return event


@transaction.atomic
def session_note_record(visit: Visit, *, by: User, kind: str, text: str) -> SessionNote:
    _require(by)
    if kind not in NoteKind.values:
        raise ValidationError({"kind": f"unknown note kind {kind!r}"})
    if not text.strip():
        raise ValidationError({"text": NOTE_REQUIRED})
    note = SessionNote.objects.create(visit=visit, at=timezone.now(), kind=kind, text=text, by=by)
    audit_record(
        action=AuditAction.CREATE, actor=by, object_type="session_note", object_id=note.pk,
        patient_id=visit.patient_id, detail={"kind": kind},
    )  # fmt: skip
    return note
