"""A known month of the controlled-substance record, for the report and count page tests.

Every step goes through the real services under a frozen clock (New York time):

* 2 Mar: lot R2603A, 3 vials of 50 mg/mL x 10 mL (1500.00 mg), invoice INV-7001;
* 5 Mar: lot R2603B, 2 vials (1000.00 mg), invoice INV-7002;
* 10 Mar 09:30: the nurse draws 0.60 mL from R2603A-01 and 0.40 mL from R2603A-02
  (50.00 mg) for the visit's syringe; the prescriber verifies it; the pump runs 55 min
  and stops; at 10:30 the nurse accounts for it, the prescriber witnessing the waste;
* 11 Mar: R2603A-03 destroyed on site (contaminated, two witnesses, Form 41 ref.) and
  R2603B-02 returned to a reverse distributor (recalled, one witness);
* 12 Mar 17:00: the biennial inventory at close of business: both counters see
  9.40 mL in R2603A-01, 9.50 mL in R2603A-02 (the record says 9.60: 5.00 mg missing)
  and a sealed R2603B-01;
* 13 Mar: the clinic lead resolves the discrepancy as a loss (Form 106 F106-2026-001).

Witnesses re-enter their password; personas get an authenticator only when a test
signs them in (tests/conftest.client_for), so build the month before making clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from ketamine_clinic.accounts.models import User
from ketamine_clinic.infusion.services import infusion_start, infusion_stop
from ketamine_clinic.inventory.enums import (
    CountKind,
    CountTiming,
    DiscrepancyOutcome,
    DisposalMethod,
    DisposalReason,
)
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    Discrepancy,
    Lot,
    Product,
    StorageLocation,
    SyringeAccount,
)
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
)
from ketamine_clinic.inventory.services.stock import (
    ReceiptRequest,
    RemovalRequest,
    registration_record,
    stock_receive,
    stock_remove,
    supplier_save,
)
from ketamine_clinic.inventory.services.use import DrawLine, syringe_account
from ketamine_clinic.inventory.witness import WitnessCredentials
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.orders.services import syringe_prepare, syringe_verify
from ketamine_clinic.visits.models import Visit
from tests.conftest import PERSONA_PASSWORD
from tests.infusion.support import at, make_ready_visit
from tests.visits.support import NOW, frozen

# 1+3+5 + 2*(2+4+6) = 33: check digit 3. 7+5+0 + 2*(3+2+1) = 24: check digit 4.
CLINIC_DEA = "BK1234563"
SUPPLIER_DEA = "PA7352014"
NDC = "0409-2053-10"
PRODUCT_NAME = "Ketamine HCl injection 50 mg/mL (base), 10 mL vial"
SUPPLIER_NAME = "Synthetic Pharma Distribution"
SUPPLIER_ADDRESS = "9 Depot Road, Springfield"
REGISTRANT = "Harbour Ketamine Clinic (synthetic)"

RECEIVED_A = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 EST
RECEIVED_B = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
DISPOSED_AT = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)  # 10:00 EDT
RETURNED_AT = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
COUNTED_AT = datetime(2026, 3, 12, 21, 0, tzinfo=UTC)  # 17:00 EDT
RESOLVED_AT = datetime(2026, 3, 13, 14, 0, tzinfo=UTC)

LOSS_NOTES = "Vial R2603A-02 short by 0.10 mL; CCTV reviewed; police report 26-1180."
FORM_106 = "F106-2026-001"


def witness(persona: User) -> WitnessCredentials:
    return WitnessCredentials(username=persona.username, password=PERSONA_PASSWORD)


@dataclass(frozen=True)
class Month:
    lot_a: Lot
    lot_b: Lot
    containers: dict[str, Container]
    visit: Visit
    preparation: SyringePreparation
    account: SyringeAccount
    count: Count
    discrepancy: Discrepancy


def receive(personas: dict[str, User]) -> tuple[Lot, Lot, dict[str, Container]]:
    """The two receipts of the month (2 and 5 March), with their reference data."""
    keeper = personas["custodian"]
    with frozen(RECEIVED_A):
        registration_record(
            by=keeper,
            number=CLINIC_DEA,
            registrant_name=REGISTRANT,
            address="1 Test Quay, Springfield",
            expires_on=date(2028, 2, 29),
        )
        supplier = supplier_save(
            by=keeper, name=SUPPLIER_NAME, address=SUPPLIER_ADDRESS, dea_number=SUPPLIER_DEA
        )
        product = Product.objects.create(
            name=PRODUCT_NAME,
            ndc=NDC,
            base_mg_per_ml=Decimal("50.00"),
            salt_mg_per_ml=Decimal("57.65"),
            container_ml=Decimal("10.00"),
        )
        safe = StorageLocation.objects.create(name="Safe R", description="Bolted, dual key")
        first = stock_receive(
            ReceiptRequest(
                product=product,
                location=safe,
                supplier=supplier,
                lot_number="R2603A",
                expiry_date=date(2027, 6, 30),
                invoice_number="INV-7001",
                received_on=RECEIVED_A.date(),
                container_count=3,
            ),
            by=keeper,
        )
    with frozen(RECEIVED_B):
        second = stock_receive(
            ReceiptRequest(
                product=product,
                location=safe,
                supplier=supplier,
                lot_number="R2603B",
                expiry_date=date(2027, 9, 30),
                invoice_number="INV-7002",
                received_on=RECEIVED_B.date(),
                container_count=2,
            ),
            by=keeper,
        )
    containers = {c.label: c for c in Container.objects.order_by("label")}
    return first.lot, second.lot, containers


def month(personas: dict[str, User]) -> Month:
    """The whole month above; returns what the tests look up."""
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    keeper, lead = personas["custodian"], personas["clinic_lead"]
    lot_a, lot_b, containers = receive(personas)

    visit = make_ready_visit(personas)
    order = current_order(visit)
    assert order is not None
    with frozen(NOW):
        # The order's syringe takes 0.73 mL of stock (36.25 mg at 50 mg/mL, rounded up);
        # the nurse draws 1.00 mL from two vials.
        preparation = syringe_prepare(
            order,
            by=nurse,
            draws=[
                DrawLine(containers["R2603A-01"].pk, Decimal("0.60")),
                DrawLine(containers["R2603A-02"].pk, Decimal("0.40")),
            ],
        )
        syringe_verify(preparation, by=prescriber)
    with frozen(at(0)):
        infusion_start(visit, by=nurse)
    with frozen(at(55)):
        infusion_stop(visit, by=nurse)
    with frozen(at(60)):
        account = syringe_account(preparation, by=nurse, witness=witness(prescriber))

    with frozen(DISPOSED_AT):
        stock_remove(
            RemovalRequest(
                container=containers["R2603A-03"],
                method=DisposalMethod.ON_SITE_DESTRUCTION,
                reason=DisposalReason.CONTAMINATED,
                reference="Form 41 #41-0007",
                notes="Particles seen in the vial.",
            ),
            by=keeper,
            witness=witness(nurse),
            second_witness=witness(prescriber),
        )
    with frozen(RETURNED_AT):
        stock_remove(
            RemovalRequest(
                container=containers["R2603B-02"],
                method=DisposalMethod.REVERSE_DISTRIBUTOR,
                reason=DisposalReason.RECALLED,
                reference="RD-5521",
            ),
            by=keeper,
            witness=witness(nurse),
        )

    with frozen(COUNTED_AT):
        count = count_start(by=keeper, kind=CountKind.BIENNIAL, timing=CountTiming.CLOSE)
        figures = {"R2603A-01": "9.40", "R2603A-02": "9.50", "R2603B-01": "10.00"}
        for counter in (keeper, prescriber):
            for label, volume_ml in figures.items():
                count_enter(
                    count, by=counter, container=containers[label], counted_ml=Decimal(volume_ml)
                )
        closure = count_close(count, by=keeper)
    discrepancy = Discrepancy.objects.get(line__closure=closure)
    with frozen(RESOLVED_AT):
        discrepancy_resolve(
            discrepancy,
            by=lead,
            outcome=DiscrepancyOutcome.LOSS,
            notes=LOSS_NOTES,
            form_106_reference=FORM_106,
        )
    return Month(
        lot_a=lot_a,
        lot_b=lot_b,
        containers=containers,
        visit=visit,
        preparation=preparation,
        account=account,
        count=count,
        discrepancy=discrepancy,
    )
