"""A patient part-way through a course, with every kind of record the FHIR export reads.

Visit 1 of six was infused (0.5 mg/kg over 55 min for 72.5 kg, through the services, the
clock frozen at 09:30 EDT on 10 March 2026) and is in recovery; visits 2-6 are booked.
Vitals: the nurse's pre-infusion set (122/78, HR 72, SpO2 98, RR 14) and one at 58 min
(128/82, HR 88, SpO2 96, RR 16). Scores: PHQ-9 8, GAD-7 8 and PCL-5 20. A monitor and a
pump sent messages that were placed on visit 1.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fhir.resources.R4B.resource import Resource

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.monitoring.models import Device, DeviceKind, DeviceMessage
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.models import Visit, VitalsReading
from ketamine_clinic.visits.services import vitals_record
from tests.clinicday.support import recovering_visit
from tests.infusion.support import at
from tests.visits.support import NOW, START, frozen, make_visit

GAD7_ANSWERS = [2, 2, 1, 1, 1, 0, 1]  # total 8
PCL5_ANSWERS = [1] * 20  # total 20
MONITOR_EUI64 = "00A0C91E6BF04A01"
PUMP_EUI64 = "00A0C91E6BF04A02"


@dataclass(frozen=True)
class CourseRecord:
    patient: Patient
    infused: Visit
    booked: list[Visit]
    reading: VitalsReading  # the 128/82 one
    gad7: QuestionnaireResponse
    pcl5: QuestionnaireResponse
    monitor: Device
    pump: Device


def _placed_message(device: Device, visit: Visit, number: int) -> None:
    raw = f"MSH|^~\\&|{device.eui64}|||||ORU^R01|{number}|P|2.6\r"
    DeviceMessage.objects.create(
        sender=device.eui64,
        control_id=str(number),
        content_sha256=hashlib.sha256(raw.encode()).hexdigest(),
        message_type="ORU^R01",
        sent_at=at(5),
        received_at=at(5),
        peer="127.0.0.1:1",
        device_eui64=device.eui64,
        room=visit.room,
        visit=visit,
        raw=raw,
    )


def course_record(personas: dict[str, User]) -> CourseRecord:
    visit = recovering_visit(personas)
    patient, nurse = visit.patient, personas["nurse"]
    with frozen(at(60)):
        reading = vitals_record(
            visit=visit,
            by=nurse,
            taken_at=at(58),
            systolic_mmhg=128,
            diastolic_mmhg=82,
            heart_rate_per_min=88,
            spo2_percent=96,
            respiratory_rate_per_min=16,
        )
        gad7 = record_response(patient, "gad7", GAD7_ANSWERS, actor=nurse, channel="staff")
        pcl5 = record_response(patient, "pcl5", PCL5_ANSWERS, actor=nurse, channel="staff")
    booked = [
        make_visit(
            patient, visit.course, personas["front_desk"], start=START + timedelta(days=3 * n)
        )
        for n in range(1, 6)
    ]
    monitor = Device.objects.create(
        eui64=MONITOR_EUI64,
        kind=DeviceKind.MONITOR,
        model="Acme VS-900",
        label="Monitor 3",
        registered_at=NOW - timedelta(days=30),
    )
    pump = Device.objects.create(
        eui64=PUMP_EUI64,
        kind=DeviceKind.PUMP,
        model="Acme SP-200",
        registered_at=NOW - timedelta(days=30),
    )
    _placed_message(monitor, visit, 1)
    _placed_message(pump, visit, 2)
    visit.refresh_from_db()
    return CourseRecord(
        patient=patient,
        infused=visit,
        booked=booked,
        reading=reading,
        gad7=gad7,
        pcl5=pcl5,
        monitor=monitor,
        pump=pump,
    )


def validated(model: type[Resource], text: str) -> dict[str, Any]:
    """`text` parsed by fhir.resources' `model` (which raises on anything invalid), then
    written back and read as plain JSON, for assertions on exact values."""
    data: dict[str, Any] = json.loads(model.model_validate_json(text).model_dump_json())
    return data


def fhir_time(moment: datetime) -> str:
    """How the resources write an aware datetime: UTC, to the second, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
