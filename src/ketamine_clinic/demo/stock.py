"""The demo clinic's ketamine: its DEA registration, supplier, vials in the safe.

Received by the demo custodian a week before the demo day, through the same services
the custodian uses, under a travelled clock (as demo/day.py replays the morning), so
the receipts come before the day's draws in the record. Three synthetic lots of the
50 mg/mL 10 mL vial: one expiring within the warning window, two later. Every number,
name and lot is synthetic. Idempotent: once the clinic has received any stock, nothing
here changes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import confirmed_device
from ketamine_clinic.inventory.models import Product, Receipt, StorageLocation
from ketamine_clinic.inventory.selectors import stock_on_hand
from ketamine_clinic.inventory.services.stock import (
    ReceiptRequest,
    current_registration,
    registration_record,
    stock_receive,
    supplier_save,
)
from ketamine_clinic.inventory.services.use import DrawLine, syringe_account
from ketamine_clinic.inventory.witness import WitnessCredentials
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.orders.selectors import syringe_stock_ml

# Synthetic registrations with valid check digits (1+3+5 + 2*(2+4+6) = 33 -> 3;
# 7+5+0 + 2*(3+2+1) = 24 -> 4).
DEMO_DEA_NUMBER = "BK1234563"
DEMO_SUPPLIER_DEA = "PA7352014"
DEMO_SUPPLIER = "Synthetic Pharma Distribution (demo)"
DEMO_SAFE = "Safe 1 (medication room)"
DEMO_NDC = "0409-2053-10"
# (lot, days from the demo day to its expiry, vials). The first lot expires inside
# KC_CS_EXPIRY_WARNING_DAYS, so the expiry warning has something to show.
DEMO_LOTS: tuple[tuple[str, int, int], ...] = (
    ("KD2601A", 50, 2),
    ("KD2604B", 420, 4),
    ("KD2609C", 610, 4),
)
RECEIVED_DAYS_BEFORE = 7


def _product() -> Product:
    # Reference data, not a movement of stock: made directly until the products page's
    # service is in (the custodian can edit it there).
    product, _ = Product.objects.get_or_create(
        ndc=DEMO_NDC,
        defaults={
            "name": "Ketamine HCl injection 50 mg/mL (as base), 10 mL vial",
            "base_mg_per_ml": Decimal("50.00"),
            "salt_mg_per_ml": Decimal("57.65"),
            "container_ml": Decimal("10.00"),
        },
    )
    return product


def _safe() -> StorageLocation:
    location, _ = StorageLocation.objects.get_or_create(
        name=DEMO_SAFE, defaults={"description": "Bolted steel safe, dual key (demo)"}
    )
    return location


@transaction.atomic
def seed_demo_stock(today: date | None = None) -> int:
    """Receive the demo lots a week before `today`; return how many vials (0 if there)."""
    custodian = User.objects.filter(username="custodian").first()
    if custodian is None or Receipt.objects.exists():
        return 0
    day = today or timezone.localdate()
    received_on = day - timedelta(days=RECEIVED_DAYS_BEFORE)
    received_at = datetime.combine(received_on, time(9, 15), tzinfo=timezone.get_default_timezone())
    import time_machine  # the demo's dev dependency, as in demo/day.py

    with time_machine.travel(received_at, tick=False):
        if current_registration() is None:
            registration_record(
                by=custodian,
                number=DEMO_DEA_NUMBER,
                registrant_name="Harbour Ketamine Clinic (synthetic demo)",
                address="1 Example Quay, Springfield, ZZ 00000",
                expires_on=day + timedelta(days=540),
            )
        supplier = supplier_save(
            by=custodian,
            name=DEMO_SUPPLIER,
            address="9 Depot Road, Springfield, ZZ 00000",
            dea_number=DEMO_SUPPLIER_DEA,
        )
        product, location = _product(), _safe()
        vials = 0
        for number, (lot, expires_in_days, count) in enumerate(DEMO_LOTS, start=1):
            stock_receive(
                ReceiptRequest(
                    product=product,
                    location=location,
                    supplier=supplier,
                    lot_number=lot,
                    expiry_date=day + timedelta(days=expires_in_days),
                    invoice_number=f"DEMO-INV-{received_on:%y%m%d}-{number}",
                    received_on=received_on,
                    container_count=count,
                ),
                by=custodian,
            )
            vials += count
    return vials


def demo_draws(order: InfusionOrder) -> list[DrawLine]:
    """The order's stock from the soonest-expiring vial in date that holds enough."""
    needed_ml = syringe_stock_ml(order)
    today = timezone.localdate()
    for row in stock_on_hand():
        lot = row.container.lot
        if (
            lot.expiry_date >= today
            and lot.product.base_mg_per_ml == order.vial_strength_mg_per_ml
            and row.on_hand_ml >= needed_ml
        ):
            return [DrawLine(container_id=row.container.pk, volume_ml=needed_ml)]
    # No single vial holds it: the seed's stock always does, so this is a broken seed.
    raise ValueError(f"the demo safe has no vial holding {needed_ml} mL")


def demo_account(preparation: SyringePreparation, *, by: User) -> bool:
    """Close the syringe as the nurse would, the waste witnessed by the prescriber (or
    the custodian) typing the demo password; False if no witness could confirm.

    A demo witness who has since enrolled an authenticator gets the code it shows now;
    if that code was already used (a real sign-in this minute) the syringe is left for
    the nurse to account in the browser.
    """
    from ketamine_clinic.demo.seed import DEMO_PASSWORD
    from ketamine_clinic.demo.totp_code import code_for_key

    for username in ("prescriber", "custodian"):
        witness = User.objects.filter(username=username).first()
        if witness is None:
            continue
        device = confirmed_device(user=witness)
        code = code_for_key(_base32(device.bin_key)) if device is not None else ""
        try:
            syringe_account(
                preparation,
                by=by,
                witness=WitnessCredentials(username=username, password=DEMO_PASSWORD, code=code),
            )
        except ValidationError:
            continue
        return True
    return False


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode()
