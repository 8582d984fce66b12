"""A visit's ketamine order, its infusion and the devices as FHIR R4 resources.

Pure: the caller (selectors.py) reads the order, replays the pump's record into an
`InfusionRecord` and finds the devices; these functions only shape what they are given.
Doses are milligrams of ketamine base, as the order and the pump record keep them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.device import Device as FhirDevice
from fhir.resources.R4B.device import DeviceDeviceName
from fhir.resources.R4B.dosage import Dosage, DosageDoseAndRate
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationadministration import (
    MedicationAdministration,
    MedicationAdministrationDosage,
)
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.timing import Timing, TimingRepeat

from ketamine_clinic.devices.mdc import MONITOR_MDS, PUMP_MDS, Term
from ketamine_clinic.fhir import codes
from ketamine_clinic.fhir.build_common import concept, reference, ucum_quantity, utc
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.visits.enums import VisitState

MG = "mg"
MG_PER_KG = "mg/kg"
ML_PER_H = "mL/h"

DEVICE_TYPE: dict[str, tuple[Term, str]] = {
    DeviceKind.MONITOR: (MONITOR_MDS, "Patient monitor"),
    DeviceKind.PUMP: (PUMP_MDS, "Syringe pump"),
}

_INFUSION_OVER = {VisitState.RECOVERY, VisitState.DISCHARGED}
_NEVER_STARTED = {VisitState.CANCELLED, VisitState.DID_NOT_ATTEND}


@dataclass(frozen=True)
class InfusionRecord:
    """What the pump's events say about one visit's infusion (infusion.selectors)."""

    visit_id: int
    patient_id: int
    visit_state: str
    started_at: datetime
    stopped_at: datetime | None  # None while it runs or is paused
    start_rate_ml_per_h: float
    delivered_mg: float
    weight_kg: float
    device_ids: tuple[int, ...]  # the pump(s) that gave it

    @property
    def delivered_mg_per_kg(self) -> float:
        return self.delivered_mg / self.weight_kg


def ketamine() -> CodeableConcept:
    return concept(codes.RXNORM, *codes.KETAMINE_RXNORM, text="ketamine")


def route_iv() -> CodeableConcept:
    return concept(codes.SNOMED, *codes.ROUTE_IV_SNOMED)


def _request_status(state: str) -> str:
    if state == VisitState.ABORTED:
        return "stopped"
    if state in _NEVER_STARTED:
        return "cancelled"
    if state in _INFUSION_OVER:
        return "completed"
    return "active"


def build_medication_request(
    order: InfusionOrder, *, patient_id: int, visit_state: str
) -> MedicationRequest:
    """The order in force for a visit: mg/kg as ordered, the total and the rate computed."""
    total_mg = Decimal(str(round(float(order.plan["total_base_mg"]), 2)))
    rate = Decimal(str(order.plan["rate_ml_per_h"]))
    text = (
        f"ketamine {order.dose_mg_per_kg.normalize():f} mg/kg IV over {order.duration_min} min "
        f"({total_mg:f} mg for {order.weight_kg.normalize():f} kg; "
        f"{order.concentration_mg_per_ml.normalize():f} mg/mL at {rate:f} mL/h)"
    )
    return MedicationRequest(
        id=str(order.pk),
        status=_request_status(visit_state),
        intent="order",
        medicationCodeableConcept=ketamine(),
        subject=reference("Patient", patient_id),
        encounter=reference("Encounter", order.visit_id),
        authoredOn=utc(order.ordered_at),
        dosageInstruction=[
            Dosage(
                text=text,
                route=route_iv(),
                timing=Timing(
                    repeat=TimingRepeat(duration=Decimal(order.duration_min), durationUnit="min")
                ),
                doseAndRate=[
                    DosageDoseAndRate(
                        type=concept(codes.DOSE_RATE_TYPE, "ordered", "Ordered"),
                        doseQuantity=ucum_quantity(order.dose_mg_per_kg, MG_PER_KG),
                        rateQuantity=ucum_quantity(rate, ML_PER_H),
                    ),
                    DosageDoseAndRate(
                        type=concept(codes.DOSE_RATE_TYPE, "calculated", "Calculated"),
                        doseQuantity=ucum_quantity(total_mg, MG),
                    ),
                ],
            )
        ],
    )


def _administration_status(record: InfusionRecord) -> str:
    if record.visit_state == VisitState.ABORTED:
        return "stopped"
    if record.visit_state == VisitState.PAUSED:
        return "on-hold"
    if record.stopped_at is None:
        return "in-progress"
    return "completed"


def build_medication_administration(
    record: InfusionRecord, *, order_id: int
) -> MedicationAdministration:
    """What the pump gave: total mg (and mg/kg) replayed from its events, the start rate."""
    delivered_mg = round(record.delivered_mg, 2)
    return MedicationAdministration(
        id=str(record.visit_id),
        status=_administration_status(record),
        medicationCodeableConcept=ketamine(),
        subject=reference("Patient", record.patient_id),
        context=reference("Encounter", record.visit_id),
        effectivePeriod=_period(record),
        request=reference("MedicationRequest", order_id),
        device=[reference("Device", device_id) for device_id in record.device_ids] or None,
        dosage=MedicationAdministrationDosage(
            text=(
                f"{delivered_mg:g} mg ({record.delivered_mg_per_kg:.3f} mg/kg) IV, "
                f"started at {record.start_rate_ml_per_h:g} mL/h"
            ),
            route=route_iv(),
            dose=ucum_quantity(delivered_mg, MG),
            rateQuantity=ucum_quantity(record.start_rate_ml_per_h, ML_PER_H),
        ),
    )


def _period(record: InfusionRecord) -> Period:
    end = utc(record.stopped_at) if record.stopped_at is not None else None
    return Period(start=utc(record.started_at), end=end)


def _procedure_status(record: InfusionRecord) -> str:
    if record.visit_state == VisitState.ABORTED:
        return "stopped"
    if record.visit_state == VisitState.PAUSED:
        return "on-hold"
    return "in-progress" if record.stopped_at is None else "completed"


def build_procedure(record: InfusionRecord) -> Procedure:
    """The infusion as a procedure. Coded as text only: the reference gives no SNOMED CT
    code for "intravenous infusion", and we do not guess one."""
    return Procedure(
        id=str(record.visit_id),
        status=_procedure_status(record),
        code=CodeableConcept(text=codes.PROCEDURE_TEXT),
        subject=reference("Patient", record.patient_id),
        encounter=reference("Encounter", record.visit_id),
        performedPeriod=_period(record),
        usedReference=[reference("Device", device_id) for device_id in record.device_ids] or None,
    )


def build_device(device: Device) -> FhirDevice:
    term, display = DEVICE_TYPE[device.kind]
    names = [DeviceDeviceName(name=device.model, type="model-name")]
    if device.label:
        names.append(DeviceDeviceName(name=device.label, type="user-friendly-name"))
    return FhirDevice(
        id=str(device.pk),
        identifier=[
            Identifier(
                # The IEEE 11073 system identifier (EUI-64), 16 hex digits as the device sends it.
                type=concept(
                    codes.CONTINUA_DEVICE_IDENTIFIERS, "SYSID", "IEEE 11073 System Identifier"
                ),
                system=codes.DEVICE_EUI64_SYSTEM,
                value=device.eui64,
            )
        ],
        status="active" if device.in_use else "inactive",
        deviceName=names,
        modelNumber=device.model,
        type=concept(codes.MDC, str(term.code), term.name, display),
    )
