"""Reference data for the stock pages' tests: what a clinic sets up before its first
delivery (registration, product, safe, supplier), made directly so each page's test
starts from the same known state. 50 mg/mL base x 10 mL = 500.00 mg a vial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Product,
    Receipt,
    StorageLocation,
    Supplier,
)
from ketamine_clinic.inventory.services.stock import ReceiptRequest, stock_receive

# 1+3+5 + 2*(2+4+6) = 33: check digit 3.
CLINIC_DEA = "BK1234563"
# 7+5+0 + 2*(3+2+1) = 24: check digit 4.
SUPPLIER_DEA = "PA7352014"


def today() -> date:
    return timezone.localdate()


@dataclass
class Setup:
    keeper: User
    product: Product
    location: StorageLocation
    supplier: Supplier
    registration: DeaRegistration | None

    def receive_form(self, **changes: Any) -> dict[str, Any]:
        """What the receive form posts for 3 vials of lot K2611A."""
        data: dict[str, Any] = {
            "product": self.product.pk,
            "lot_number": "K2611A",
            "expiry_date": (today() + timedelta(days=400)).isoformat(),
            "supplier": self.supplier.pk,
            "invoice_number": "INV-2611",
            "received_on": today().isoformat(),
            "container_count": 3,
            "location": self.location.pk,
            "notes": "",
        }
        data.update(changes)
        return data

    def receive(self, lot_number: str = "K2611A", containers: int = 3) -> Receipt:
        return stock_receive(
            ReceiptRequest(
                product=self.product,
                location=self.location,
                supplier=self.supplier,
                lot_number=lot_number,
                expiry_date=today() + timedelta(days=400),
                invoice_number="INV-2611",
                received_on=today(),
                container_count=containers,
            ),
            by=self.keeper,
        )

    def containers(self) -> list[Container]:
        return list(Container.objects.order_by("label"))


def set_up(keeper: User, *, with_registration: bool = True) -> Setup:
    registration = (
        DeaRegistration.objects.create(
            number=CLINIC_DEA,
            registrant_name="Harbour Ketamine Clinic (synthetic)",
            address="1 Test Quay, Springfield",
            expires_on=today() + timedelta(days=365),
            recorded_by=keeper,
            recorded_at=timezone.now(),
        )
        if with_registration
        else None
    )
    return Setup(
        keeper=keeper,
        product=Product.objects.create(
            name="Ketamine HCl injection 50 mg/mL, 10 mL vial",
            ndc="0409-2053-10",
            base_mg_per_ml=Decimal("50.00"),
            salt_mg_per_ml=Decimal("57.65"),
            container_ml=Decimal("10.00"),
        ),
        location=StorageLocation.objects.create(name="Safe A", description="Bolted, dual key"),
        supplier=Supplier.objects.create(
            name="Synthetic Pharma Distribution", address="9 Depot Road", dea_number=SUPPLIER_DEA
        ),
        registration=registration,
    )


def text_of(response: Any) -> str:
    return str(response.content.decode())
