"""Before the day: what the patient must know, and the email that tells them.

Times are computed on the aware appointment time (real hours, not wall-clock hours) and
only then shown in the clinic's zone, so a fasting window that crosses a daylight-saving
change is still 4 and 2 real hours long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.visits.check_data import DEFAULT_FASTING_RULES, FastingRules
from ketamine_clinic.visits.models import Visit

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

SEND_ROLES: Final = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER})
SEND_NOT_PERMITTED: Final = "Only front desk, nurses and prescribers send visit instructions."
NO_EMAIL: Final = (
    "The patient has no email address on record: add one, or give the instructions by phone."
)
ARRANGE_ESCORT: Final = (
    "Please arrange an adult escort to take you home: you must not drive, work or make "
    "important decisions until after a full night's sleep."
)
# Reference (clinical.md): the patient stays seated, may be unsteady after; hydrate,
# eat and rest; an escort takes them home. What to bring follows from that.
WHAT_TO_BRING: Final = (
    "A list of the medications you take, with any changes since your last visit",
    "Comfortable, warm clothing with sleeves that roll up above the elbow",
    "Your escort's name and phone number",
    "A snack and a drink for after your recovery",
    "Headphones or an eye mask if you prefer your own (the clinic has both)",
)
SUBJECT: Final = "Your infusion on {day}: how to prepare"


@dataclass(frozen=True, slots=True)
class VisitInstructions:
    """What the patient must do before a visit, with every time in the clinic's zone."""

    patient_name: str
    clinic_name: str
    clinic_phone: str
    visit_label: str
    appointment: datetime
    last_solid_food: datetime
    last_clear_fluids: datetime
    solid_food_hours: float
    clear_fluids_hours: float
    escort_name: str
    escort_phone: str
    escort_text: str
    what_to_bring: tuple[str, ...]

    @property
    def escort_on_record(self) -> bool:
        return bool(self.escort_name and self.escort_phone)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def visit_instructions(
    visit: Visit, *, fasting: FastingRules = DEFAULT_FASTING_RULES
) -> VisitInstructions:
    """The instructions for ``visit``: fasting times, escort, what to bring.

    Not audited on its own; ``send_visit_instructions`` audits what it sends.
    """
    patient = visit.patient
    start = visit.scheduled_start
    if patient.escort_name and patient.escort_phone:
        escort_text = (
            f"Your escort on record is {patient.escort_name} ({patient.escort_phone}). "
            "They must take you home: you must not drive until after a full night's sleep."
        )
    else:
        escort_text = ARRANGE_ESCORT
    return VisitInstructions(
        patient_name=patient.name_to_use,
        clinic_name=settings.KC_CLINIC_NAME,
        clinic_phone=settings.KC_CLINIC_PHONE,
        visit_label=visit.label,
        appointment=_local(start),
        last_solid_food=_local(start - fasting.solid_food),
        last_clear_fluids=_local(start - fasting.clear_fluids),
        solid_food_hours=fasting.solid_food.total_seconds() / 3600,
        clear_fluids_hours=fasting.clear_fluids.total_seconds() / 3600,
        escort_name=patient.escort_name,
        escort_phone=patient.escort_phone,
        escort_text=escort_text,
        what_to_bring=WHAT_TO_BRING,
    )


def _day_text(moment: datetime) -> str:
    """ "Tuesday 10 March 2026" (no zero padding, on any platform's strftime)."""
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def instructions_message(visit: Visit, instructions: VisitInstructions) -> EmailMultiAlternatives:
    """The email (plain text with an HTML alternative) to the patient's address."""
    context = {"i": instructions}
    message = EmailMultiAlternatives(
        subject=SUBJECT.format(day=_day_text(instructions.appointment)),
        body=render_to_string("visits/email/instructions.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[visit.patient.email],
    )
    message.attach_alternative(
        render_to_string("visits/email/instructions.html", context), "text/html"
    )
    return message


@transaction.atomic
def send_visit_instructions(visit: Visit, *, by: User) -> VisitInstructions:
    """Email the patient their instructions for ``visit``; audited, sent after the commit.

    Refused (ValidationError on ``email``) when the patient has no email address. The
    message goes out once the transaction commits, so a rolled-back request sends
    nothing, and slow SMTP never holds the audit chain's lock.
    """
    if not (by.is_active and by.roles & SEND_ROLES):
        raise PermissionDenied(SEND_NOT_PERMITTED)
    patient = visit.patient
    if not patient.email:
        raise ValidationError({"email": NO_EMAIL})
    instructions = visit_instructions(visit)
    message = instructions_message(visit, instructions)
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="visit_instructions_email",
        object_id=visit.pk,
        patient_id=patient.pk,
        detail={
            "to": patient.email,
            "appointment": instructions.appointment.isoformat(),
            "last_solid_food": instructions.last_solid_food.isoformat(),
            "last_clear_fluids": instructions.last_clear_fluids.isoformat(),
            "escort_on_record": instructions.escort_on_record,
        },
    )
    transaction.on_commit(lambda: message.send(fail_silently=False))
    return instructions
