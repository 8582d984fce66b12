"""Small PCD-01 messages for the monitoring tests, and a visit in a room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices.gateway import Inbound, content_hash
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_schedule
from tests.patients.factories import make_patient

MONITOR = "00A0C9FFFE000003"
T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def stamp(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M%S+0000")


def vitals_message(
    control_id: str,
    at: datetime,
    *,
    device: str = MONITOR,
    heart_rate: str = "72",
    spo2: str = "98",
    extra_obx: tuple[str, ...] = (),
) -> str:
    rows = [
        f"MSH|^~\\&|Monitor^{device}^EUI-64|||KC|{stamp(at)}||ORU^R01^ORU_R01|{control_id}|P|2.6"
        "|||NE|AL|||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||",
        f"OBR|1|1^Monitor|1^Monitor|182777000^monitoring of patient^SNOMED-CT|||{stamp(at)}",
        f"OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1|||||||X|||||||{device}^EUI-64",
        f"OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.1|{heart_rate}"
        f"|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||{stamp(at)}",
        f"OBX|3|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.2.1|{spo2}|262688^MDC_DIM_PERCENT^MDC"
        f"|||||R|||{stamp(at)}",
        *extra_obx,
    ]
    return "\r".join(rows) + "\r"


def inbound(text: str, received_at: datetime | None = None) -> Inbound:
    report = interpret(parse_message(text), UTC)
    return Inbound(text, report, content_hash(text), received_at or report.sent_at, "127.0.0.1:1")


def room_with_monitor(name: str = "Room 3", eui64: str = MONITOR) -> Room:
    room = Room.objects.create(name=name, display_order=3)
    Device.objects.create(
        eui64=eui64, kind=DeviceKind.MONITOR, model="Acme VS-900", room=room, registered_at=T0
    )
    return room


def visit_in_room(
    room: Room, by: User, *, checked_in: datetime, ended: datetime | None = None
) -> Visit:
    """A visit whose stay in ``room`` runs from ``checked_in`` (to ``ended`` if given).

    Only the times the storage reads are set, directly: how a visit gets there is the
    visits app's business and tested there.
    """
    visit = visit_schedule(
        patient=make_patient(), scheduled_start=checked_in + timedelta(minutes=10), by=by, room=room
    )
    Visit.objects.filter(pk=visit.pk).update(
        checked_in_at=checked_in, state="infusing", discharged_at=ended
    )
    visit.refresh_from_db()
    return visit
