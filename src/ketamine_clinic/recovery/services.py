"""Writes of recovery: the discharge review, the escort handover, the discharge itself."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.courses.services import course_complete_if_all_given
from ketamine_clinic.recovery.models import DischargeReview, EscortHandover
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition

RECOVERY_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
NOT_IN_RECOVERY = "the visit is not in recovery"
NOTE_UNRESOLVED = "say which side effects remain"
ESCORT_NAME = "name the escort"
ESCORT_PHONE = "give the escort's phone number"


def _require(visit: Visit, by: User) -> None:
    """The role, and the visit's state as stored now (the caller's copy may be stale)."""
    if not (by.roles & RECOVERY_ROLES) or not by.is_active:
        raise PermissionDenied("only a nurse or a prescriber records recovery")
    state = Visit.objects.select_for_update().values_list("state", flat=True).get(pk=visit.pk)
    if state != VisitState.RECOVERY:
        raise ValidationError({"visit": NOT_IN_RECOVERY})


@transaction.atomic
def discharge_review_record(
    visit: Visit, *, by: User, side_effects_resolved: bool, side_effects_note: str = "",
    advice_given: bool,
) -> DischargeReview:  # fmt: skip
    _require(visit, by)
    note = side_effects_note.strip()
    if not side_effects_resolved and not note:
        raise ValidationError({"side_effects_note": NOTE_UNRESOLVED})
    review = DischargeReview.objects.create(
        visit=visit, side_effects_resolved=side_effects_resolved, side_effects_note=note,
        advice_given=advice_given, at=timezone.now(), by=by,
    )  # fmt: skip
    audit_record(
        action=AuditAction.CREATE, actor=by, object_type="discharge_review", object_id=review.pk,
        patient_id=visit.patient_id,
        detail={"resolved": side_effects_resolved, "advice_given": advice_given},
    )  # fmt: skip
    return review


@transaction.atomic
def escort_handover_record(visit: Visit, *, by: User, name: str, phone: str) -> EscortHandover:
    _require(visit, by)
    errors = {}
    if not name.strip():
        errors["escort_name"] = ESCORT_NAME
    if not phone.strip():
        errors["escort_phone"] = ESCORT_PHONE
    if errors:
        raise ValidationError(errors)
    handover = EscortHandover.objects.create(
        visit=visit, escort_name=name.strip()[:200], escort_phone=phone.strip()[:40],
        at=timezone.now(), by=by,
    )  # fmt: skip
    audit_record(
        action=AuditAction.CREATE, actor=by, object_type="escort_handover",
        object_id=handover.pk, patient_id=visit.patient_id, detail={},
    )  # fmt: skip
    return handover


@transaction.atomic
def visit_discharge(visit: Visit, *, by: User) -> Visit:
    """Discharge: the visit's transition, which the discharge criteria guard.

    When it was the course's last planned infusion, the course completes in the same
    transaction (``courses.services.course_complete_if_all_given``), with ``by`` as actor.
    """
    discharged = visit_transition(visit, VisitState.DISCHARGED, by=by)
    if discharged.course is not None:
        course_complete_if_all_given(course=discharged.course, by=by, after_visit_id=discharged.pk)
    return discharged
