"""Stock for the inventory's service, invariant and concurrency tests.

One product (ketamine HCl 50 mg/mL base, 10 mL vials: 500.00 mg a vial), one safe, one
supplier and a DEA registration valid for a year. Witnesses are personas, who all share
PERSONA_PASSWORD.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Model
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Product,
    Receipt,
    StockEntry,
    StorageLocation,
    Supplier,
)
from ketamine_clinic.inventory.services.stock import ReceiptRequest, stock_receive
from ketamine_clinic.inventory.witness import WitnessCredentials
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from tests.conftest import PERSONA_PASSWORD

# Two letters, seven digits; 1+3+5 + 2*(2+4+6) = 33, check digit 3.
CLINIC_DEA = "BK1234563"
# 7+5+0 + 2*(3+2+1) = 24, check digit 4.
SUPPLIER_DEA = "PA7352014"
VIAL_MG = Decimal("500.00")  # 50 mg/mL base x 10 mL


def today() -> date:
    return timezone.localdate()


def registration(by: User, *, expires_on: date | None = None) -> DeaRegistration:
    """The clinic's registration, made directly (the service is tested on its own)."""
    return DeaRegistration.objects.create(
        number=CLINIC_DEA,
        registrant_name="Harbour Ketamine Clinic (synthetic)",
        address="1 Test Quay, Springfield",
        expires_on=expires_on or today() + timedelta(days=365),
        recorded_by=by,
        recorded_at=timezone.now(),
    )


def product(*, strength_mg_per_ml: str = "50.00", ndc: str = "0409-2053-10") -> Product:
    return Product.objects.create(
        name=f"Ketamine HCl injection {strength_mg_per_ml} mg/mL, 10 mL vial",
        ndc=ndc,
        base_mg_per_ml=Decimal(strength_mg_per_ml),
        salt_mg_per_ml=(Decimal(strength_mg_per_ml) * Decimal("1.153")).quantize(Decimal("0.01")),
        container_ml=Decimal("10.00"),
    )


def safe() -> StorageLocation:
    return StorageLocation.objects.create(name="Safe A", description="Bolted, dual key")


def supplier() -> Supplier:
    return Supplier.objects.create(
        name="Synthetic Pharma Distribution", address="9 Depot Road", dea_number=SUPPLIER_DEA
    )


class Stock:
    """The reference data a receipt needs, made once per test."""

    def __init__(self, keeper: User, *, with_registration: bool = True) -> None:
        self.keeper = keeper
        self.registration = registration(keeper) if with_registration else None
        self.product = product()
        self.location = safe()
        self.supplier = supplier()

    @classmethod
    def on_file(cls, keeper: User, container: Container) -> Stock:
        """The reference data a committed vial was received with (no new rows)."""
        store = cls.__new__(cls)
        store.keeper, store.registration = keeper, None
        store.product, store.location = container.lot.product, container.location
        store.supplier = container.receipt.supplier
        return store

    def request(
        self,
        lot_number: str = "K2611A",
        *,
        containers: int = 2,
        expiry: date | None = None,
        received_on: date | None = None,
        invoice: str = "INV-0001",
    ) -> ReceiptRequest:
        return ReceiptRequest(
            product=self.product,
            location=self.location,
            supplier=self.supplier,
            lot_number=lot_number,
            expiry_date=expiry or today() + timedelta(days=400),
            invoice_number=invoice,
            received_on=received_on or today(),
            container_count=containers,
        )

    def receive(self, lot_number: str = "K2611A", *, containers: int = 2) -> list[Container]:
        receipt = stock_receive(self.request(lot_number, containers=containers), by=self.keeper)
        return list(receipt.containers.order_by("label"))


def witness(user: User, *, password: str = PERSONA_PASSWORD, code: str = "") -> WitnessCredentials:
    return WitnessCredentials(username=user.username, password=password, code=code)


_MRNS = itertools.count(990001)


def cheap_order(prescriber: User, *, state: VisitState = VisitState.READY) -> InfusionOrder:
    """A visit and its order written directly: the stock services read only the order's
    vial strength (50 mg/mL) and, to account, the visit's state."""
    now = timezone.now()
    patient = Patient.objects.create(
        mrn=f"KC{next(_MRNS)}",
        legal_first_name="Stock",
        legal_last_name="Testpatient",
        date_of_birth=date(1980, 1, 1),
        sex_at_birth="female",
        created_at=now,
    )
    visit = Visit.objects.create(
        patient=patient,
        scheduled_start=now,
        planned_preparation_min=20,
        planned_infusion_min=55,
        planned_recovery_min=30,
        created_at=now,
        state=state,
        state_changed_at=now,
    )
    return InfusionOrder.objects.create(
        visit=visit,
        ordered_by=prescriber,
        ordered_at=now,
        weight_kg=Decimal("72.50"),
        weight_measured_on=now.date(),
        dose_mg_per_kg=Decimal("0.500"),
        duration_min=55,
        vial_strength_mg_per_ml=Decimal("50.00"),
        concentration_mg_per_ml=Decimal("1.00"),
        care_area="adult_infusion",
        plan={},
        verdict="ok",
    )


def preparation(order: InfusionOrder, by: User, *, stock_ml: str = "0.01") -> SyringePreparation:
    """A syringe record made directly; `stock_ml` is the least a draw for it must total."""
    return SyringePreparation.objects.create(
        order=order,
        prepared_by=by,
        prepared_at=timezone.now(),
        vial_lots="see the stock record",
        stock_volume_ml=Decimal(stock_ml),
        diluent_volume_ml=Decimal("0.00"),
    )


def entries(container: Container) -> list[tuple[str, Decimal]]:
    return list(
        StockEntry.objects.filter(container=container).order_by("id").values_list("kind", "mg")
    )


def kinds(container: Container) -> list[str]:
    return [kind for kind, _ in entries(container)]


def row_counts(*models: type[Model]) -> dict[str, int]:
    """How many rows each model holds: a refusal must leave every one unchanged."""
    return {model.__name__: model._default_manager.count() for model in models}


LEDGER_MODELS: tuple[type[Model], ...] = (StockEntry, Container, Receipt)
