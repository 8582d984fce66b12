"""The controlled-substance record: stock, every movement of it, counts and discrepancies.

Amounts are milligrams of ketamine base (`_mg`, two decimals), the unit the DEA record
and the dose share; millilitres follow from each product's strength. The record is
insert-only: a row is never edited or deleted (on PostgreSQL triggers refuse it too),
and a correction is a new entry that names the one it corrects and says why.
Reference data (products, locations, suppliers) may change; each receipt keeps a copy
of the supplier's details as they were.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from ketamine_clinic.insert_only import InsertOnlyModel
from ketamine_clinic.inventory.enums import (
    CountKind,
    CountTiming,
    DiscrepancyOutcome,
    DisposalMethod,
    DisposalReason,
    EntryKind,
)


class DeaRegistration(InsertOnlyModel):
    """The clinic's DEA registration on file; the newest row is the one in force."""

    number = models.CharField(max_length=9, help_text="Two letters and seven digits.")
    registrant_name = models.CharField(max_length=200)
    address = models.TextField()
    schedules = models.CharField(max_length=40, default="3, 3N")
    expires_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"DEA {self.number}"


class Supplier(models.Model):
    """A distributor the clinic orders from; receipts copy these details as they were."""

    name = models.CharField(max_length=200, unique=True)
    address = models.TextField()
    dea_number = models.CharField(max_length=9)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A ketamine presentation, e.g. "Ketamine HCl injection 50 mg/mL, 10 mL vial".

    `base_mg_per_ml` is the strength as ketamine base, the unit of the record;
    `salt_mg_per_ml` the same strength as the hydrochloride salt (x 1.153,
    pharmacology.md), printed because many labels state it.
    """

    name = models.CharField(max_length=200)
    ndc = models.CharField(
        max_length=13, unique=True, help_text="National Drug Code, e.g. 0409-2053-10."
    )
    base_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2)
    salt_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2)
    container_ml = models.DecimalField(max_digits=8, decimal_places=2)
    schedule = models.CharField(max_length=4, default="III")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (NDC {self.ndc})"

    @property
    def container_mg(self) -> Decimal:
        return (self.container_ml * self.base_mg_per_ml).quantize(Decimal("0.01"))


class StorageLocation(models.Model):
    """A locked, substantially constructed cabinet or safe (21 CFR 1301.75)."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lot(InsertOnlyModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expiry_date = models.DateField()

    class Meta:
        ordering = ["expiry_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="inventory_lot_unique")
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_number}"


class Receipt(InsertOnlyModel):
    """Containers of one lot received on an invoice (Schedule III: no Form 222)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="receipts")
    location = models.ForeignKey(StorageLocation, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="receipts")
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.TextField()
    supplier_dea_number = models.CharField(max_length=9)
    registration = models.ForeignKey(DeaRegistration, on_delete=models.PROTECT, related_name="+")
    invoice_number = models.CharField(max_length=60)
    received_on = models.DateField()
    container_count = models.PositiveSmallIntegerField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"receipt {self.pk}: invoice {self.invoice_number}"


class Container(InsertOnlyModel):
    """One vial, tracked on its own from receipt to empty, disposal or return."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="containers")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="containers")
    location = models.ForeignKey(
        StorageLocation, on_delete=models.PROTECT, related_name="containers"
    )
    label = models.CharField(
        max_length=60, unique=True, help_text="Written on the vial, e.g. K2611A-03."
    )

    class Meta:
        ordering = ["lot__expiry_date", "label"]

    def __str__(self) -> str:
        return self.label


class StockEntry(InsertOnlyModel):
    """One movement of one container's milligrams (see `enums.BUCKET_MOVES`).

    `mg` is positive, except on a correction, which carries the signed difference to the
    entry it corrects and a reason. Waste, disposal, returns and corrections carry their
    witnesses.
    """

    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    mg = models.DecimalField(max_digits=10, decimal_places=2)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    receipt = models.ForeignKey(
        Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "visits.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_entries",
    )
    preparation = models.ForeignKey(
        "orders.SyringePreparation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_entries",
    )
    discrepancy = models.ForeignKey(
        "Discrepancy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    reason = models.CharField(max_length=16, choices=DisposalReason.choices, blank=True)
    method = models.CharField(max_length=20, choices=DisposalMethod.choices, blank=True)
    reference = models.CharField(
        max_length=120, blank=True, help_text="Form 41 or 106 number, reverse distributor, ..."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["container", "kind"], name="inventory_entry_container"),
            models.Index(fields=["kind", "at"], name="inventory_entry_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.mg} mg from {self.container_id}"


class SyringeAccount(InsertOnlyModel):
    """A syringe closed out: what the pump gave, and the rest wasted before a witness.

    drawn = given + wasted exactly; `given_source` says where `given_mg` came from (the
    pump's record of the visit), so an inspector can follow it.
    """

    preparation = models.OneToOneField(
        "orders.SyringePreparation", on_delete=models.PROTECT, related_name="account"
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, related_name="syringe_accounts"
    )
    drawn_mg = models.DecimalField(max_digits=10, decimal_places=2)
    given_mg = models.DecimalField(max_digits=10, decimal_places=2)
    wasted_mg = models.DecimalField(max_digits=10, decimal_places=2)
    given_source = models.CharField(max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return (
            f"syringe {self.preparation_id}: given {self.given_mg} mg, wasted {self.wasted_mg} mg"
        )


class Count(InsertOnlyModel):
    """A physical count of every container on hand (at one location, or all)."""

    kind = models.CharField(max_length=10, choices=CountKind.choices, default=CountKind.ROUTINE)
    timing = models.CharField(max_length=8, choices=CountTiming.choices, blank=True)
    location = models.ForeignKey(
        StorageLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class CountEntry(InsertOnlyModel):
    """One counter's figure for one container; a recount is a newer entry, never an edit."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="entries")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    counted_ml = models.DecimalField(max_digits=8, decimal_places=2)
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["entered_at", "id"]


class CountClosure(InsertOnlyModel):
    """Both counters agreed on every container; differences became discrepancies."""

    count = models.OneToOneField(Count, on_delete=models.PROTECT, related_name="closure")
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    first_counter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    second_counter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )


class CountLine(InsertOnlyModel):
    """The closed count's figure for one container beside the perpetual record then."""

    closure = models.ForeignKey(CountClosure, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    expected_mg = models.DecimalField(max_digits=10, decimal_places=2)
    counted_mg = models.DecimalField(max_digits=10, decimal_places=2)
    counted_ml = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["container__label"]


class Discrepancy(InsertOnlyModel):
    """A counted amount that differs from the record; open until the lead resolves it."""

    line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    difference_mg = models.DecimalField(
        max_digits=10, decimal_places=2, help_text="Counted minus expected."
    )
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]


class DiscrepancyResolution(InsertOnlyModel):
    """The clinic lead's investigation: what was found and what was done."""

    discrepancy = models.OneToOneField(
        Discrepancy, on_delete=models.PROTECT, related_name="resolution"
    )
    outcome = models.CharField(max_length=16, choices=DiscrepancyOutcome.choices)
    notes = models.TextField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField()
    form_106_reference = models.CharField(max_length=60, blank=True)
