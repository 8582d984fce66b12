"""Writes to visits: scheduling, state transitions, the pre-infusion records, overrides.

Every write is audited inside its transaction. A transition locks the visit row
(``select_for_update``) and re-reads its state under the lock, so two members of staff
pressing buttons at once cannot both move it: the second sees the new state and is
refused by the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import Room
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, protocol_for
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits import state_machine
from ketamine_clinic.visits.check_data import DEFAULT_CHECKS, CheckDefinition
from ketamine_clinic.visits.checks import OVERRIDE_MESSAGE_LENGTH, run_checks
from ketamine_clinic.visits.enums import CheckStatus, PregnancyTestResult, VisitState, VitalsSource
from ketamine_clinic.visits.models import (
    MILESTONE_FIELDS,
    CheckOverride,
    EscortConfirmation,
    FastingRecord,
    IvAccess,
    MedicationReview,
    PregnancyTest,
    Visit,
    VisitTransition,
    VitalsReading,
)
from ketamine_clinic.visits.selectors import visits_holding_a_number
from ketamine_clinic.visits.transition_guards import guard_problems

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ketamine_clinic.accounts.models import User

# Who may do what outside the transition table (which holds its own role rules).
SCHEDULE_ROLES: Final = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER})
CLINICAL_ROLES: Final = frozenset({Role.NURSE, Role.PRESCRIBER})
# Front desk phones the escort and may confirm them; the clinical records are nurses'.
ESCORT_ROLES: Final = SCHEDULE_ROLES
OVERRIDE_ROLES: Final = frozenset({Role.PRESCRIBER})

NOT_PERMITTED: Final = "Your roles do not allow this: it needs a {roles}."
START_NOT_AWARE: Final = "Give the start with its time zone."
COURSE_OTHER_PATIENT: Final = "That course belongs to another patient."
COURSE_NOT_OPEN: Final = (
    "Visits can be added only to a planned or active course; this one is {status}."
)
COURSE_FULL: Final = "All {planned} infusions of this course are already scheduled or given."
NUMBER_TAKEN: Final = "Infusion {number} of this course is already booked or given."
ROOM_NOT_IN_USE: Final = "{room} is no longer in use; choose another room."
INFUSION_MIN_OUT_OF_RANGE: Final = "The infusion lasts {low}-{high} min under this protocol."
VISIT_CLOSED: Final = "This visit is {state}: nothing more can be recorded for it."
CHECKS_FAILING: Final = "Pre-infusion checks are failing: {checks}."
REASON_REQUIRED: Final = "Say why (it is kept with the record)."
REASON_MAX_LENGTH: Final = 500
REASON_TOO_LONG: Final = f"Keep the reason under {REASON_MAX_LENGTH} characters."
UNKNOWN_CHECK: Final = "There is no pre-infusion check called {key!r}."
CHECK_NOT_OVERRIDABLE: Final = "The {label} check cannot be overridden; it must be met."
CHECK_NOT_FAILING: Final = "The {label} check is not failing: there is nothing to override."
TIME_IN_FUTURE: Final = "The time cannot be in the future."
FIELD_REQUIRED: Final = "This field is required."
VITAL_OUT_OF_RANGE: Final = "{value} {unit} is outside {low}-{high} {unit}: check the reading."
SYSTOLIC_NOT_ABOVE_DIASTOLIC: Final = "The systolic pressure must be above the diastolic."
RESULT_UNKNOWN: Final = "Choose negative or positive."

# Plausible manual readings; outside them a typo is far likelier than a patient.
VITAL_RANGES: Final[Mapping[str, tuple[int, int, str]]] = {
    "systolic_mmhg": (50, 300, "mmHg"),
    "diastolic_mmhg": (20, 200, "mmHg"),
    "heart_rate_per_min": (20, 250, "/min"),
    "spo2_percent": (50, 100, "%"),
    "respiratory_rate_per_min": (4, 60, "/min"),
}
IV_GAUGES: Final = (14, 16, 18, 20, 22, 24, 26)
IV_MAX_ATTEMPTS: Final = 10


class PreInfusionChecksFailing(ValidationError):
    """The move to ``checks_done`` while blocking checks fail; names them (``failing``)."""

    def __init__(self, failing: list[str]) -> None:
        super().__init__(CHECKS_FAILING.format(checks=", ".join(failing)), code="checks_failing")
        self.failing = failing


def _require_roles(by: User, allowed: Iterable[Role]) -> None:
    allowed = frozenset(allowed)
    if not (by.is_active and by.roles & allowed):
        needed = " or ".join(sorted(role.label.lower() for role in allowed))
        raise PermissionDenied(NOT_PERMITTED.format(roles=needed))


def _clean_reason(reason: str, *, field: str = "reason") -> str:
    text = reason.strip()
    if not text:
        raise ValidationError({field: REASON_REQUIRED})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({field: REASON_TOO_LONG})
    return text


def _require_open(visit: Visit) -> None:
    if visit.state in state_machine.TERMINAL_STATES:
        raise ValidationError(
            VISIT_CLOSED.format(state=VisitState(visit.state).label.lower()), code="closed"
        )


# ---- scheduling ------------------------------------------------------------------------


@transaction.atomic
def visit_schedule(
    *,
    patient: Patient,
    scheduled_start: datetime,
    by: User,
    course: Course | None = None,
    room: Room | None = None,
    infusion_min: int | None = None,
    number: int | None = None,
) -> Visit:
    """Book a visit: the next infusion of ``course``, or a booster when there is none.

    Durations come from the course's protocol snapshot (a booster uses the default
    protocol); ``infusion_min`` may differ within the protocol's allowed range. A
    cancelled or missed visit (or one aborted before the pump ran) gives its number back,
    and the replacement takes it (``selectors.visits_holding_a_number``); ``number`` asks
    for a given free number instead of the lowest (a course planned ahead books each).
    """
    _require_roles(by, SCHEDULE_ROLES)
    if timezone.is_naive(scheduled_start):
        raise ValidationError({"scheduled_start": START_NOT_AWARE})
    if course is None and number is not None:
        raise ValidationError({"number": "Only a course visit has a number."})
    if course is not None:
        # Lock the course: two bookings at once must not take the same number.
        course = Course.objects.select_for_update().get(pk=course.pk)
        if course.patient_id != patient.pk:
            raise ValidationError({"course": COURSE_OTHER_PATIENT})
        if course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
            raise ValidationError(
                {"course": COURSE_NOT_OPEN.format(status=course.get_status_display().lower())}
            )
        held = set(visits_holding_a_number(course).values_list("number_in_course", flat=True))
        free = [n for n in range(1, course.infusions_planned + 1) if n not in held]
        if not free:
            raise ValidationError({"course": COURSE_FULL.format(planned=course.infusions_planned)})
        if number is None:
            # The lowest free number: a visit booked in place of a cancelled one takes it.
            number = free[0]
        elif number not in free:
            raise ValidationError({"number": NUMBER_TAKEN.format(number=number)})
        params: Mapping[str, Any] = course.protocol
    else:
        params = protocol_for(DEFAULT_PROTOCOL_KEY).as_snapshot()
    if room is not None and not room.in_use:
        raise ValidationError({"room": ROOM_NOT_IN_USE.format(room=room.name)})
    minutes = params["infusion_min"] if infusion_min is None else infusion_min
    low, high = params["infusion_min_allowed"], params["infusion_max_allowed"]
    if not low <= minutes <= high:
        raise ValidationError(
            {"infusion_min": INFUSION_MIN_OUT_OF_RANGE.format(low=low, high=high)}
        )
    now = timezone.now()
    visit = Visit(
        patient=patient,
        course=course,
        number_in_course=number,
        scheduled_start=scheduled_start,
        room=room,
        planned_preparation_min=params["preparation_min"],
        planned_infusion_min=minutes,
        planned_recovery_min=params["recovery_min"],
        created_at=now,
        created_by=by,
        state=VisitState.SCHEDULED,
        state_changed_at=now,
        state_changed_by=by,
    )
    visit.full_clean()
    visit.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="visit",
        object_id=visit.pk,
        patient_id=patient.pk,
        detail={
            "course_id": course.pk if course is not None else None,
            "number_in_course": number,
            "scheduled_start": scheduled_start.isoformat(),
            "infusion_min": minutes,
            "room": room.name if room is not None else None,
        },
    )
    return visit


# ---- transitions -----------------------------------------------------------------------


def _dose(value: Decimal | float | int | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        dose = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"dose_given_mg": "Enter the dose as a number of mg."}) from None
    return dose.quantize(Decimal("0.01")) if dose.is_finite() else dose


@transaction.atomic
def visit_transition(
    visit: Visit,
    to_state: VisitState | str,
    *,
    by: User,
    reason: str = "",
    dose_given_mg: Decimal | float | int | str | None = None,
) -> Visit:
    """Move ``visit`` to ``to_state`` if the table allows it and ``by`` may do it.

    Raises ``state_machine.IllegalVisitTransition`` (naming both states) for a move the
    table lacks, PermissionDenied for a role it does not list, ValidationError naming
    the field for a missing reason or dose, and ``PreInfusionChecksFailing`` naming the
    checks when the move to ``checks_done`` meets a failing, unoverridden blocking check,
    and ValidationError on ``state`` listing what another app requires first (a verified
    syringe to start the pump, the discharge criteria to leave: ``transition_guards``).
    Nothing is written unless the move succeeds. Returns the updated visit.
    """
    locked = Visit.objects.select_for_update().select_related("patient").get(pk=visit.pk)
    from_state = locked.state
    dose = _dose(dose_given_mg)
    try:
        state_machine.check_transition(
            from_state,
            str(to_state),
            roles=by.roles if by.is_active else (),
            reason=reason,
            dose_given_mg=dose,
        )
    except state_machine.IllegalVisitTransition:
        raise
    except state_machine.RoleNotAllowed as refused:
        raise PermissionDenied(refused.message) from None
    except state_machine.ReasonRequired as refused:
        raise ValidationError({"reason": refused.message}) from None
    except (state_machine.DoseRequired, state_machine.DoseNotApplicable) as refused:
        raise ValidationError({"dose_given_mg": refused.message}) from None
    text = reason.strip()
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": REASON_TOO_LONG})
    target = VisitState(str(to_state))
    detail: dict[str, Any] = {"from": from_state, "to": str(target)}
    if target == VisitState.CHECKS_DONE:
        results = run_checks(locked)
        failing = [result.label for result in results if result.blocks]
        if failing:
            raise PreInfusionChecksFailing(failing)
        detail["checks"] = {
            result.key: str(result.status) + (" (overridden)" if result.override else "")
            for result in results
        }
    blocked = guard_problems(locked, target, from_state=from_state)
    if blocked:
        raise ValidationError({"state": blocked})
    now = timezone.now()
    locked.state = target
    locked.state_changed_at = now
    locked.state_changed_by = by
    update = ["state", "state_changed_at", "state_changed_by"]
    at_field, by_field = MILESTONE_FIELDS.get(target, ("", ""))
    if at_field and getattr(locked, at_field) is None:
        setattr(locked, at_field, now)
        setattr(locked, by_field, by)
        update += [at_field, by_field]
    if target in (VisitState.CANCELLED, VisitState.DID_NOT_ATTEND, VisitState.ABORTED):
        locked.end_reason = text
        locked.dose_given_before_abort_mg = dose
        update += ["end_reason", "dose_given_before_abort_mg"]
    locked.save(update_fields=update)
    transition = VisitTransition.objects.create(
        visit=locked,
        from_state=from_state,
        to_state=target,
        at=now,
        by=by,
        reason=text,
        dose_given_mg=dose,
    )
    if dose is not None:
        detail["dose_given_mg"] = str(dose)
    detail["transition_id"] = transition.pk
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="visit",
        object_id=locked.pk,
        patient_id=locked.patient_id,
        reason=text,
        detail=detail,
    )
    return locked


# ---- the pre-infusion records ------------------------------------------------------------


def _audit_record_of(record: Any, *, by: User, object_type: str, detail: dict[str, Any]) -> None:
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type=object_type,
        object_id=record.pk,
        patient_id=record.visit.patient_id,
        detail={"visit_id": record.visit_id, **detail},
    )


def _not_future(moment: datetime | None, field: str, now: datetime) -> dict[str, str]:
    if moment is None:
        return {field: FIELD_REQUIRED}
    if timezone.is_naive(moment):
        return {field: START_NOT_AWARE}
    if moment > now:
        return {field: TIME_IN_FUTURE}
    return {}


@transaction.atomic
def vitals_record(
    *,
    visit: Visit,
    by: User,
    taken_at: datetime,
    systolic_mmhg: int,
    diastolic_mmhg: int,
    heart_rate_per_min: int,
    spo2_percent: int,
    respiratory_rate_per_min: int | None = None,
) -> VitalsReading:
    """Record a manual set of vitals; an implausible value is refused naming the field."""
    _require_roles(by, CLINICAL_ROLES)
    _require_open(visit)
    now = timezone.now()
    values = {
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
        "heart_rate_per_min": heart_rate_per_min,
        "spo2_percent": spo2_percent,
        "respiratory_rate_per_min": respiratory_rate_per_min,
    }
    errors = _not_future(taken_at, "taken_at", now)
    for field, value in values.items():
        low, high, unit = VITAL_RANGES[field]
        if value is None:
            if field != "respiratory_rate_per_min":
                errors[field] = FIELD_REQUIRED
        elif not low <= value <= high:
            errors[field] = VITAL_OUT_OF_RANGE.format(value=value, unit=unit, low=low, high=high)
    if not errors and systolic_mmhg <= diastolic_mmhg:
        errors["systolic_mmhg"] = SYSTOLIC_NOT_ABOVE_DIASTOLIC
    if errors:
        raise ValidationError(errors)
    reading = VitalsReading.objects.create(
        visit=visit,
        taken_at=taken_at,
        source=VitalsSource.MANUAL,
        recorded_at=now,
        recorded_by=by,
        **values,
    )
    _audit_record_of(
        reading,
        by=by,
        object_type="vitals",
        detail={**values, "taken_at": taken_at.isoformat(), "source": VitalsSource.MANUAL.value},
    )
    return reading


@transaction.atomic
def fasting_record(
    *, visit: Visit, by: User, last_solid_food_at: datetime, last_clear_fluids_at: datetime
) -> FastingRecord:
    """Record when the patient last ate and drank, as they tell the nurse."""
    _require_roles(by, CLINICAL_ROLES)
    _require_open(visit)
    now = timezone.now()
    errors = _not_future(last_solid_food_at, "last_solid_food_at", now)
    errors.update(_not_future(last_clear_fluids_at, "last_clear_fluids_at", now))
    if errors:
        raise ValidationError(errors)
    record = FastingRecord.objects.create(
        visit=visit,
        last_solid_food_at=last_solid_food_at,
        last_clear_fluids_at=last_clear_fluids_at,
        recorded_at=now,
        recorded_by=by,
    )
    _audit_record_of(
        record,
        by=by,
        object_type="fasting",
        detail={
            "last_solid_food_at": last_solid_food_at.isoformat(),
            "last_clear_fluids_at": last_clear_fluids_at.isoformat(),
        },
    )
    return record


@transaction.atomic
def escort_confirm(
    *, visit: Visit, by: User, name: str = "", phone: str = ""
) -> EscortConfirmation:
    """Confirm today's escort; name and phone default to the escort on the patient record."""
    _require_roles(by, ESCORT_ROLES)
    _require_open(visit)
    patient = visit.patient
    name = name.strip() or patient.escort_name
    phone = phone.strip() or patient.escort_phone
    errors = {
        field: FIELD_REQUIRED for field, value in (("name", name), ("phone", phone)) if not value
    }
    if errors:
        raise ValidationError(errors)
    record = EscortConfirmation.objects.create(
        visit=visit, name=name, phone=phone, recorded_at=timezone.now(), recorded_by=by
    )
    _audit_record_of(record, by=by, object_type="escort_confirmation", detail={"name": name})
    return record


@transaction.atomic
def pregnancy_test_record(
    *, visit: Visit, by: User, result: PregnancyTestResult | str, taken_at: datetime | None = None
) -> PregnancyTest:
    """Record a pregnancy test taken for this visit."""
    _require_roles(by, CLINICAL_ROLES)
    _require_open(visit)
    now = timezone.now()
    moment = taken_at if taken_at is not None else now
    errors = _not_future(moment, "taken_at", now)
    if result not in PregnancyTestResult.values:
        errors["result"] = RESULT_UNKNOWN
    if errors:
        raise ValidationError(errors)
    record = PregnancyTest.objects.create(
        visit=visit, taken_at=moment, result=str(result), recorded_at=now, recorded_by=by
    )
    _audit_record_of(record, by=by, object_type="pregnancy_test", detail={"result": str(result)})
    return record


@transaction.atomic
def medication_review_record(
    *, visit: Visit, by: User, reviewed: bool, note: str = ""
) -> MedicationReview:
    """Record whether the patient's medication changes were reviewed today (yes or no)."""
    _require_roles(by, CLINICAL_ROLES)
    _require_open(visit)
    text = note.strip()
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"note": REASON_TOO_LONG})
    record = MedicationReview.objects.create(
        visit=visit, reviewed=bool(reviewed), note=text, recorded_at=timezone.now(), recorded_by=by
    )
    _audit_record_of(
        record, by=by, object_type="medication_review", detail={"reviewed": bool(reviewed)}
    )
    return record


@transaction.atomic
def iv_access_record(
    *, visit: Visit, by: User, site: str, gauge: int, attempts: int, placed_by: User | None = None
) -> IvAccess:
    """Record the cannula: site, gauge, attempts (first-attempt success is tracked) and who."""
    _require_roles(by, CLINICAL_ROLES)
    _require_open(visit)
    errors: dict[str, str] = {}
    site = site.strip()
    if not site:
        errors["site"] = FIELD_REQUIRED
    if gauge not in IV_GAUGES:
        errors["gauge"] = "Choose a gauge of " + ", ".join(str(g) for g in IV_GAUGES) + "."
    if not 1 <= attempts <= IV_MAX_ATTEMPTS:
        errors["attempts"] = f"Attempts are between 1 and {IV_MAX_ATTEMPTS}."
    if errors:
        raise ValidationError(errors)
    record = IvAccess.objects.create(
        visit=visit,
        site=site,
        gauge=gauge,
        attempts=attempts,
        placed_by=placed_by or by,
        recorded_at=timezone.now(),
        recorded_by=by,
    )
    _audit_record_of(
        record,
        by=by,
        object_type="iv_access",
        detail={
            "site": site,
            "gauge": gauge,
            "attempts": attempts,
            "placed_by": record.placed_by_id,
        },
    )
    return record


@transaction.atomic
def record_check_override(
    visit: Visit,
    check_key: str,
    *,
    by: User,
    reason: str,
    checks: Mapping[str, CheckDefinition] = DEFAULT_CHECKS,
) -> CheckOverride:
    """A prescriber accepts a failing check for this visit, with a reason.

    Only overridable checks that fail now (block or warn) can be overridden; what the
    check said is kept with the override.
    """
    _require_roles(by, OVERRIDE_ROLES)
    _require_open(visit)
    definition = checks.get(check_key)
    if definition is None:
        raise ValidationError({"check_key": UNKNOWN_CHECK.format(key=check_key)})
    if not definition.overridable:
        raise ValidationError({"check_key": CHECK_NOT_OVERRIDABLE.format(label=definition.label)})
    text = _clean_reason(reason)
    result = next(r for r in run_checks(visit, checks=checks) if r.key == check_key)
    if result.status == CheckStatus.PASS:
        raise ValidationError({"check_key": CHECK_NOT_FAILING.format(label=definition.label)})
    override = CheckOverride.objects.create(
        visit=visit,
        check_key=check_key,
        reason=text,
        check_status=str(result.status),
        check_message=result.message[:OVERRIDE_MESSAGE_LENGTH],
        recorded_at=timezone.now(),
        recorded_by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="check_override",
        object_id=override.pk,
        patient_id=visit.patient_id,
        reason=text,
        detail={
            "visit_id": visit.pk,
            "check": check_key,
            "status": str(result.status),
            "message": override.check_message,
        },
    )
    return override
