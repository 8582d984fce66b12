"""Generate a synthetic clinic into the database: the one write of this package.

Refuses a database that already has patients (unless asked to add to it) and a
configuration fit for real patient data (unless forced): synthetic records must never
mix with a clinic's own. Staff accounts are made through ``accounts.services`` (so
their creation is audited like any account's); the clinical rows are inserted in bulk
(``rows.py``) and the whole generation is one audit entry (who, sizes, seed).
"""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.users import user_set_roles
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import ClinicHours, Room
from ketamine_clinic.consent.services import consent_seed
from ketamine_clinic.deploy_checks import deploy_problems
from ketamine_clinic.generate.clinical import order_figures
from ketamine_clinic.generate.fastinsert import insert
from ketamine_clinic.generate.plan import ROOMS, ClinicPlan, plan_clinic, slot_starts
from ketamine_clinic.generate.rows import Staff, Writer
from ketamine_clinic.generate.stock import VIAL_ML, VIAL_STRENGTH, StockPlan, plan_stock
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Lot,
    Product,
    Receipt,
    StockEntry,
    StorageLocation,
    Supplier,
)
from ketamine_clinic.patients.models import Patient

GENERATE_NOT_EMPTY: Final = (
    "the database already has {count} patients: generate fills an empty clinic "
    "(pass --allow-existing to add a synthetic clinic beside them)"
)
GENERATE_PRODUCTION: Final = (
    "these settings are fit for real patient data (check-deploy finds nothing to fix): "
    "refusing to write synthetic patients there (pass --force if this is a test server)"
)
GENERATE_COUNTS: Final = "{field} must be at least {low}; got {value}"
GENERATE_TOO_FEW_PATIENTS: Final = (
    "{infusions} infusions for {patients} patients is more than the clinic gives "
    "(at most {most} each: a course of 6 and boosters); ask for more patients"
)
MAX_INFUSIONS_PER_PATIENT: Final = 12
CHUNK_PATIENTS: Final = 500
STAFF: Final = (
    # username, first, last, credentials, role
    ("gen-desk-1", "Dale", "Deskworth", "", Role.FRONT_DESK),
    ("gen-desk-2", "Fran", "Frontley", "", Role.FRONT_DESK),
    ("gen-nurse-1", "Nia", "Nurseby", "RN", Role.NURSE),
    ("gen-nurse-2", "Noel", "Carewell", "RN", Role.NURSE),
    ("gen-nurse-3", "Nora", "Wardley", "RN", Role.NURSE),
    ("gen-nurse-4", "Ned", "Dripford", "RN", Role.NURSE),
    ("gen-prescriber-1", "Pat", "Doseman", "MD", Role.PRESCRIBER),
    ("gen-prescriber-2", "Paz", "Orderly", "MD", Role.PRESCRIBER),
    ("gen-custodian-1", "Cy", "Vaultson", "PharmD", Role.CUSTODIAN),
    ("gen-lead-1", "Lou", "Leadbetter", "RN", Role.CLINIC_LEAD),
    ("gen-admin-1", "Ari", "Adminton", "", Role.ADMINISTRATOR),
)
ROOM_NAMES: Final = tuple(f"Room {n}" for n in range(1, ROOMS + 1))
HOURS: Final = {**{weekday: (time(8), time(18)) for weekday in range(5)}, 5: (time(9), time(13))}
NDC: Final = "0409-2053-10"  # as the demo's vial
SAFE: Final = "Safe 1 (medication room)"
SUPPLIER: Final = "Synthetic Pharma Distribution (generated)"


@dataclass
class GenerationReport:
    patients: int
    infusions: int
    seed: int
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    first_day: date | None = None
    last_day: date | None = None


def check_request(*, patients: int, infusions: int, allow_existing: bool, force: bool) -> None:
    """The refusals, before anything is written (ValidationError naming the field)."""
    if patients < 1:
        raise ValidationError(
            {"patients": GENERATE_COUNTS.format(field="--patients", low=1, value=patients)}
        )
    if infusions < 0:
        raise ValidationError(
            {"infusions": GENERATE_COUNTS.format(field="--infusions", low=0, value=infusions)}
        )
    if infusions > patients * MAX_INFUSIONS_PER_PATIENT // 2:
        raise ValidationError({"infusions": GENERATE_TOO_FEW_PATIENTS.format(
            infusions=infusions, patients=patients, most=MAX_INFUSIONS_PER_PATIENT // 2)})  # fmt: skip
    if not force and not deploy_problems(settings, workers=1):
        raise ValidationError({"force": GENERATE_PRODUCTION})
    count = Patient.objects.count()
    if count and not allow_existing:
        raise ValidationError({"allow_existing": GENERATE_NOT_EMPTY.format(count=count)})


def _staff() -> Staff:
    users: dict[str, User] = {}
    for username, first, last, credentials, role in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            # No password at all (unusable): these accounts sign in only through a session
            # made for them (bench/pages.py) or after an administrator's reset. Otherwise
            # as accounts.services.users.user_create: audited, roles through the service.
            user = User(
                username=username, first_name=first, last_name=last, credentials=credentials
            )
            user.set_unusable_password()
            user.save()
            audit_record(action=AuditAction.USER_CREATED, actor=None, object_type="user", object_id=user.pk,
                         detail={"username": username, "must_change_password": False})  # fmt: skip
            user_set_roles(user=user, roles=(role,), by=None)
        users[username] = user
    return Staff(
        desk=users["gen-desk-1"],
        nurses=tuple(users[f"gen-nurse-{n}"] for n in range(1, 5)),
        prescribers=(users["gen-prescriber-1"], users["gen-prescriber-2"]),
        custodian=users["gen-custodian-1"],
    )


def _rooms() -> list[Room]:
    """The clinic's rooms and hours (as booking's set-up pages record them)."""
    rooms = [Room.objects.get_or_create(name=name, defaults={"display_order": n})[0]
             for n, name in enumerate(ROOM_NAMES)]  # fmt: skip
    for weekday, (opens, closes) in HOURS.items():
        ClinicHours.objects.get_or_create(
            weekday=weekday, defaults={"opens_at": opens, "closes_at": closes}
        )
    return rooms


def clinic_generate(*, patients: int, infusions: int, seed: int, by: User | None = None,
                    allow_existing: bool = False, force: bool = False,
                    today: date | None = None) -> GenerationReport:  # fmt: skip
    """Fill the database with a synthetic clinic; see the module docstring."""
    check_request(
        patients=patients, infusions=infusions, allow_existing=allow_existing, force=force
    )
    started = clock.perf_counter()
    today = today or timezone.localdate()
    plan = plan_clinic(patients=patients, infusions=infusions, seed=seed, today=today)
    report = GenerationReport(patients=patients, infusions=plan.infusions, seed=seed,
                              first_day=plan.start, last_day=plan.end)  # fmt: skip
    with transaction.atomic():
        staff = _staff()
        rooms = _rooms()
        weights = _visit_weights(plan, seed)
        syringes, keys = _syringe_list(plan, weights)
        stock = plan_stock(syringes, seed=seed)
        containers, stock_rows = _receive(stock, staff.custodian, plan)
        report.rows.update(stock_rows)
        rng = random.Random(seed + 1)  # noqa: S311 - synthetic data, not security
        writer = Writer(plan=plan, staff=staff, rooms=rooms, containers=containers,
                        draws=stock.draws, rng=rng, weights=weights,
                        consent=consent_seed())  # fmt: skip
        for first in range(0, len(plan.patients), CHUNK_PATIENTS):
            counts = writer.write(plan.patients[first : first + CHUNK_PATIENTS], keys)
            for label, n in counts.items():
                report.rows[label] = report.rows.get(label, 0) + n
        report.seconds = clock.perf_counter() - started
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            object_type="generated_clinic",
            detail={
                "patients": patients,
                "infusions": plan.infusions,
                "seed": seed,
                "first_day": plan.start.isoformat(),
                "last_day": plan.end.isoformat(),
                "rows": report.rows,
            },
        )
    refresh_statistics()
    report.seconds = clock.perf_counter() - started
    return report


# Rows SQLite samples per index when it gathers statistics: enough to tell a selective
# index from a broad one, and seconds rather than a minute on a generated clinic.
SQLITE_ANALYSIS_LIMIT: Final = 1000


def refresh_statistics() -> None:
    """Let the query planner see the tables as they now are (``ANALYZE``).

    Without statistics SQLite guesses each index's selectivity, and on the generated clinic
    it guessed wrong: it read every draw of the controlled-substance record through the
    (kind, time) index to find one visit's syringes. PostgreSQL's autovacuum would gather
    them too, minutes later; pages asked meanwhile would be planned blind."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")


def _visit_weights(plan: ClinicPlan, seed: int) -> dict[tuple[int, int], Decimal]:
    """Each visit's weight (kg as entered, before the lb round trip), drawn once so the
    vial plan and the rows agree. Key (patient, visit position); position -1 is intake."""
    rng = random.Random(seed + 2)  # noqa: S311 - synthetic data, not security
    weights: dict[tuple[int, int], Decimal] = {}
    for patient in plan.patients:
        for position in range(-1, len(patient.visits)):
            weights[(patient.index, position)] = Decimal(
                f"{patient.weight_kg + rng.gauss(0, 0.8):.1f}"
            )
    return weights


def _syringe_list(plan: ClinicPlan, weights: dict[tuple[int, int], Decimal]) -> tuple[
        list[tuple[int, datetime, Decimal]], dict[tuple[int, int], int]]:  # fmt: skip
    from ketamine_clinic.generate.rows import stored_weight_kg, visit_start

    items: list[tuple[datetime, int, int, Decimal]] = []
    for patient in plan.patients:
        for position, visit in enumerate(patient.visits):
            if visit.state != "discharged":
                continue
            kg = stored_weight_kg(weights[(patient.index, position)], in_lb=patient.weight_in_lb)
            figures = order_figures(kg, visit.dose_mg_per_kg, visit.duration_min)
            items.append((visit_start(visit) + timedelta(minutes=15), patient.index, position,
                          figures.stock_volume_ml))  # fmt: skip
    items.sort(key=lambda item: (item[0], item[1], item[2]))
    keys = {(index, position): key for key, (_, index, position, _) in enumerate(items)}
    return [(key, at, ml) for key, (at, _, _, ml) in enumerate(items)], keys


def _receive(
    stock: StockPlan, custodian: User, plan: ClinicPlan
) -> tuple[list[Container], dict[str, int]]:
    """The registration, supplier, product, safe, and each receipt with its vials, as
    ``inventory.services.stock.registration_record`` / ``stock_receive`` write them."""
    zone = timezone.get_default_timezone()
    first = min((r.received_on for r in stock.receipts), default=plan.start)
    registration = DeaRegistration.objects.order_by("-recorded_at", "-id").first()
    if registration is None:
        registration = DeaRegistration.objects.create(
            number="BG2468138", registrant_name="Generated Ketamine Clinic (synthetic)",
            address="2 Sample Street, Springfield, ZZ 00000",
            expires_on=plan.end + timedelta(days=720), recorded_by=custodian,
            recorded_at=datetime.combine(first - timedelta(days=30), time(9), tzinfo=zone),
        )  # fmt: skip
    supplier, _ = Supplier.objects.get_or_create(
        name=SUPPLIER,
        defaults={"address": "9 Depot Road, Springfield, ZZ 00000", "dea_number": "PA7352014"},
    )
    product, _ = Product.objects.get_or_create(ndc=NDC, defaults={
        "name": "Ketamine HCl injection 50 mg/mL (as base), 10 mL vial", "base_mg_per_ml": VIAL_STRENGTH,
        "salt_mg_per_ml": Decimal("57.65"), "container_ml": VIAL_ML})  # fmt: skip
    location, _ = StorageLocation.objects.get_or_create(
        name=SAFE, defaults={"description": "Bolted steel safe, dual key"}
    )
    taken = set(Lot.objects.filter(product=product).values_list("lot_number", flat=True))
    for r in stock.receipts:  # another generation's lot of the same month keeps its number
        base, n = r.lot_number, 1
        while r.lot_number in taken:
            n += 1
            r.lot_number = f"{base}{n}"
        taken.add(r.lot_number)
    lots = [
        Lot(product=product, lot_number=r.lot_number, expiry_date=r.expiry_date)
        for r in stock.receipts
    ]
    insert(Lot, lots)
    receipts = []
    for lot, r in zip(lots, stock.receipts, strict=True):
        receipts.append(Receipt(
            lot=lot, location=location, supplier=supplier, supplier_name=supplier.name,
            supplier_address=supplier.address, supplier_dea_number=supplier.dea_number,
            registration=registration, invoice_number=f"GEN-INV-{r.received_on:%y%m%d}-{r.lot_number}",
            received_on=r.received_on, container_count=r.vials, received_by=custodian,
            recorded_at=datetime.combine(r.received_on, time(9, 15), tzinfo=zone),
        ))  # fmt: skip
    insert(Receipt, receipts)
    containers = [Container(lot=lot, receipt=receipt, location=location, label=f"{lot.lot_number}-{n:02d}")
                  for lot, receipt, r in zip(lots, receipts, stock.receipts, strict=True)
                  for n in range(1, r.vials + 1)]  # fmt: skip
    insert(Container, containers)
    mg = product.container_mg
    insert(StockEntry, [StockEntry(container=c, kind=EntryKind.RECEIVED, mg=mg, at=c.receipt.recorded_at,
                                   by=custodian, receipt=c.receipt) for c in containers])  # fmt: skip
    return containers, {"inventory.Lot": len(lots), "inventory.Receipt": len(receipts),
                        "inventory.Container": len(containers)}  # fmt: skip


__all__ = ["GenerationReport", "check_request", "clinic_generate", "slot_starts"]
