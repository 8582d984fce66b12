"""Per-patient alarm limits: a prescriber's adjustments over the clinic's limits.

The engine (``alarms.limits``) decides what is sane; this records who changed what and
why, and gives the runtime the patient's effective limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.alarms.enums import Priority, Side
from ketamine_clinic.alarms.limits import (
    AlarmLimitsInvalid,
    ClinicAlarmLimits,
    LimitAdjustment,
    effective_limits,
    label,
)
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.clinicday.policies import PRESCRIBING
from ketamine_clinic.monitoring.models import AlarmLimitAdjustment
from ketamine_clinic.patients.models import Patient


def _as_engine(row: AlarmLimitAdjustment) -> LimitAdjustment:
    return LimitAdjustment(
        parameter_code=row.parameter_code,
        priority=Priority(row.priority),
        side=Side(row.side),
        limit=row.limit,
        reason=row.reason,
        by=str(row.by_id),
    )


def patient_limits(patient_id: int, clinic: ClinicAlarmLimits | None = None) -> ClinicAlarmLimits:
    """The clinic's limits with this patient's adjustments applied, in order."""
    rows = AlarmLimitAdjustment.objects.filter(patient_id=patient_id).order_by("at", "id")
    return effective_limits(clinic or ClinicAlarmLimits(), [_as_engine(row) for row in rows])


def alarm_limit_adjust(
    *,
    patient: Patient,
    by: User,
    parameter_code: int,
    priority: str,
    side: str,
    limit: str | Decimal,
    reason: str,
) -> AlarmLimitAdjustment:
    """Record one adjustment, checked against the patient's others and the sane bounds."""
    if not PRESCRIBING.allows(by):
        raise PermissionDenied("only a prescriber adjusts a patient's alarm limits")
    try:
        priority_value, side_value = Priority(priority), Side(side)
    except ValueError:
        raise ValidationError(
            {"priority": "Choose a priority and a side the clinic has."}
        ) from None
    try:
        limit_value = Decimal(str(limit)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({"limit": f"{limit!r} is not a number."}) from None
    with transaction.atomic():
        earlier = list(
            AlarmLimitAdjustment.objects.select_for_update()
            .filter(patient=patient)
            .order_by("at", "id")
        )
        candidate = LimitAdjustment(
            parameter_code=parameter_code,
            priority=priority_value,
            side=side_value,
            limit=limit_value,
            reason=reason.strip(),
            by=str(by.pk),
        )
        try:
            effective_limits(ClinicAlarmLimits(), [*map(_as_engine, earlier), candidate])
        except AlarmLimitsInvalid as error:
            field = "reason" if error.field.endswith(".reason") else "limit"
            raise ValidationError({field: error.reason}) from None
        row = AlarmLimitAdjustment.objects.create(
            patient=patient,
            parameter_code=parameter_code,
            priority=priority_value.value,
            side=side_value.value,
            limit=limit_value,
            reason=reason.strip()[:300],
            at=timezone.now(),
            by=by,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            object_type="alarm_limit_adjustment",
            object_id=row.pk,
            patient_id=patient.pk,
            reason=row.reason,
            detail={
                "parameter_code": parameter_code,
                "priority": row.priority,
                "side": row.side,
                "limit": str(limit_value),
            },
        )
    return row


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One tier of one parameter as the page shows it: the clinic's and this patient's."""

    key: str  # "<code>:<priority>", the form's choice
    parameter: str
    priority: str
    clinic_low: Decimal | None
    clinic_high: Decimal | None
    low: Decimal | None
    high: Decimal | None
    delay_s: int

    @property
    def adjusted(self) -> bool:
        return (self.low, self.high) != (self.clinic_low, self.clinic_high)


def limit_rows(patient_id: int) -> list[LimitRow]:
    clinic = ClinicAlarmLimits()
    mine = {(r.parameter.code, r.priority): r for r in patient_limits(patient_id).rules}
    rows = []
    for rule in clinic.rules:
        own = mine[(rule.parameter.code, rule.priority)]
        rows.append(
            LimitRow(
                key=f"{rule.parameter.code}:{rule.priority}",
                parameter=label(rule.parameter.code).short,
                priority=str(rule.priority),
                clinic_low=rule.low,
                clinic_high=rule.high,
                low=own.low,
                high=own.high,
                delay_s=rule.delay_s,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class LimitChange:
    row: AlarmLimitAdjustment
    parameter: str  # the label a nurse reads (SpO2, HR...)


def limit_history(patient_id: int) -> list[LimitChange]:
    rows = (
        AlarmLimitAdjustment.objects.filter(patient_id=patient_id)
        .select_related("by")
        .order_by("-at", "-id")
    )
    return [LimitChange(row, label(row.parameter_code).short) for row in rows]
