"""Stock coming in and going out: the registration, receipts, disposal, returns, corrections.

Only the custodian and prescribers hold the keys to the safe (policies.py). Each service
checks everything before it writes, so a refusal changes nothing, and names the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import Bucket, DisposalMethod, DisposalReason, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Lot,
    Product,
    Receipt,
    StockEntry,
    StorageLocation,
    Supplier,
    SyringeAccount,
)
from ketamine_clinic.inventory.policies import STOCK_KEEPER_ROLES
from ketamine_clinic.inventory.services.common import audit, require_role
from ketamine_clinic.inventory.witness import WitnessCredentials, witness_confirm
from ketamine_clinic.orders.models import SyringePreparation

# A DEA registration number: two letters and seven digits (21 CFR 1301.14 does not print
# the format; the DEA's registrant guidance does). The check digit is verified below.
DEA_NUMBER = re.compile(r"^[A-Z]{2}\d{7}$")
DEA_FORMAT = "A DEA number is two letters and seven digits, e.g. BK1234563."
DEA_CHECK_DIGIT = "{number} fails the DEA check digit: look at the certificate again."
NO_REGISTRATION = (
    "No DEA registration is on file: record the clinic's registration before receiving stock."
)
REGISTRATION_EXPIRED = (
    "The DEA registration on file expired on {day}: renew it before receiving stock."
)
RECEIVED_IN_FUTURE = "The date received cannot be after today."
EXPIRY_BEFORE_RECEIPT = "This lot expired on {day}, before it was received: do not accept it."
LOT_EXPIRY_DIFFERS = "Lot {lot} is on file with expiry {day}: check the label."
COUNT_RANGE = "Receive between 1 and 200 containers at a time."
REQUIRED = "This is required."
DISPOSE_NOTHING = "{label} has nothing on hand to dispose of or return."
OTHER_NEEDS_NOTES = "Say in the notes why this stock is being removed."
CORRECT_ZERO = "A correction must change the amount: enter the difference in mg, not zero."
CORRECT_CORRECTION = "Correct the original entry, not a correction of it."
CORRECT_ACCOUNTED = (
    "This syringe has been accounted for with a witness; its given and wasted amounts are "
    "the administration record and cannot be corrected here."
)
CORRECT_REASON = "Say why the entry is wrong."
CORRECT_BELOW_ZERO = (
    "The entry and its corrections come to {net} mg: a correction cannot take back more than that."
)

MAX_CONTAINERS_PER_RECEIPT = 200


def dea_check_digit_ok(number: str) -> bool:
    """The DEA number's last digit: (d1+d3+d5 + 2*(d2+d4+d6)) mod 10."""
    digits = [int(c) for c in number[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    return total % 10 == digits[6]


def _dea_number(value: str, field: str) -> str:
    number = value.strip().upper()
    if not DEA_NUMBER.match(number):
        raise ValidationError({field: DEA_FORMAT})
    if not dea_check_digit_ok(number):
        raise ValidationError({field: DEA_CHECK_DIGIT.format(number=number)})
    return number


@transaction.atomic
def registration_record(
    *,
    by: User,
    number: str,
    registrant_name: str,
    address: str,
    expires_on: date,
    schedules: str = "3, 3N",
) -> DeaRegistration:
    require_role(by, STOCK_KEEPER_ROLES, "record the DEA registration")
    dea = _dea_number(number, "number")
    if not registrant_name.strip():
        raise ValidationError({"registrant_name": REQUIRED})
    if not address.strip():
        raise ValidationError({"address": REQUIRED})
    registration = DeaRegistration.objects.create(
        number=dea,
        registrant_name=registrant_name.strip(),
        address=address.strip(),
        schedules=schedules.strip() or "3, 3N",
        expires_on=expires_on,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    audit(
        AuditAction.CREATE,
        by,
        "dea_registration",
        registration.pk,
        number=dea,
        expires_on=expires_on,
    )
    return registration


def current_registration() -> DeaRegistration | None:
    return DeaRegistration.objects.order_by("-recorded_at", "-id").first()


@transaction.atomic
def supplier_save(
    *, by: User, name: str, address: str, dea_number: str, supplier: Supplier | None = None
) -> Supplier:
    """Add or update a supplier; receipts already made keep the details they were made with."""
    require_role(by, STOCK_KEEPER_ROLES, "keep the list of suppliers")
    if not name.strip():
        raise ValidationError({"name": REQUIRED})
    if not address.strip():
        raise ValidationError({"address": REQUIRED})
    dea = _dea_number(dea_number, "dea_number")
    target = supplier or Supplier()
    target.name, target.address, target.dea_number = name.strip(), address.strip(), dea
    target.save()
    audit(
        AuditAction.CREATE if supplier is None else AuditAction.UPDATE,
        by,
        "supplier",
        target.pk,
        name=target.name,
        dea_number=dea,
    )
    return target


@dataclass(frozen=True)
class ReceiptRequest:
    product: Product
    location: StorageLocation
    supplier: Supplier
    lot_number: str
    expiry_date: date
    invoice_number: str
    received_on: date
    container_count: int
    notes: str = ""


@transaction.atomic
def stock_receive(request: ReceiptRequest, *, by: User) -> Receipt:
    """Receive sealed containers of one lot: a receipt, the containers, one entry each."""
    require_role(by, STOCK_KEEPER_ROLES, "receive stock")
    registration = current_registration()
    if registration is None:
        raise ValidationError({"registration": NO_REGISTRATION})
    today = timezone.localdate()
    if registration.expires_on < request.received_on:
        raise ValidationError(
            {"registration": REGISTRATION_EXPIRED.format(day=registration.expires_on)}
        )
    lot_number = request.lot_number.strip().upper()
    if not lot_number:
        raise ValidationError({"lot_number": REQUIRED})
    if not request.invoice_number.strip():
        raise ValidationError({"invoice_number": REQUIRED})
    if request.received_on > today:
        raise ValidationError({"received_on": RECEIVED_IN_FUTURE})
    if request.expiry_date <= request.received_on:
        raise ValidationError(
            {"expiry_date": EXPIRY_BEFORE_RECEIPT.format(day=request.expiry_date)}
        )
    if not 1 <= request.container_count <= MAX_CONTAINERS_PER_RECEIPT:
        raise ValidationError({"container_count": COUNT_RANGE})
    # get_or_create: a lot first received by two people at once is one lot (the second
    # insert meets the unique constraint and reads the first's). Then lock it: the vials'
    # numbers follow the lot's count, which two receipts at once would both read alike.
    found, _ = Lot.objects.get_or_create(
        product=request.product,
        lot_number=lot_number,
        defaults={"expiry_date": request.expiry_date},
    )
    lot = Lot.objects.select_for_update().get(pk=found.pk)
    if lot.expiry_date != request.expiry_date:
        raise ValidationError(
            {"expiry_date": LOT_EXPIRY_DIFFERS.format(lot=lot_number, day=lot.expiry_date)}
        )
    now = timezone.now()
    receipt = Receipt.objects.create(
        lot=lot,
        location=request.location,
        supplier=request.supplier,
        supplier_name=request.supplier.name,
        supplier_address=request.supplier.address,
        supplier_dea_number=request.supplier.dea_number,
        registration=registration,
        invoice_number=request.invoice_number.strip(),
        received_on=request.received_on,
        container_count=request.container_count,
        received_by=by,
        recorded_at=now,
        notes=request.notes.strip(),
    )
    already = Container.objects.filter(lot=lot).count()
    content_mg = request.product.container_mg
    labels = []
    for n in range(already + 1, already + request.container_count + 1):
        container = Container.objects.create(
            lot=lot, receipt=receipt, location=request.location, label=f"{lot_number}-{n:02d}"
        )
        ledger.post(
            container=container,
            kind=EntryKind.RECEIVED,
            mg=content_mg,
            by=by,
            at=now,
            balances={bucket: ledger.ZERO for bucket in Bucket},
            receipt=receipt,
        )
        labels.append(container.label)
    audit(
        AuditAction.CREATE,
        by,
        "stock_receipt",
        receipt.pk,
        lot=lot_number,
        ndc=request.product.ndc,
        invoice=receipt.invoice_number,
        supplier=receipt.supplier_name,
        containers=labels,
        mg_each=content_mg,
    )
    return receipt


# On-site destruction (DEA Form 41) and non-recoverable breakage need two witnesses
# (clinical.md, "Controlled-substance records"); a return needs one.
def witnesses_needed(method: DisposalMethod, reason: DisposalReason) -> int:
    if method == DisposalMethod.ON_SITE_DESTRUCTION or reason == DisposalReason.DAMAGED:
        return 2
    return 1


@dataclass(frozen=True)
class RemovalRequest:
    container: Container
    method: DisposalMethod
    reason: DisposalReason
    reference: str = ""
    notes: str = ""


def stock_remove(
    request: RemovalRequest,
    *,
    by: User,
    witness: WitnessCredentials | None,
    second_witness: WitnessCredentials | None = None,
) -> StockEntry:
    """Destroy on site, or return, everything left in a container, before witnesses."""
    require_role(by, STOCK_KEEPER_ROLES, "dispose of or return stock")
    if request.reason == DisposalReason.OTHER and not request.notes.strip():
        raise ValidationError({"notes": OTHER_NEEDS_NOTES})
    first = witness_confirm(witness, actor=by, field="witness")
    second = None
    if witnesses_needed(request.method, request.reason) == 2:
        second = witness_confirm(second_witness, actor=by, field="second_witness", not_also=[first])
    return _remove(request, by=by, witness=first, second_witness=second)


@transaction.atomic
def _remove(
    request: RemovalRequest, *, by: User, witness: User, second_witness: User | None
) -> StockEntry:
    container = ledger.lock_containers([request.container.pk])[request.container.pk]
    balances = ledger.container_buckets([container.pk])[container.pk]
    on_hand = balances[Bucket.ON_HAND]
    if on_hand <= 0:
        raise ValidationError({"container": DISPOSE_NOTHING.format(label=container.label)})
    kind = (
        EntryKind.DISPOSED
        if request.method == DisposalMethod.ON_SITE_DESTRUCTION
        else EntryKind.RETURNED
    )
    entry = ledger.post(
        container=container,
        kind=kind,
        mg=on_hand,
        by=by,
        at=timezone.now(),
        balances=balances,
        witness=witness,
        second_witness=second_witness,
        reason=request.reason,
        method=request.method,
        reference=request.reference.strip(),
        notes=request.notes.strip(),
    )
    audit(
        AuditAction.CREATE,
        by,
        "stock_entry",
        entry.pk,
        kind=kind,
        container=container.label,
        mg=on_hand,
        method=request.method,
        reason=request.reason,
        witness=witness.username,
        second_witness=second_witness.username if second_witness else "",
    )
    return entry


# A loss is the clinic lead's finding (counts.discrepancy_resolve); only the lead reverses
# it, when the stock turns up at a count (DiscrepancyOutcome.FOUND), never a stock keeper.
CORRECTABLE = frozenset(
    {EntryKind.RECEIVED, EntryKind.DRAWN, EntryKind.DISPOSED, EntryKind.RETURNED}
)


def entry_correct(
    entry: StockEntry,
    *,
    by: User,
    difference_mg: Decimal,
    reason: str,
    witness: WitnessCredentials | None,
) -> StockEntry:
    """A new entry, linked to the wrong one, carrying the signed difference and why."""
    require_role(by, STOCK_KEEPER_ROLES, "correct a stock entry")
    if entry.corrects_id is not None:
        raise ValidationError({"entry": CORRECT_CORRECTION})
    if entry.kind not in CORRECTABLE or (
        entry.preparation_id is not None and hasattr(entry.preparation, "account")
    ):
        raise ValidationError({"entry": CORRECT_ACCOUNTED})
    difference = ledger.mg_of(difference_mg)
    if difference == 0:
        raise ValidationError({"difference_mg": CORRECT_ZERO})
    if not reason.strip():
        raise ValidationError({"reason": CORRECT_REASON})
    confirmed = witness_confirm(witness, actor=by, field="witness")
    return _correct(entry, by=by, difference=difference, reason=reason.strip(), witness=confirmed)


@transaction.atomic
def _correct(
    entry: StockEntry, *, by: User, difference: Decimal, reason: str, witness: User
) -> StockEntry:
    if entry.preparation_id is not None:
        # Under the syringe's lock (taken before the vial's, as accounting does): an
        # account that closed it since the check above makes its draws final.
        SyringePreparation.objects.select_for_update().get(pk=entry.preparation_id)
        if SyringeAccount.objects.filter(preparation_id=entry.preparation_id).exists():
            raise ValidationError({"entry": CORRECT_ACCOUNTED})
    container = ledger.lock_containers([entry.container_id])[entry.container_id]
    # The container's buckets alone are not enough: vial X may hold 150 mg in syringes, of
    # which this syringe drew 50; taking back 100 would leave the syringe -50 from X and
    # its account would post given and waste that the vial never held. Read under the lock.
    net = entry.mg + (
        StockEntry.objects.filter(corrects=entry).aggregate(total=Sum("mg"))["total"] or 0
    )
    if net + difference < 0:
        raise ValidationError({"difference_mg": CORRECT_BELOW_ZERO.format(net=ledger.mg_of(net))})
    correction = ledger.post(
        container=container,
        kind=EntryKind(entry.kind),
        mg=difference,
        by=by,
        at=timezone.now(),
        witness=witness,
        corrects=entry,
        visit_id=entry.visit_id,
        preparation_id=entry.preparation_id,
        receipt_id=entry.receipt_id,
        notes=reason,
    )
    audit(
        AuditAction.CREATE,
        by,
        "stock_correction",
        correction.pk,
        corrects=entry.pk,
        kind=entry.kind,
        container=container.label,
        difference_mg=difference,
        reason=reason,
        witness=witness.username,
    )
    return correction
