"""The stock pages: what is on hand, the registration, suppliers, products, locations,
receipts, and each container's full history with its disposal and correction forms.

Each page reads through the selectors and each button calls one service. A form that a
service refuses is shown again, bound, with the message next to the field it names
(status 422); the service wrote nothing. Nurses see the stock list they draw from; the
record behind it (entries, balances per lot, who did what) is for the custodian,
prescribers and the clinic lead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory import ledger, selectors
from ketamine_clinic.inventory.enums import (
    Bucket,
    DisposalMethod,
    DisposalReason,
    EntryKind,
    StrengthBasis,
)
from ketamine_clinic.inventory.forms.stock import (
    CorrectForm,
    LocationForm,
    ProductForm,
    ReceiveForm,
    RegistrationForm,
    RemoveForm,
    SupplierForm,
)
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Product,
    Receipt,
    StockEntry,
    StorageLocation,
    Supplier,
    SyringeAccount,
)
from ketamine_clinic.inventory.policies import (
    INVENTORY_READERS,
    STOCK_KEEPER_ROLES,
    STOCK_KEEPERS,
    STOCK_VIEWERS,
)
from ketamine_clinic.inventory.services import counts as count_services
from ketamine_clinic.inventory.services import reference, stock
from ketamine_clinic.inventory.services.reference import SALT_PER_BASE
from ketamine_clinic.patients.forms import apply_errors

# Where a service's error key is shown when the form names the field differently; keys
# a form has no field for go above the form.
WITNESS_ALIASES = {"witness": "witness_username", "second_witness": "second_witness_username"}
READER_ROLES = INVENTORY_READERS.roles


T = TypeVar("T")


def _submitted(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], T],
    done: Callable[[T], str],
    then: str,
) -> HttpResponse | None:
    """The one path of every form here: a valid form goes to its service; success says
    `done` and redirects to `then`; a refusal lands on the form (None: show it again)."""
    if not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        apply_errors(form, error)
        return None
    messages.success(request, done(saved))
    return redirect(then)


def _keeper(user: User) -> bool:
    return bool(user.roles & STOCK_KEEPER_ROLES)


def _reader(user: User) -> bool:
    return bool(user.roles & READER_ROLES)


# ---- the dashboard --------------------------------------------------------------------


@dataclass(frozen=True)
class AwaitingSyringe:
    preparation_id: int
    visit_id: int
    prepared_at: Any
    prepared_by: str
    room: str
    drawn_mg: Decimal


def _awaiting() -> list[AwaitingSyringe]:
    preparations = selectors.syringes_awaiting_account()
    drawn = dict(
        StockEntry.objects.filter(
            kind=EntryKind.DRAWN, preparation_id__in=[p.pk for p in preparations]
        )
        .values("preparation_id")
        .annotate(total=Sum("mg"))
        .order_by()
        .values_list("preparation_id", "total")
    )
    rooms = {
        p.pk: (p.order.visit.room.name if p.order.visit.room is not None else "no room")
        for p in preparations
    }
    return [
        AwaitingSyringe(
            preparation_id=p.pk,
            visit_id=p.order.visit_id,
            prepared_at=p.prepared_at,
            prepared_by=p.prepared_by.display_name,
            room=rooms[p.pk],
            drawn_mg=ledger.mg_of(drawn.get(p.pk, 0)),
        )
        for p in preparations
    ]


@access(STOCK_VIEWERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Stock on hand by container; for readers also the per-lot balance, warnings,
    syringes awaiting their account, the open count and unresolved discrepancies."""
    user = staff_user(request)
    on_hand = selectors.stock_on_hand()
    context: dict[str, Any] = {
        "stock": on_hand,
        "total_mg": sum((row.on_hand_mg for row in on_hand), Decimal("0.00")),
        "total_ml": sum((row.on_hand_ml for row in on_hand), Decimal("0.00")),
        "reader": _reader(user),
        "keeper": _keeper(user),
    }
    if context["reader"]:
        balances = selectors.lot_balances()
        due = selectors.count_due()
        context.update(
            {
                "lots": balances,
                "all_balance": all(b.balances for b in balances),
                "warnings": selectors.expiry_warnings(on_hand=on_hand),
                "warning_days": settings.KC_CS_EXPIRY_WARNING_DAYS,
                "awaiting": _awaiting(),
                "open_count": count_services.open_count(),
                "count_due": due,
                "count_overdue": due.overdue(),
                "discrepancies": count_services.unresolved_discrepancies(),
                "registration": stock.current_registration(),
                "recent_receipts": Receipt.objects.select_related("lot__product", "received_by")[
                    :5
                ],
            }
        )
    return render(request, "inventory/stock/dashboard.html", context)


# ---- the DEA registration -------------------------------------------------------------


def _registration_page(
    request: HttpRequest, form: RegistrationForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    history = list(DeaRegistration.objects.select_related("recorded_by"))
    return render(
        request,
        "inventory/stock/registration.html",
        {
            "current": history[0] if history else None,
            "current_expired": bool(history) and history[0].expires_on < timezone.localdate(),
            "history": history,
            "form": form or RegistrationForm(),
            "keeper": _keeper(user),
        },
        status=status,
    )


@access(INVENTORY_READERS)
def registration(request: HttpRequest) -> HttpResponse:
    """The clinic's DEA registration in force and every one recorded before it."""
    return _registration_page(request)


@access(STOCK_KEEPERS)
@require_POST
def registration_record(request: HttpRequest) -> HttpResponse:
    """POST only: a new registration (a renewal or a correction); the old rows stay."""
    user = staff_user(request)
    form = RegistrationForm(request.POST)
    response = _submitted(
        request,
        form,
        lambda data: stock.registration_record(by=user, **data),
        lambda recorded: (
            f"DEA registration {recorded.number} recorded, expiring {recorded.expires_on:%d %b %Y}."
        ),
        "inventory:registration",
    )
    if response is not None:
        return response
    return _registration_page(request, form, status=422)


# ---- suppliers ------------------------------------------------------------------------


def _suppliers_page(
    request: HttpRequest, form: SupplierForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "inventory/stock/suppliers.html",
        {
            "suppliers": Supplier.objects.all(),
            "form": form or SupplierForm(),
            "keeper": _keeper(user),
        },
        status=status,
    )


@access(INVENTORY_READERS)
def supplier_list(request: HttpRequest) -> HttpResponse:
    """The distributors the clinic orders from, with their DEA numbers."""
    return _suppliers_page(request)


@access(STOCK_KEEPERS)
@require_POST
def supplier_add(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = SupplierForm(request.POST)
    response = _submitted(
        request,
        form,
        lambda data: stock.supplier_save(by=user, **data),
        lambda added: f"{added.name} added.",
        "inventory:supplier_list",
    )
    if response is not None:
        return response
    return _suppliers_page(request, form, status=422)


@access(STOCK_KEEPERS)
def supplier_edit(request: HttpRequest, supplier_id: int) -> HttpResponse:
    """Change a supplier's details; receipts already made keep the ones they were made with."""
    user = staff_user(request)
    try:
        supplier = Supplier.objects.get(pk=supplier_id)
    except Supplier.DoesNotExist:
        raise Http404("No such supplier.") from None
    if request.method == "POST":
        form = SupplierForm(request.POST)
        response = _submitted(
            request,
            form,
            lambda data: stock.supplier_save(by=user, supplier=supplier, **data),
            lambda saved: f"{saved.name} saved.",
            "inventory:supplier_list",
        )
        if response is not None:
            return response
    else:
        form = SupplierForm(
            initial={
                "name": supplier.name,
                "address": supplier.address,
                "dea_number": supplier.dea_number,
            }
        )
    return render(
        request,
        "inventory/stock/supplier_form.html",
        {"supplier": supplier, "form": form},
        status=422 if form.is_bound else 200,
    )


# ---- products and storage locations ---------------------------------------------------


def _products_page(
    request: HttpRequest, form: ProductForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "inventory/stock/products.html",
        {
            "products": Product.objects.all(),
            "form": form or ProductForm(),
            "keeper": _keeper(user),
            "salt_per_base": SALT_PER_BASE,
        },
        status=status,
    )


@access(INVENTORY_READERS)
def product_list(request: HttpRequest) -> HttpResponse:
    """Each presentation's NDC and strength as base and as HCl salt."""
    return _products_page(request)


@access(STOCK_KEEPERS)
@require_POST
def product_add(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = ProductForm(request.POST)
    response = _submitted(
        request,
        form,
        lambda data: reference.product_add(
            by=user,
            name=data["name"],
            ndc=data["ndc"],
            strength_mg_per_ml=data["strength_mg_per_ml"],
            strength_basis=StrengthBasis(data["strength_basis"]),
            container_ml=data["container_ml"],
        ),
        lambda added: (
            f"{added.name} added: {added.base_mg_per_ml} mg/mL base "
            f"({added.salt_mg_per_ml} mg/mL HCl), {added.container_mg} mg base a container."
        ),
        "inventory:product_list",
    )
    if response is not None:
        return response
    return _products_page(request, form, status=422)


def _locations_page(
    request: HttpRequest, form: LocationForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "inventory/stock/locations.html",
        {
            "locations": StorageLocation.objects.all(),
            "form": form or LocationForm(),
            "keeper": _keeper(user),
        },
        status=status,
    )


@access(INVENTORY_READERS)
def location_list(request: HttpRequest) -> HttpResponse:
    """The locked cabinets and safes stock is kept in."""
    return _locations_page(request)


@access(STOCK_KEEPERS)
@require_POST
def location_add(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = LocationForm(request.POST)
    response = _submitted(
        request,
        form,
        lambda data: reference.location_add(by=user, **data),
        lambda added: f"{added.name} added.",
        "inventory:location_list",
    )
    if response is not None:
        return response
    return _locations_page(request, form, status=422)


# ---- receipts -------------------------------------------------------------------------


@access(STOCK_KEEPERS)
def receive(request: HttpRequest) -> HttpResponse:
    """One lot received on one invoice: the containers are created and labelled."""
    user = staff_user(request)
    if request.method == "POST":
        form = ReceiveForm(request.POST)
        if form.is_valid():
            try:
                receipt = stock.stock_receive(stock.ReceiptRequest(**form.cleaned_data), by=user)
            except (ValidationError, PermissionDenied) as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Received {receipt.container_count} container(s) of lot "
                    f"{receipt.lot.lot_number}: label each vial as listed below.",
                )
                return redirect("inventory:receipt", receipt_id=receipt.pk)
    else:
        form = ReceiveForm()
    return render(
        request,
        "inventory/stock/receive.html",
        {
            "form": form,
            "registration": stock.current_registration(),
            "has_reference_data": Product.objects.exists()
            and Supplier.objects.exists()
            and StorageLocation.objects.exists(),
        },
        status=422 if form.is_bound else 200,
    )


@access(INVENTORY_READERS)
def receipt_page(request: HttpRequest, receipt_id: int) -> HttpResponse:
    """A receipt as recorded: the supplier's details then, and the containers it created."""
    try:
        receipt = Receipt.objects.select_related(
            "lot__product", "location", "registration", "received_by"
        ).get(pk=receipt_id)
    except Receipt.DoesNotExist:
        raise Http404("No such receipt.") from None
    containers = list(receipt.containers.select_related("location").order_by("label"))
    balances = ledger.container_buckets(c.pk for c in containers)
    product = receipt.lot.product
    received_mg = ledger.mg_of(
        StockEntry.objects.filter(receipt=receipt, kind=EntryKind.RECEIVED).aggregate(
            total=Sum("mg")
        )["total"]
        or 0
    )
    rows = [
        {
            "container": c,
            "on_hand_mg": balances[c.pk][Bucket.ON_HAND],
            "on_hand_ml": ledger.mg_of(balances[c.pk][Bucket.ON_HAND] / product.base_mg_per_ml),
        }
        for c in containers
    ]
    return render(
        request,
        "inventory/stock/receipt.html",
        {
            "receipt": receipt,
            "product": product,
            "rows": rows,
            # From the ledger, so a corrected receipt shows what the record now holds.
            "received_mg": received_mg,
            "received_ml": ledger.mg_of(received_mg / product.base_mg_per_ml),
        },
    )


# ---- a container: its history, disposal or return, corrections ------------------------


@dataclass(frozen=True)
class EntryRow:
    entry: StockEntry
    ml: Decimal
    correctable: bool


def _container_or_404(container_id: int) -> Container:
    try:
        return Container.objects.select_related(
            "lot__product", "location", "receipt__received_by"
        ).get(pk=container_id)
    except Container.DoesNotExist:
        raise Http404("No such container.") from None


def _entry_rows(container: Container) -> list[EntryRow]:
    strength = container.lot.product.base_mg_per_ml
    entries = (
        StockEntry.objects.filter(container=container)
        .select_related("by", "witness", "second_witness", "corrects", "visit")
        .prefetch_related("corrections")
        .order_by("at", "id")
    )
    rows = list(entries)
    # A syringe's draws are final once it is accounted for (stock.entry_correct refuses
    # them): offer no "Correct" link that could only be refused.
    accounted = set(
        SyringeAccount.objects.filter(
            preparation_id__in={e.preparation_id for e in rows if e.preparation_id}
        ).values_list("preparation_id", flat=True)
    )
    return [
        EntryRow(
            entry=entry,
            ml=ledger.mg_of(entry.mg / strength),
            correctable=entry.corrects_id is None
            and entry.kind in stock.CORRECTABLE
            and entry.preparation_id not in accounted,
        )
        for entry in rows
    ]


def _container_page(
    request: HttpRequest,
    container: Container,
    *,
    remove_form: RemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    balances = ledger.container_buckets([container.pk])[container.pk]
    strength = container.lot.product.base_mg_per_ml
    buckets = [
        {
            "name": bucket.value.replace("_", " "),
            "mg": balances[bucket],
            "ml": ledger.mg_of(balances[bucket] / strength),
        }
        for bucket in Bucket
    ]
    on_hand = balances[Bucket.ON_HAND]
    return render(
        request,
        "inventory/stock/container.html",
        {
            "container": container,
            "product": container.lot.product,
            "on_hand_mg": on_hand,
            "on_hand_ml": ledger.mg_of(on_hand / strength),
            "buckets": buckets,
            "rows": _entry_rows(container),
            # Printed at the top: whose record this is, for an inspector's copy.
            "registration": stock.current_registration(),
            "keeper": _keeper(user),
            "remove_form": remove_form or RemoveForm(),
            "two_witness_rule": (
                f"{DisposalMethod.ON_SITE_DESTRUCTION.label} or "
                f"{DisposalReason.DAMAGED.label.lower()}: two witnesses. "
                "A return to a reverse distributor or the supplier: one."
            ),
        },
        status=status,
    )


@access(INVENTORY_READERS)
def container_page(request: HttpRequest, container_id: int) -> HttpResponse:
    """One vial from receipt to now: every entry, its balances, and for stock keepers
    the disposal or return form and a correction link on each entry."""
    return _container_page(request, _container_or_404(container_id))


@access(STOCK_KEEPERS)
@require_POST
def container_remove(request: HttpRequest, container_id: int) -> HttpResponse:
    """POST only: destroy on site, or return, everything on hand, before witnesses."""
    user = staff_user(request)
    container = _container_or_404(container_id)
    form = RemoveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = stock.stock_remove(
                stock.RemovalRequest(
                    container=container,
                    method=DisposalMethod(data["method"]),
                    reason=DisposalReason(data["reason"]),
                    reference=data["reference"],
                    notes=data["notes"],
                ),
                by=user,
                witness=form.credentials("witness"),
                second_witness=form.credentials("second_witness"),
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error, WITNESS_ALIASES)
        else:
            messages.success(
                request,
                f"{entry.mg} mg of base {entry.get_kind_display().lower()}: "
                f"{container.label} holds nothing on hand now.",
            )
            return redirect("inventory:container", container_id=container.pk)
    return _container_page(request, container, remove_form=form, status=422)


def _entry_or_404(entry_id: int) -> StockEntry:
    try:
        return StockEntry.objects.select_related(
            "container__lot__product", "by", "witness", "corrects"
        ).get(pk=entry_id)
    except StockEntry.DoesNotExist:
        raise Http404("No such entry.") from None


@access(STOCK_KEEPERS)
def entry_correct(request: HttpRequest, entry_id: int) -> HttpResponse:
    """A correction: a new entry linked to the wrong one, with the signed difference,
    the reason and a witness; the wrong entry stays as it was."""
    user = staff_user(request)
    entry = _entry_or_404(entry_id)
    if request.method == "POST":
        form = CorrectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                correction = stock.entry_correct(
                    entry,
                    by=user,
                    difference_mg=data["difference_mg"],
                    reason=data["reason"],
                    witness=form.credentials("witness"),
                )
            except (ValidationError, PermissionDenied) as error:
                apply_errors(form, error, WITNESS_ALIASES)
            else:
                messages.success(
                    request,
                    f"Correction of {correction.mg:+} mg recorded against entry {entry.pk}.",
                )
                return redirect("inventory:container", container_id=entry.container_id)
    else:
        form = CorrectForm()
    strength = entry.container.lot.product.base_mg_per_ml
    return render(
        request,
        "inventory/stock/correct.html",
        {
            "entry": entry,
            "container": entry.container,
            "entry_ml": ledger.mg_of(entry.mg / strength),
            "form": form,
        },
        status=422 if form.is_bound else 200,
    )
