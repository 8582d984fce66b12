"""A patient's records as FHIR resources and Bundles; every read of them is audited.

What goes in, per patient: the Patient; an Encounter per visit; vitals Observations per
reading; per questionnaire response that no later one corrects, a QuestionnaireResponse
with the answers and, when the instrument has a total, a survey Observation; per visit
with an order, the order in force as a MedicationRequest (an order replaced before the
infusion is history, not an instruction, and stays out); per visit whose pump started,
a MedicationAdministration and a Procedure; and the monitors and pumps that sent data
placed on the patient's visits, as Devices.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch
from fhir.resources.R4B.resource import Resource

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.fhir.build_clinical import (
    build_encounter,
    build_patient,
    build_questionnaire_response,
    build_score,
    build_vitals,
)
from ketamine_clinic.fhir.build_infusion import (
    InfusionRecord,
    build_device,
    build_medication_administration,
    build_medication_request,
    build_procedure,
)
from ketamine_clinic.fhir.clients import RESOURCE_TYPES
from ketamine_clinic.fhir.codes import MRN_SYSTEM
from ketamine_clinic.fhir.models import FhirClient
from ketamine_clinic.infusion.models import PumpEvent
from ketamine_clinic.infusion.pump_state import PumpEventKind
from ketamine_clinic.infusion.selectors import delivered_dose
from ketamine_clinic.monitoring.models import Device, DeviceKind, DeviceMessage
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit, VitalsReading

_PUMP_RUNNING = {VisitState.INFUSING, VisitState.PAUSED}


def _devices_by_visit(visits: list[Visit]) -> dict[int, list[Device]]:
    """Per visit, the registered devices whose messages were placed on it."""
    pairs = (
        DeviceMessage.objects.filter(visit__in=visits)
        .exclude(device_eui64="")
        .values_list("visit_id", "device_eui64")
        .distinct()
    )
    eui_by_visit: dict[int, set[str]] = {}
    for visit_id, eui in pairs:
        eui_by_visit.setdefault(visit_id, set()).add(eui)
    every_eui = set().union(*eui_by_visit.values()) if eui_by_visit else set()
    devices = {device.eui64: device for device in Device.objects.filter(eui64__in=every_eui)}
    return {
        visit_id: sorted((devices[eui] for eui in euis if eui in devices), key=lambda d: d.pk)
        for visit_id, euis in eui_by_visit.items()
    }


def _infusion_record(visit: Visit, pumps: list[Device]) -> InfusionRecord | None:
    """The pump's record replayed, or None if the pump never started for this visit."""
    events = list(PumpEvent.objects.filter(visit=visit).order_by("at", "id"))
    starts = [event for event in events if event.kind == PumpEventKind.START]
    if not starts:
        return None
    stops = [event for event in events if event.kind == PumpEventKind.STOP]
    stopped_at: datetime | None = None
    if visit.state not in _PUMP_RUNNING and stops:
        stopped_at = stops[-1].at
    dose = delivered_dose(visit, now=stopped_at or timezone.now())
    if dose is None:
        return None
    start_rate = starts[0].rate_ml_per_h
    return InfusionRecord(
        visit_id=visit.pk,
        patient_id=visit.patient_id,
        visit_state=visit.state,
        started_at=starts[0].at,
        stopped_at=stopped_at,
        start_rate_ml_per_h=float(start_rate) if start_rate is not None else 0.0,
        delivered_mg=dose.mg,
        weight_kg=float(dose.order.weight_kg),
        device_ids=tuple(device.pk for device in pumps),
    )


def patient_resources(
    patient: Patient, *, resource_types: Collection[str] = RESOURCE_TYPES
) -> list[Resource]:
    """Everything the endpoint serves about `patient`, limited to `resource_types`.

    Not audited: its callers (the export and the REST reads) write the entry.
    """
    wanted = set(resource_types)
    found: list[Resource] = []
    if "Patient" in wanted:
        found.append(build_patient(patient))
    visits = list(Visit.objects.filter(patient=patient).order_by("scheduled_start", "id"))
    devices = _devices_by_visit(visits)
    readings = (
        VitalsReading.objects.filter(visit__patient=patient)
        .select_related("visit")
        .order_by("taken_at", "id")
    )
    if "Encounter" in wanted:
        found.extend(build_encounter(visit) for visit in visits)
    if "Observation" in wanted:
        for reading in readings:
            found.extend(build_vitals(reading))
    responses = QuestionnaireResponse.objects.filter(
        patient=patient, corrected_by__isnull=True
    ).order_by("taken_at", "id")
    for response in responses:
        if "QuestionnaireResponse" in wanted:
            found.append(build_questionnaire_response(response))
        score = build_score(response) if "Observation" in wanted else None
        if score is not None:
            found.append(score)
    for visit in visits:
        order = current_order(visit)
        if order is None:
            continue
        if "MedicationRequest" in wanted:
            found.append(
                build_medication_request(order, patient_id=patient.pk, visit_state=visit.state)
            )
        pumps = [d for d in devices.get(visit.pk, []) if d.kind == DeviceKind.PUMP]
        record = _infusion_record(visit, pumps)
        if record is None:
            continue
        if "MedicationAdministration" in wanted:
            found.append(build_medication_administration(record, order_id=order.pk))
        if "Procedure" in wanted:
            found.append(build_procedure(record))
    if "Device" in wanted:
        seen = {device.pk: device for found_devices in devices.values() for device in found_devices}
        found.extend(build_device(seen[pk]) for pk in sorted(seen))
    return found


def make_bundle(resources: list[Resource], *, bundle_type: str, base_url: str) -> Bundle:
    """A `collection` (the export) or `searchset` (search and $everything) Bundle.

    fullUrl is the resource's address under `base_url`, so the entries' relative
    references ("Patient/12") resolve inside the Bundle (FHIR R4 Bundle, "Resolving
    references in Bundles").
    """
    searchset = bundle_type == "searchset"
    return Bundle(
        type=bundle_type,
        timestamp=timezone.now(),
        total=len(resources) if searchset else None,
        entry=[
            BundleEntry(
                fullUrl=f"{base_url}{resource.get_resource_type()}/{resource.id}",
                resource=resource,
                search=BundleEntrySearch(mode=_search_mode(resource)) if searchset else None,
            )
            for resource in resources
        ]
        or None,
    )


def _search_mode(resource: Resource) -> str:
    """In a searchset, Patients are what was asked for; the rest came with them."""
    return "match" if resource.get_resource_type() == "Patient" else "include"


def reader_name(client: FhirClient | None) -> str:
    """How the audit trail names who read: the client application, or the command line."""
    return f"fhir-client:{client.pk}:{client.name}"[:150] if client is not None else ""


def audit_fhir_read(
    *,
    client: FhirClient | None,
    interaction: str,
    patient: Patient | None,
    resource_type: str = "Patient",
    resource_count: int | None = None,
    query: str = "",
) -> None:
    """One entry naming the client, the interaction, the resource and the patient: READ
    for a client's request, EXPORT when the command line writes a Bundle out."""
    detail: dict[str, str | int | None] = {
        "client_id": client.pk if client is not None else None,
        "interaction": interaction,
        "resource_type": resource_type,
    }
    if resource_count is not None:
        detail["resources"] = resource_count
    if query:
        detail["query"] = query[:200]
    audit_record(
        action=AuditAction.EXPORT if interaction == "export" else AuditAction.READ,
        actor=None,
        actor_username=reader_name(client),
        object_type=f"fhir_{resource_type}"[:60],
        object_id=patient.pk if patient is not None else "",
        patient_id=patient.pk if patient is not None else "",
        detail=detail,
    )


def patient_bundle(
    *,
    patient: Patient,
    client: FhirClient | None,
    interaction: str,
    bundle_type: str,
    base_url: str,
    resource_types: Collection[str] = RESOURCE_TYPES,
) -> Bundle:
    """The patient's record as a Bundle, its read audited for `client` (None: the CLI)."""
    resources = patient_resources(patient, resource_types=resource_types)
    audit_fhir_read(
        client=client,
        interaction=interaction,
        patient=patient,
        resource_type="Bundle",
        resource_count=len(resources),
    )
    return make_bundle(resources, bundle_type=bundle_type, base_url=base_url)


def patients_by_identifier(*, system: str | None, value: str) -> list[Patient]:
    """Patients whose MRN is `value`, when `system` is ours or not given (None)."""
    if system is not None and system != MRN_SYSTEM:
        return []
    return list(Patient.objects.filter(mrn__iexact=value.strip()))
