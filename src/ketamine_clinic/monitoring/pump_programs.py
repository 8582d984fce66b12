"""Sending a visit's infusion program to the pump in its room (PCD-03), and the interlock's
pause.

The program comes from the visit's order (rate and volume to infuse from the order's
plan, the syringe's concentration, the weight used): nothing typed again; once the
infusion has started, a new program or a titration carries only the volume the record
shows is left. A program the pump takes is still a proposal until the nurse confirms it
at the pump (the pump says so, and so do the pages): the clinician confirms every
program. Every send is recorded (``PumpProgramSent``) with the pump's answer, and
audited.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Final

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.clinicday.policies import CLINICAL
from ketamine_clinic.devices.pcd_build import ControlIds, InfusionProgram, Sender, build_program
from ketamine_clinic.devices.program_client import send_program
from ketamine_clinic.infusion.selectors import delivered_dose
from ketamine_clinic.monitoring.models import Device, DeviceKind, PumpProgramSent
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

log = logging.getLogger("ketamine_clinic.monitoring.pump_programs")

# The clinic system as a PCD-03 sender (a locally administered EUI-64: 0x02 in the first
# octet), next to the simulators' 024B43xx ids.
CLINIC_SENDER: Final = Sender("KETAMINE_CLINIC", "024B43FF00000001")
_CONTROL_IDS: Final = ControlIds(CLINIC_SENDER.eui64)
REPLY_TIMEOUT_S: Final = 5.0
# A new program only before or during the infusion; holds and titrations while it runs.
PROGRAM_STATES: Final = {
    "NW": (VisitState.READY, VisitState.INFUSING, VisitState.PAUSED),
    "XO": (VisitState.INFUSING, VisitState.PAUSED),
    "HD": (VisitState.INFUSING,),
    "RL": (VisitState.PAUSED, VisitState.INFUSING),
}
NO_PUMP = "No pump is registered in this visit's room (Devices page)."
NO_ENDPOINT = "The room's pump has no program address (host:port) registered."
NO_ORDER = "There is no order to send: the prescriber orders the infusion first."
NOTHING_SENT = "No program of this visit has been taken by the pump yet."
NOTHING_LEFT = "The record shows the whole ordered volume given: there is nothing left to program."


def room_pump(room_id: int | None) -> Device | None:
    if room_id is None:
        return None
    return (
        Device.objects.filter(room_id=room_id, kind=DeviceKind.PUMP, in_use=True)
        .order_by("-registered_at")
        .first()
    )


def program_id_of(visit: Visit) -> str:
    """One program per visit: its titrations, holds and releases name the same one."""
    return f"KC-V{visit.pk}"


def _endpoint(device: Device) -> tuple[str, int]:
    host, _, port = device.program_endpoint.rpartition(":")
    if not host or not port.isdigit():
        raise ValidationError({"pump": NO_ENDPOINT})
    return host, int(port)


def _last_taken(device: Device, program_id: str) -> PumpProgramSent | None:
    return (
        PumpProgramSent.objects.filter(
            device=device, program_id=program_id, reply_code="AA", order_control__in=("NW", "XO")
        )
        .order_by("-sent_at", "-id")
        .first()
    )


def pump_program_send(
    *,
    visit: Visit,
    by: User | None,
    order_control: str = "NW",
    rate_ml_per_h: Decimal | None = None,
    reason: str = "",
) -> PumpProgramSent:
    """Send the visit's program to its room's pump and record the answer.

    ``NW`` the ordered program (once the infusion has started, what is left of it at the
    rate in force: ``_what_is_left``); ``XO`` a titration to ``rate_ml_per_h`` (with what
    is left); ``HD`` hold and ``RL`` release the program the pump took. ``by`` is None
    only for the interlock.
    """
    if by is not None and not CLINICAL.allows(by):
        raise PermissionDenied("only a nurse or a prescriber sends programs to a pump")
    if order_control not in PROGRAM_STATES:
        raise ValidationError({"order_control": f"{order_control!r} is not NW, XO, HD or RL"})
    visit = Visit.objects.select_related("room", "patient").get(pk=visit.pk)  # as it is now
    if visit.state not in PROGRAM_STATES[order_control]:
        raise ValidationError(
            {"visit": f"A {order_control} program cannot be sent while the visit is "
             f"{visit.get_state_display().lower()}."}
        )  # fmt: skip
    device = room_pump(visit.room_id)
    if device is None:
        raise ValidationError({"pump": NO_PUMP})
    host, port = _endpoint(device)
    order = current_order(visit)
    if order is None:
        raise ValidationError({"order": NO_ORDER})
    program_id = program_id_of(visit)
    rate = Decimal(str(order.plan["rate_ml_per_h"]))
    volume_ml = _pump_ml(order.plan["vtbi_ml"])
    if order_control == "NW":
        rate, volume_ml = _what_is_left(visit, rate, volume_ml)
    elif order_control == "XO":
        if rate_ml_per_h is None or rate_ml_per_h <= 0:
            raise ValidationError({"rate_ml_per_h": "A titration needs the new rate (mL/h)."})
        _, volume_ml = _what_is_left(visit, rate, volume_ml)
        rate = rate_ml_per_h
    elif order_control in ("HD", "RL"):
        # The program as the pump took it: a hold (the interlock's) must never fail on
        # the record's arithmetic.
        taken = _last_taken(device, program_id)
        if taken is None:
            raise ValidationError({"program": NOTHING_SENT})
        rate, volume_ml = taken.rate_ml_per_h, taken.volume_to_infuse_ml
    program = InfusionProgram(
        program_id=program_id,
        drug="KETAMINE",
        concentration_mg_per_ml=order.concentration_mg_per_ml,
        rate_ml_per_h=rate.quantize(Decimal("0.1")),
        volume_to_infuse_ml=volume_ml,
        patient_weight_kg=order.weight_kg,
        patient_id=visit.patient.mrn,
        order_control=order_control,
    )
    now = timezone.now()
    control_id = _CONTROL_IDS.next()
    text = build_program(
        CLINIC_SENDER,
        control_id,
        now,
        program,
        drug_name="Ketamine",
        room=visit.room.name if visit.room else "",
    )
    code, answer = _exchange(host, port, text)
    with transaction.atomic():
        record = PumpProgramSent.objects.create(
            visit=visit,
            device=device,
            program_id=program_id,
            order_control=order_control,
            rate_ml_per_h=program.rate_ml_per_h,
            volume_to_infuse_ml=program.volume_to_infuse_ml,
            concentration_mg_per_ml=program.concentration_mg_per_ml,
            control_id=control_id[:64],
            sent_at=now,
            sent_by=by,
            reason=reason[:200],
            reply_code=code,
            reply_text=answer[:300],
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            object_type="pump_program",
            object_id=record.pk,
            patient_id=visit.patient_id,
            reason=reason[:200],
            detail={
                "visit": visit.pk,
                "device": device.eui64,
                "order_control": order_control,
                "rate_ml_per_h": str(program.rate_ml_per_h),
                "reply": code or "none",
            },
        )
    return record


def _pump_ml(volume_ml: float) -> Decimal:
    """A volume as a program carries it: to 0.01 mL, rounded down, so a program never
    asks for more than the order or the record allows."""
    return Decimal(str(volume_ml)).quantize(Decimal("0.01"), ROUND_DOWN)


def _what_is_left(visit: Visit, rate: Decimal, volume_ml: Decimal) -> tuple[Decimal, Decimal]:
    """Once the infusion has started, a program is for the rest of the order, at the rate
    in force, as the record has them. Pumps count the volume to be infused down (what is
    still to go), so the whole order again, to a replaced or restarted pump or as a
    titration's volume, would let the pump give what was already given a second time."""
    dose = delivered_dose(visit)
    if dose is None or dose.pump.started_at is None:
        return rate, volume_ml
    left_ml = _pump_ml(dose.remaining_ml)
    if left_ml <= 0:
        raise ValidationError({"program": NOTHING_LEFT})
    in_force = Decimal(str(dose.pump.last_set_rate_ml_per_h))
    return (in_force if in_force > 0 else rate), left_ml


def _exchange(host: str, port: int, text: str) -> tuple[str, str]:
    """The pump's answer code and text; ("", why) when it did not answer."""
    try:
        reply = async_to_sync(send_program)(host, port, text, timeout_s=REPLY_TIMEOUT_S)
    except (OSError, TimeoutError, ConnectionError) as error:
        return "", f"no answer from the pump at {host}:{port} ({type(error).__name__})"
    return reply.code, reply.text


def pump_interlock_pause(*, room_id: int, alarm_id: str, reason: str, at: datetime) -> None:
    """The interlock: hold the program running in ``room_id`` (recorded, system actor)."""
    visit = (
        Visit.objects.filter(room_id=room_id, state=VisitState.INFUSING)
        .select_related("patient", "room")
        .first()
    )
    if visit is None:
        log.warning("interlock for %s: no infusion running in room %s", alarm_id, room_id)
        return
    try:
        record = pump_program_send(
            visit=visit, by=None, order_control="HD", reason=f"interlock {alarm_id}: {reason}"
        )
    except ValidationError as error:
        log.warning("interlock for %s could not pause the pump: %s", alarm_id, error)
        return
    log.warning(
        "interlock paused the pump in room %s for %s (pump answered %s) at %s",
        room_id,
        alarm_id,
        record.reply_code or "nothing",
        at.isoformat(),
    )
