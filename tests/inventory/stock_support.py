"""Ketamine in the safe, for any test that prepares a syringe: `receive_stock(personas)`.

Received through the real services by the custodian persona, on the clock's date (call
it under the test's frozen clock): the clinic's DEA registration, a supplier, the
50 mg/mL 10 mL vial (500.00 mg base a vial) in "Safe 1", and two lots. Each helper
is idempotent about its reference data, so a test may receive more lots later.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.models import Container, Product, StorageLocation, Supplier
from ketamine_clinic.inventory.services.stock import (
    ReceiptRequest,
    current_registration,
    registration_record,
    stock_receive,
)
from ketamine_clinic.inventory.services.use import DrawLine
from ketamine_clinic.inventory.witness import WitnessCredentials
from tests.conftest import PERSONA_PASSWORD

# 1+3+5 + 2*(2+4+6) = 33: check digit 3 (both synthetic).
STOCK_CLINIC_DEA = "BK1234563"
STOCK_SUPPLIER_DEA = "PA7352014"
VIAL_NDC = "0409-2053-10"
# (lot, expiry, vials): the soonest-expiring lot first, as the stock list shows them.
STOCK_LOTS: tuple[tuple[str, date, int], ...] = (
    ("K2611A", date(2027, 5, 31), 2),
    ("K2702B", date(2027, 8, 31), 1),
)


def vial_product(*, strength_mg_per_ml: str = "50.00", ndc: str = VIAL_NDC) -> Product:
    strength = Decimal(strength_mg_per_ml)
    product, _ = Product.objects.get_or_create(
        ndc=ndc,
        defaults={
            "name": f"Ketamine HCl injection {strength_mg_per_ml} mg/mL (base), 10 mL vial",
            "base_mg_per_ml": strength,
            "salt_mg_per_ml": (strength * Decimal("1.153")).quantize(Decimal("0.01")),
            "container_ml": Decimal("10.00"),
        },
    )
    return product


def receive_lot(
    keeper: User,
    lot_number: str,
    expiry: date,
    vials: int = 1,
    *,
    product: Product | None = None,
) -> list[Container]:
    """`vials` sealed containers of one lot, received today by `keeper`."""
    today = timezone.localdate()
    if current_registration() is None:
        registration_record(
            by=keeper,
            number=STOCK_CLINIC_DEA,
            registrant_name="Harbour Ketamine Clinic (synthetic)",
            address="1 Test Quay, Springfield",
            expires_on=today + timedelta(days=730),
        )
    supplier, _ = Supplier.objects.get_or_create(
        name="Synthetic Pharma Distribution",
        defaults={"address": "9 Depot Road", "dea_number": STOCK_SUPPLIER_DEA},
    )
    location, _ = StorageLocation.objects.get_or_create(
        name="Safe 1", defaults={"description": "Bolted, dual key"}
    )
    receipt = stock_receive(
        ReceiptRequest(
            product=product or vial_product(),
            location=location,
            supplier=supplier,
            lot_number=lot_number,
            expiry_date=expiry,
            invoice_number=f"INV-{lot_number}",
            received_on=today,
            container_count=vials,
        ),
        by=keeper,
    )
    return list(receipt.containers.order_by("label"))


def receive_stock(personas: dict[str, User]) -> list[Container]:
    """The clinic's stock (STOCK_LOTS), received by the custodian: K2611A-01, -02, K2702B-01."""
    return [
        container
        for lot_number, expiry, vials in STOCK_LOTS
        for container in receive_lot(personas["custodian"], lot_number, expiry, vials)
    ]


def draw_from(container: Container, volume_ml: str | Decimal) -> list[DrawLine]:
    """One draw line: `volume_ml` from `container`."""
    return [DrawLine(container_id=container.pk, volume_ml=Decimal(str(volume_ml)))]


def witness(user: User, *, password: str = PERSONA_PASSWORD, code: str = "") -> WitnessCredentials:
    """`user` witnessing with the personas' shared password (or the one given)."""
    return WitnessCredentials(username=user.username, password=password, code=code)
