"""Sample values for URL parameters, so the role matrix can request every view.

The matrix fills `<int:user_id>` in a route from the sample registered for "user_id".
A view with a new parameter name registers one here, from objects the test creates:

    @sample("patient_id")
    def _patient(personas: Mapping[str, User]) -> object:
        return patient_create(..., by=personas["front_desk"]).pk

Samples are made only for parameters some URL actually has, once per test. A sample
should be an object that exists and that none of the personas owns, so that a view
that lets a persona in answers 200 or 404, never 401 or 403, whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.services import api_token_create
from ketamine_clinic.inventory.models import Receipt
from tests.conftest import make_staff

SampleMaker = Callable[[Mapping[str, User]], object]

SAMPLES: dict[str, SampleMaker] = {}


def sample(parameter: str) -> Callable[[SampleMaker], SampleMaker]:
    """Register how to make a value for the URL parameter named `parameter`."""

    def register(maker: SampleMaker) -> SampleMaker:
        if parameter in SAMPLES:
            raise ValueError(f"a sample for {parameter!r} is already registered")
        SAMPLES[parameter] = maker
        return maker

    return register


def make_samples(personas: Mapping[str, User], parameters: Iterable[str]) -> dict[str, object]:
    """Values for those of `parameters` that have a registered sample."""
    return {name: SAMPLES[name](personas) for name in sorted(set(parameters)) if name in SAMPLES}


@sample("user_id")
def _user_id(personas: Mapping[str, User]) -> object:
    return personas["nurse"].pk


@sample("token_id")
def _token_id(personas: Mapping[str, User]) -> object:
    # Someone else's token: every persona's DELETE finds nothing (404), none revokes it.
    owner = make_staff("matrix_token_owner")
    return api_token_create(user=owner, name="role matrix sample", by=None).token.pk


@sample("patient_id")
def _patient_id(personas: Mapping[str, User]) -> object:
    from tests.patients.factories import make_patient

    return make_patient("Matrix", "Samplepatient").pk


@sample("form_key")
def _form_key(personas: Mapping[str, User]) -> object:
    return "phq9"


def _chart_patient() -> object:
    """One patient for the chart items' samples, made once per test: every item sample
    belongs to this patient, and the `patient_id` sample is another one, so a view that
    lets a persona in answers 404 (an item of some other patient), never 403."""
    from datetime import date

    from tests.patients.factories import make_patient

    return make_patient("Matrix", "Itemowner", born=date(1980, 1, 1))


@sample("weight_id")
def _weight_id(personas: Mapping[str, User]) -> object:
    from datetime import date
    from decimal import Decimal

    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.patients.services.weights import weight_record

    patient = _chart_patient()
    assert isinstance(patient, Patient)
    return weight_record(
        patient=patient, value=Decimal(70), unit="kg", measured_on=date(2020, 1, 1), by=None
    ).pk


@sample("allergy_id")
def _allergy_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.patients.services.allergies import allergy_add

    patient = _chart_patient()
    assert isinstance(patient, Patient)
    return allergy_add(patient=patient, substance="Latex", severity="mild", by=None).pk


@sample("medication_id")
def _medication_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.patients.services.medications import medication_add

    patient = _chart_patient()
    assert isinstance(patient, Patient)
    return medication_add(patient=patient, name="Lorazepam", by=None).pk


@sample("diagnosis_id")
def _diagnosis_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.patients.models import Patient
    from ketamine_clinic.patients.services.diagnoses import diagnosis_add

    patient = _chart_patient()
    assert isinstance(patient, Patient)
    return diagnosis_add(patient=patient, code="F33.1", by=None).pk


@sample("flag_id")
def _flag_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.assessments.services import record_response
    from tests.patients.factories import make_patient

    patient = make_patient("Matrix", "Flagpatient")
    response = record_response(
        patient, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1], actor=personas["nurse"], channel="staff"
    )
    return response.risk_flags.get().pk


@sample("assessment_id")
def _assessment_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.screening.services import record_screening
    from tests.patients.factories import make_patient

    patient = make_patient("Matrix", "Screenpatient")
    return record_screening(patient, {}, actor=personas["nurse"], channel="staff").pk


@sample("instrument_key")
def _instrument_key(personas: Mapping[str, User]) -> object:
    return "phq9"


# consent: a published version, and a signature of it by a patient none of the personas
# owns (made through the services, with a real drawn PNG).
@sample("document_id")
def _document_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.consent.services import consent_seed

    return consent_seed().pk


@sample("signature_id")
def _signature_id(personas: Mapping[str, User]) -> object:
    from tests.consent.support import make_signature

    return make_signature(witness=personas["nurse"]).pk


# clinicday: a visit of a patient none of the personas owns, booked tomorrow.
@sample("visit_id")
def _visit_id(personas: Mapping[str, User]) -> object:
    from datetime import timedelta

    from django.utils import timezone

    from ketamine_clinic.visits.services import visit_schedule
    from tests.patients.factories import make_patient

    patient = make_patient("Matrix", "Visitpatient")
    start = timezone.now() + timedelta(days=1)
    return visit_schedule(patient=patient, scheduled_start=start, by=personas["front_desk"]).pk


@sample("course_id")
def _course_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.courses.services import course_start
    from tests.patients.factories import make_patient

    patient = make_patient("Matrix", "Coursepatient")
    return course_start(patient=patient, by=personas["prescriber"]).pk


@sample("room_id")
def _room_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.booking.models import Room

    return Room.objects.create(name="Matrix room", display_order=90).pk


@sample("shift_id")
def _shift_id(personas: Mapping[str, User]) -> object:
    # A future shift of someone who is not a persona: removing it is the lead's alone.
    from datetime import timedelta

    from django.utils import timezone

    from ketamine_clinic.accounts.enums import Role
    from ketamine_clinic.booking.models import StaffShift

    nurse = make_staff("matrix_shift_nurse", Role.NURSE)
    starts = timezone.now() + timedelta(days=2)
    return StaffShift.objects.create(
        staff=nurse,
        role="nurse",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        recorded_at=timezone.now(),
        recorded_by=personas["clinic_lead"],
    ).pk


@sample("device_id")
def _device_id(personas: Mapping[str, User]) -> object:
    # A spare monitor in no room: opening its page changes nothing.
    from django.utils import timezone

    from ketamine_clinic.monitoring.models import Device, DeviceKind

    return Device.objects.create(
        eui64="00A0C9FFFE00F00D",
        kind=DeviceKind.MONITOR,
        model="Matrix VS-1",
        in_use=False,
        registered_at=timezone.now(),
    ).pk


@sample("alarm_id")
def _alarm_id(personas: Mapping[str, User]) -> object:
    # An ended alarm in a room of its own, on no visit: its page only reads.
    from django.utils import timezone

    from ketamine_clinic.booking.models import Room
    from ketamine_clinic.monitoring.models import Alarm

    room = Room.objects.create(name="Matrix alarm room", display_order=91)
    return Alarm.objects.create(
        alarm_id=f"{room.pk}/hr_high/20261126T150000.000000Z",
        room=room,
        condition="hr_high",
        priority="high",
        kind="physiological",
        message="HR high 150 > 120",
        raised_at=timezone.now(),
        state="ended",
        ended_at=timezone.now(),
    ).alarm_id


# inventory, the stock pages: one receipt of two vials made through the service (a lot
# none of the pages changes by being opened), shared by the container, receipt and entry
# samples of one test.
def _matrix_receipt(personas: Mapping[str, User]) -> Receipt:
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from ketamine_clinic.inventory.models import (
        DeaRegistration,
        Product,
        StorageLocation,
        Supplier,
    )
    from ketamine_clinic.inventory.services.stock import ReceiptRequest, stock_receive

    existing = Receipt.objects.filter(invoice_number="MATRIX-INV").first()
    if existing is not None:
        return existing
    keeper = personas["custodian"]
    today = timezone.localdate()
    DeaRegistration.objects.create(
        number="BK1234563",
        registrant_name="Matrix clinic",
        address="1 Sample Way",
        expires_on=today + timedelta(days=365),
        recorded_by=keeper,
        recorded_at=timezone.now(),
    )
    return stock_receive(
        ReceiptRequest(
            product=Product.objects.create(
                name="Matrix ketamine 50 mg/mL, 10 mL",
                ndc="0000-0000-01",
                base_mg_per_ml=Decimal("50.00"),
                salt_mg_per_ml=Decimal("57.65"),
                container_ml=Decimal("10.00"),
            ),
            location=StorageLocation.objects.create(name="Matrix safe"),
            supplier=Supplier.objects.create(
                name="Matrix supplier", address="2 Sample Way", dea_number="PA7352014"
            ),
            lot_number="MATRIX1",
            expiry_date=today + timedelta(days=400),
            invoice_number="MATRIX-INV",
            received_on=today,
            container_count=2,
        ),
        by=keeper,
    )


@sample("receipt_id")
def _receipt_id(personas: Mapping[str, User]) -> object:
    return _matrix_receipt(personas).pk


@sample("container_id")
def _container_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.inventory.models import Container

    return Container.objects.filter(receipt=_matrix_receipt(personas)).order_by("label")[0].pk


@sample("entry_id")
def _entry_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.inventory.models import StockEntry

    return StockEntry.objects.filter(receipt=_matrix_receipt(personas)).order_by("id")[0].pk


@sample("supplier_id")
def _supplier_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.inventory.models import Supplier

    receipt = _matrix_receipt(personas)
    return Supplier.objects.get(receipts=receipt).pk


# inventory, the count pages: a closed count of two vials in a safe of its own, one of
# them counted 1 mL short, so it opened a discrepancy (left open: no page changes it by
# being opened). Shared by the count and discrepancy samples of one test.
def _matrix_count(personas: Mapping[str, User]) -> object:
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from ketamine_clinic.inventory.models import (
        Container,
        CountClosure,
        Product,
        StorageLocation,
        Supplier,
    )
    from ketamine_clinic.inventory.services.counts import count_close, count_enter, count_start
    from ketamine_clinic.inventory.services.stock import (
        ReceiptRequest,
        current_registration,
        registration_record,
        stock_receive,
    )

    existing = CountClosure.objects.filter(count__location__name="Matrix count safe").first()
    if existing is not None:
        return existing
    keeper, second = personas["custodian"], personas["prescriber"]
    today = timezone.localdate()
    if current_registration() is None:
        registration_record(
            by=keeper,
            number="BK1234563",
            registrant_name="Matrix clinic",
            address="1 Sample Way",
            expires_on=today + timedelta(days=365),
        )
    safe = StorageLocation.objects.create(name="Matrix count safe")
    stock_receive(
        ReceiptRequest(
            product=Product.objects.create(
                name="Matrix count ketamine 50 mg/mL, 10 mL",
                ndc="0000-0000-02",
                base_mg_per_ml=Decimal("50.00"),
                salt_mg_per_ml=Decimal("57.65"),
                container_ml=Decimal("10.00"),
            ),
            location=safe,
            supplier=Supplier.objects.create(
                name="Matrix count supplier", address="3 Sample Way", dea_number="PA7352014"
            ),
            lot_number="MATRIXC",
            expiry_date=today + timedelta(days=400),
            invoice_number="MATRIX-COUNT-INV",
            received_on=today,
            container_count=2,
        ),
        by=keeper,
    )
    count = count_start(by=keeper, location=safe)
    for counter in (keeper, second):
        for container, volume_ml in zip(
            Container.objects.filter(location=safe).order_by("label"),
            ("10.00", "9.00"),
            strict=True,
        ):
            count_enter(count, by=counter, container=container, counted_ml=Decimal(volume_ml))
    return count_close(count, by=keeper)


@sample("count_id")
def _count_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.inventory.models import CountClosure

    closure = _matrix_count(personas)
    assert isinstance(closure, CountClosure)
    return closure.count_id


@sample("discrepancy_id")
def _discrepancy_id(personas: Mapping[str, User]) -> object:
    from ketamine_clinic.inventory.models import CountClosure, Discrepancy

    closure = _matrix_count(personas)
    assert isinstance(closure, CountClosure)
    return Discrepancy.objects.get(line__closure=closure).pk
