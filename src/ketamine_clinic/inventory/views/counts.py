"""The count pages: the list, starting a count, one counter's sheet, closing; and the
discrepancies a count opened, with the clinic lead's resolution.

Stock keepers count; the inventory's readers (the clinic lead among them) follow. While
a count is open each counter sees only their own figures and how far the other has got,
never the other's numbers or the record's, so the second count is independent. Each
button calls one service; a refusal re-renders the page with the message by the field
it names (status 422) and nothing was written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory import reports
from ketamine_clinic.inventory.enums import CountKind, DiscrepancyOutcome
from ketamine_clinic.inventory.forms.counts import (
    CountEntryForm,
    CountStartForm,
    DiscrepancyResolveForm,
    ml_field,
)
from ketamine_clinic.inventory.models import Count, CountClosure, Discrepancy
from ketamine_clinic.inventory.policies import INVENTORY_READERS, LEADS, STOCK_KEEPERS
from ketamine_clinic.inventory.services.counts import (
    RESOLVE_DONE,
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
    open_count,
    unresolved_discrepancies,
)
from ketamine_clinic.patients.forms import apply_errors

COUNTS_PER_PAGE = 50


def _count(count_id: int) -> Count:
    try:
        return Count.objects.select_related("location", "started_by").get(pk=count_id)
    except Count.DoesNotExist:
        raise Http404("No such count") from None


def _closure(count: Count) -> CountClosure | None:
    return (
        CountClosure.objects.select_related("first_counter", "second_counter", "closed_by")
        .filter(count=count)
        .first()
    )


# ---- the list and starting a count ----------------------------------------------------


def _list_page(
    request: HttpRequest, form: CountStartForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    page = Paginator(
        Count.objects.select_related("location", "started_by").order_by("-started_at", "-id"),
        COUNTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    current = open_count()
    return render(
        request,
        "inventory/counts/list.html",
        {
            "page": page,
            "summaries": reports.count_summaries(page.object_list),
            "open_count": current,
            "unresolved": unresolved_discrepancies(),
            "can_count": STOCK_KEEPERS.allows(user),
            "form": form or CountStartForm(initial={"kind": CountKind.ROUTINE}),
        },
        status=status,
    )


@access(INVENTORY_READERS)
def count_list(request: HttpRequest) -> HttpResponse:
    """Every count, newest first, with who counted and the discrepancies each opened."""
    return _list_page(request)


@access(STOCK_KEEPERS)
@require_POST
def count_start_view(request: HttpRequest) -> HttpResponse:
    """POST only: open a count (routine or biennial, one location or all)."""
    user = staff_user(request)
    form = CountStartForm(request.POST)
    if form.is_valid():
        try:
            count = count_start(
                by=user,
                kind=CountKind(form.cleaned_data["kind"]),
                timing=form.cleaned_data["timing"],
                location=form.cleaned_data["location"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"{count.get_kind_display()} #{count.pk} started: each of the two counters "
                "enters what they see in every container.",
            )
            return redirect("inventory:count_detail", count_id=count.pk)
    return _list_page(request, form, status=422)


# ---- one count ------------------------------------------------------------------------


def _count_page(
    request: HttpRequest,
    count: Count,
    *,
    form: CountEntryForm | None = None,
    close_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    closure = _closure(count)
    context: dict[str, Any] = {
        "count": count,
        "closure": closure,
        "can_count": STOCK_KEEPERS.allows(user),
        "close_errors": close_errors or [],
    }
    if closure is not None:
        lines = reports.count_lines(closure)
        context["lines"] = lines
        context["discrepancy_count"] = sum(1 for line in lines if hasattr(line, "discrepancy"))
    else:
        sheet = reports.count_sheet(count, viewer=user)
        context["sheet"] = sheet
        context["mine_counted"] = sum(1 for row in sheet.rows if row.mine_ml is not None)
        if context["can_count"]:
            entry_form = form or CountEntryForm(rows=sheet.rows)
            context["form"] = entry_form
            context["sheet_rows"] = [
                (
                    row,
                    entry_form[ml_field(row.container.pk)],
                    entry_form[f"sealed_{row.container.pk}"] if row.sealed else None,
                )
                for row in sheet.rows
            ]
    return render(request, "inventory/counts/detail.html", context, status=status)


@access(INVENTORY_READERS)
def count_detail(request: HttpRequest, count_id: int) -> HttpResponse:
    """An open count: the counter's sheet (their own figures) and what stops it closing.
    A closed one: each container expected against counted, and the discrepancies."""
    return _count_page(request, _count(count_id))


class _Refused(Exception):
    """Raised inside the entry's transaction so that no figure of a refused sheet stays."""


def _enter_figures(count: Count, form: CountEntryForm, user: User) -> int:
    """Record each figure the counter changed; one refusal leaves none written."""
    by_pk = {row.container.pk: row for row in form.rows}
    entered = 0
    refused = False
    try:
        with transaction.atomic():
            for pk, volume_ml in form.figures().items():
                row = by_pk[pk]
                if row.mine_ml == volume_ml:
                    continue  # unchanged since this counter last saved: not a recount
                try:
                    count_enter(count, by=user, container=row.container, counted_ml=volume_ml)
                except ValidationError as error:
                    refused = True
                    for messages_ in error.message_dict.values():
                        for message in messages_:
                            form.add_error(ml_field(pk), message)
                else:
                    entered += 1
            if refused:
                raise _Refused
    except _Refused:
        return -1
    return entered


@access(STOCK_KEEPERS)
@require_POST
def count_enter_view(request: HttpRequest, count_id: int) -> HttpResponse:
    """POST only: the counter's figures for the containers they filled in."""
    user = staff_user(request)
    count = _count(count_id)
    if _closure(count) is not None:
        messages.error(request, "This count is closed: start a new one.")
        return redirect("inventory:count_detail", count_id=count.pk)
    sheet = reports.count_sheet(count, viewer=user)
    form = CountEntryForm(request.POST, rows=sheet.rows)
    if form.is_valid():
        try:
            entered = _enter_figures(count, form, user)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if entered >= 0:
                mine = sum(
                    1
                    for row in reports.count_sheet(count, viewer=user).rows
                    if row.mine_ml is not None
                )
                messages.success(
                    request,
                    f"{entered} figure{'s' if entered != 1 else ''} saved; you have counted "
                    f"{mine} of {len(sheet.rows)} container{'s' if len(sheet.rows) != 1 else ''}.",
                )
                return redirect("inventory:count_detail", count_id=count.pk)
    return _count_page(request, count, form=form, status=422)


@access(STOCK_KEEPERS)
@require_POST
def count_close_view(request: HttpRequest, count_id: int) -> HttpResponse:
    """POST only: close the count; each difference from the record opens a discrepancy."""
    user = staff_user(request)
    count = _count(count_id)
    try:
        closure = count_close(count, by=user)
    except ValidationError as error:
        problems = [m for values in error.message_dict.values() for m in values]
        return _count_page(request, count, close_errors=problems, status=422)
    except PermissionDenied as error:
        return _count_page(request, count, close_errors=[str(error)], status=422)
    opened = Discrepancy.objects.filter(line__closure=closure).count()
    if opened:
        messages.warning(
            request,
            f"Count closed with {opened} discrepanc{'ies' if opened != 1 else 'y'}: the clinic "
            "lead must resolve them before the next count can close.",
        )
    else:
        messages.success(request, "Count closed: every container matched the record.")
    return redirect("inventory:count_detail", count_id=count.pk)


# ---- discrepancies --------------------------------------------------------------------


@access(INVENTORY_READERS)
def discrepancy_list(request: HttpRequest) -> HttpResponse:
    """Open discrepancies first (the oldest at the top), then those resolved."""
    return render(
        request,
        "inventory/counts/discrepancies.html",
        {"discrepancies": reports.discrepancies_open_first()},
    )


def _discrepancy(discrepancy_id: int) -> Discrepancy:
    try:
        return Discrepancy.objects.select_related(
            "line__container__lot__product",
            "line__closure__count__location",
            "line__closure__first_counter",
            "line__closure__second_counter",
            "resolution__resolved_by",
        ).get(pk=discrepancy_id)
    except Discrepancy.DoesNotExist:
        raise Http404("No such discrepancy") from None


def _discrepancy_page(
    request: HttpRequest,
    discrepancy: Discrepancy,
    form: DiscrepancyResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    resolved = hasattr(discrepancy, "resolution")
    can_resolve = LEADS.allows(user) and not resolved
    initial = {
        "outcome": DiscrepancyOutcome.LOSS
        if discrepancy.difference_mg < 0
        else DiscrepancyOutcome.COUNT_ERROR
    }
    return render(
        request,
        "inventory/counts/discrepancy.html",
        {
            "discrepancy": discrepancy,
            "story": reports.discrepancy_story(discrepancy),
            "resolution": discrepancy.resolution if resolved else None,
            "can_resolve": can_resolve,
            "form": (form or DiscrepancyResolveForm(initial=initial)) if can_resolve else None,
        },
        status=status,
    )


@access(INVENTORY_READERS)
def discrepancy_detail(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    """The difference, the container's entries since its previous count, and for the
    clinic lead the resolution form."""
    return _discrepancy_page(request, _discrepancy(discrepancy_id))


@access(LEADS)
@require_POST
def discrepancy_resolve_view(request: HttpRequest, discrepancy_id: int) -> HttpResponse:
    """POST only: the lead's finding; a confirmed loss takes the missing mg off the record."""
    user = staff_user(request)
    discrepancy = _discrepancy(discrepancy_id)
    if hasattr(discrepancy, "resolution"):
        messages.error(request, RESOLVE_DONE)
        return redirect("inventory:discrepancy_detail", discrepancy_id=discrepancy.pk)
    form = DiscrepancyResolveForm(request.POST)
    if form.is_valid():
        try:
            discrepancy_resolve(
                discrepancy,
                by=user,
                outcome=DiscrepancyOutcome(form.cleaned_data["outcome"]),
                notes=form.cleaned_data["notes"],
                form_106_reference=form.cleaned_data["form_106_reference"],
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Discrepancy resolved.")
            return redirect("inventory:discrepancy_detail", discrepancy_id=discrepancy.pk)
    return _discrepancy_page(request, discrepancy, form, status=422)
