"""Writes of orders and syringes; each audited in its transaction.

The numbers come from the pharmacology engine (`plan_infusion`), which checks the
program against the clinic's drug library: a hard breach is refused whoever asks, a soft
breach is accepted only with the prescriber's reason, recorded on the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.inventory.models import Lot
from ketamine_clinic.inventory.services.use import DrawLine, syringe_draw
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation, SyringeVerification
from ketamine_clinic.orders.selectors import current_order, syringe_stock_ml
from ketamine_clinic.patients.selectors import latest_weight
from ketamine_clinic.pharmacology.dosing import InfusionPlan, plan_infusion
from ketamine_clinic.pharmacology.dosing_errors import (
    HardLimitBreach,
    InvalidDoseInput,
    OverrideRefused,
)
from ketamine_clinic.pharmacology.drug_library import Verdict, override_soft_limits
from ketamine_clinic.pharmacology.drug_library_data import DEFAULT_CARE_AREA, library_entry
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

# Ordering and preparing happen before the infusion starts; never on a closed visit.
ORDERABLE_STATES = frozenset(
    {VisitState.SCHEDULED, VisitState.CHECKED_IN, VisitState.CHECKS_DONE, VisitState.READY}
)
PREPARING_STATES = frozenset({VisitState.CHECKED_IN, VisitState.CHECKS_DONE, VisitState.READY})
SYRINGE_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
# The standard 10 mL vial of 50 mg/mL ketamine (base as labelled) unless stated.
DEFAULT_VIAL_STRENGTH_MG_PER_ML = 50.0

ORDER_PRESCRIBER_ONLY = "only a prescriber can order an infusion"
ORDER_VISIT_STATE = "an order can be given only before the infusion starts (the visit is {state})"
ORDER_NO_WEIGHT_TODAY = "no weight measured today: weigh the patient before ordering"
ORDER_SOFT_BREACH_NEEDS_REASON = (
    "this program is over a soft limit of the drug library; give the reason to override it: {}"
)
SYRINGE_ROLE = "only a nurse or a prescriber prepares or verifies a syringe"
SYRINGE_VISIT_STATE = "a syringe is prepared after check-in and before the infusion (visit {state})"
SYRINGE_NOT_CURRENT = "this order has been replaced: prepare the syringe for the current order"
VERIFY_SAME_PERSON = "the syringe must be verified by someone other than who prepared it"
VERIFY_ALREADY = "this syringe has already been verified"


def _plan_as_json(plan: InfusionPlan) -> dict[str, Any]:
    """The plan's numbers (and the program's rate) as plain JSON values."""
    out: dict[str, Any] = {}
    for field in fields(plan):
        value = getattr(plan, field.name)
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            out[field.name] = value
    out["check_messages"] = list(plan.check_result.messages)
    return out


@transaction.atomic
def order_infusion(
    visit: Visit,
    *,
    by: User,
    dose_mg_per_kg: float,
    duration_min: int,
    concentration_mg_per_ml: float,
    vial_strength_mg_per_ml: float = DEFAULT_VIAL_STRENGTH_MG_PER_ML,
    care_area: str = DEFAULT_CARE_AREA,
    override_reason: str = "",
) -> InfusionOrder:
    """Order the visit's infusion; the engine computes syringe and pump program.

    Uses the weight measured today (dosing on an old weight is how mg/kg errors happen).
    Raises PermissionDenied for a non-prescriber and ValidationError naming the field
    for anything else; nothing is written then.
    """
    if Role.PRESCRIBER not in by.roles or not by.is_active:
        raise PermissionDenied(ORDER_PRESCRIBER_ONLY)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.state not in ORDERABLE_STATES:
        raise ValidationError({"visit": ORDER_VISIT_STATE.format(state=visit.get_state_display())})
    weight = latest_weight(patient=visit.patient)
    today = timezone.localdate()
    if weight is None or weight.measured_on != today:
        raise ValidationError({"weight_kg": ORDER_NO_WEIGHT_TODAY})
    try:
        plan = plan_infusion(
            weight_kg=float(weight.weight_kg),
            dose_mg_per_kg=float(dose_mg_per_kg),
            duration_min=float(duration_min),
            vial_strength_mg_per_ml=float(vial_strength_mg_per_ml),
            concentration_mg_per_ml=float(concentration_mg_per_ml),
            entry=library_entry(care_area),
        )
    except InvalidDoseInput as invalid:
        raise ValidationError({invalid.field: invalid.reason}) from None
    except HardLimitBreach as breach:
        raise ValidationError({"dose_mg_per_kg": str(breach)}) from None
    reason = override_reason.strip()
    verdict = plan.check_result.verdict
    if verdict == Verdict.SOFT_BREACH:
        try:
            override_soft_limits(plan.check_result, override_by=str(by.pk), reason=reason)
        except OverrideRefused:
            raise ValidationError(
                {
                    "override_reason": ORDER_SOFT_BREACH_NEEDS_REASON.format(
                        " ".join(plan.check_result.messages)
                    )
                }
            ) from None
    else:
        reason = ""
    order = InfusionOrder.objects.create(
        visit=visit,
        ordered_by=by,
        ordered_at=timezone.now(),
        weight_kg=weight.weight_kg,
        weight_measured_on=weight.measured_on,
        dose_mg_per_kg=Decimal(str(dose_mg_per_kg)),
        duration_min=int(duration_min),
        vial_strength_mg_per_ml=Decimal(str(vial_strength_mg_per_ml)),
        concentration_mg_per_ml=Decimal(str(concentration_mg_per_ml)),
        care_area=care_area,
        plan=_plan_as_json(plan),
        verdict=str(verdict),
        override_reason=reason,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="infusion_order",
        object_id=order.pk,
        patient_id=visit.patient_id,
        reason=reason,
        detail={
            "visit": visit.pk,
            "dose_mg_per_kg": str(order.dose_mg_per_kg),
            "duration_min": order.duration_min,
            "total_base_mg": f"{plan.total_base_mg:.2f}",
            "rate_ml_per_h": f"{plan.rate_ml_per_h:g}",
            "verdict": str(verdict),
        },
    )
    return order


def _require_syringe_role(by: User) -> None:
    if not (by.roles & SYRINGE_ROLES) or not by.is_active:
        raise PermissionDenied(SYRINGE_ROLE)


@transaction.atomic
def syringe_prepare(
    order: InfusionOrder, *, by: User, draws: Sequence[DrawLine]
) -> SyringePreparation:
    """Record the syringe drawn up for the order in force, drawn from named containers.

    The draw is the controlled-substance record's (``inventory.services.use``), in this
    transaction: a refused draw leaves no preparation behind. The preparation's lot
    list is read from the containers, never typed.
    """
    _require_syringe_role(by)
    visit = Visit.objects.select_for_update().get(pk=order.visit_id)
    if visit.state not in PREPARING_STATES:
        raise ValidationError(
            {"visit": SYRINGE_VISIT_STATE.format(state=visit.get_state_display())}
        )
    if current_order(visit) != order:
        raise ValidationError({"order": SYRINGE_NOT_CURRENT})
    lots = ", ".join(
        Lot.objects.filter(containers__in=[line.container_id for line in draws])
        .order_by("lot_number")
        .values_list("lot_number", flat=True)
        .distinct()
    )
    preparation = SyringePreparation.objects.create(
        order=order,
        prepared_by=by,
        prepared_at=timezone.now(),
        vial_lots=lots[:200],
        stock_volume_ml=syringe_stock_ml(order),
        diluent_volume_ml=Decimal(str(round(order.plan["diluent_volume_ml"], 2))),
    )
    syringe_draw(preparation, draws, by=by)
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="syringe_preparation",
        object_id=preparation.pk,
        patient_id=visit.patient_id,
        detail={"order": order.pk, "vial_lots": preparation.vial_lots},
    )
    return preparation


@transaction.atomic
def syringe_verify(preparation: SyringePreparation, *, by: User) -> SyringeVerification:
    """A second nurse or prescriber confirms the syringe matches the order."""
    _require_syringe_role(by)
    locked = (
        SyringePreparation.objects.select_for_update()
        .select_related("order")
        .get(pk=preparation.pk)
    )
    if locked.prepared_by_id == by.pk:
        raise ValidationError({"verified_by": VERIFY_SAME_PERSON})
    if SyringeVerification.objects.filter(preparation=locked).exists():
        raise ValidationError({"preparation": VERIFY_ALREADY})
    verification = SyringeVerification.objects.create(
        preparation=locked, verified_by=by, verified_at=timezone.now()
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="syringe_verification",
        object_id=verification.pk,
        patient_id=locked.order.visit.patient_id,
        detail={"preparation": locked.pk, "order": locked.order_id},
    )
    return verification
