"""The printable logs of the controlled-substance record, each also as CSV.

`?format=csv` gives the very rows the page prints (reports.py builds them once). The
filters are checked by a form: a bad date or an unknown lot is a message on the page
(status 400; plain text for CSV), never a server error, and reads nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.csv_cells import formula_safe
from ketamine_clinic.inventory import reports
from ketamine_clinic.inventory.forms.reports import ReportFilterForm
from ketamine_clinic.inventory.policies import INVENTORY_READERS

# (filters, reader, purpose "page" or "csv", page number or None for every row)
ReportMaker = Callable[[reports.ReportFilters, User, str, int | None], reports.Report]
# The logs with a row per movement, which open on their last DEFAULT_DAYS days.
RECENT_BY_DEFAULT = frozenset({"receipts", "dispensing", "waste"})
DEFAULT_DAYS = 31


def _csv(report: reports.Report, filters: reports.ReportFilters) -> HttpResponse:
    today = timezone.localdate()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.key}-{today:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow([formula_safe(cell) for cell in row])
    return response


def _table_body(report: reports.Report) -> SafeString:
    """The table's rows as HTML, every cell escaped: the very markup the template's two
    nested loops gave, at a tenth of their cost (a month's waste log is some 450 rows of
    17 cells; the loops took most of the page's 130 ms of CPU)."""
    opening = [f'<td class="{css}">' if css else "<td>" for css in report.column_classes()]
    rows = (
        "<tr>"
        + "".join(f"{td}{escape(cell)}</td>" for td, cell in zip(opening, row, strict=True))
        + "</tr>"
        for row in report.rows
    )
    return mark_safe("\n".join(rows))  # noqa: S308 - every cell escaped above


def _page_number(request: HttpRequest) -> int:
    """The `page` asked for; anything but a positive number is the first page."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1


def _report_view(request: HttpRequest, make: ReportMaker, key: str) -> HttpResponse:
    user = staff_user(request)
    wants_csv = request.GET.get("format") == "csv"
    # `page` picks rows, not the range: alone it leaves the log on its default range.
    filter_data = request.GET.copy()
    filter_data.pop("page", None)
    form = ReportFilterForm(filter_data or None)
    if form.is_bound and not form.is_valid():
        if wants_csv:
            problems = "; ".join(
                f"{form.fields[name].label if name in form.fields else 'Filters'}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            )
            return HttpResponse(
                f"The filters are not valid: {problems}\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return render(
            request,
            "inventory/reports/report.html",
            {
                "form": form,
                "report": None,
                "title": reports.REPORTS[key],
                "key": key,
                "registration": reports.registration_at(),
            },
            status=400,
        )
    if form.is_bound:
        filters = form.filters()
    elif key in RECENT_BY_DEFAULT:
        # Unfiltered, a busy clinic's movement logs run to tens of thousands of rows
        # (minutes to read and print, bench/pages.py): the page opens on the last month
        # of the record, its first date in the form, and any range is one filter away.
        latest = reports.latest_movement_day() or timezone.localdate()
        filters = reports.ReportFilters(date_from=latest - timedelta(days=DEFAULT_DAYS - 1))
    else:
        filters = reports.ReportFilters()
    if wants_csv:
        return _csv(make(filters, user, "csv", None), filters)
    report = make(filters, user, "page", _page_number(request))
    query = filter_data.copy()
    if not form.is_bound and filters.date_from is not None:
        query["date_from"] = filters.date_from.isoformat()  # the CSV link gives these rows
    pages = {}
    if report.paging is not None:
        for name, number in (("previous", report.paging.previous), ("next", report.paging.next)):
            if number is not None:
                query["page"] = str(number)
                pages[name] = query.urlencode()
        query.pop("page", None)
    query["format"] = "csv"
    initial = {"date_from": filters.date_from} if filters.date_from else {}
    return render(
        request,
        "inventory/reports/report.html",
        {
            "form": form if form.is_bound else ReportFilterForm(initial=initial),
            "report": report,
            "title": report.title,
            "key": key,
            "filters": filters,
            "rows": [list(zip(row, report.column_classes(), strict=True)) for row in report.rows],
            "table_body": _table_body(report),
            "headers": list(zip(report.columns, report.column_classes(), strict=True)),
            "registration": reports.registration_at(),
            "clinic_name": settings.KC_CLINIC_NAME,
            "printed_at": timezone.localtime(),
            "csv_query": query.urlencode(),
            "page_queries": pages,
        },
    )


@access(INVENTORY_READERS)
def report_index(request: HttpRequest) -> HttpResponse:
    """The list of logs, each printable and downloadable as CSV."""
    return render(
        request,
        "inventory/reports/index.html",
        {"reports": reports.REPORTS, "registration": reports.registration_at()},
    )


@access(INVENTORY_READERS)
def receipt_log(request: HttpRequest) -> HttpResponse:
    """Every receipt: supplier (as it was then), invoice, product, lot, containers, mg."""
    return _report_view(
        request, lambda f, _user, _purpose, _page: reports.receipt_log(f), "receipts"
    )


@access(INVENTORY_READERS)
def dispensing_log(request: HttpRequest) -> HttpResponse:
    """Per syringe: patient, visit, containers and lots, mg drawn, given, wasted, who.
    It names patients, so each reading is audited. The page shows PAGE_ROWS syringes at a
    time (totals for the whole range); the CSV has every row."""
    return _report_view(
        request,
        lambda f, user, purpose, page: reports.dispensing_log(
            f, by=user, purpose=purpose, page=page
        ),
        "dispensing",
    )


@access(INVENTORY_READERS)
def waste_log(request: HttpRequest) -> HttpResponse:
    """Witnessed syringe waste, and stock destroyed on site or returned."""
    return _report_view(request, lambda f, _user, _purpose, _page: reports.waste_log(f), "waste")


@access(INVENTORY_READERS)
def count_history(request: HttpRequest) -> HttpResponse:
    """Each closed count, line by line, with its discrepancies and their resolution."""
    return _report_view(
        request, lambda f, _user, _purpose, _page: reports.count_history(f), "counts"
    )


@access(INVENTORY_READERS)
def biennial_inventory(request: HttpRequest) -> HttpResponse:
    """The latest closed biennial inventory in the range, container by container."""
    return _report_view(
        request, lambda f, _user, _purpose, _page: reports.biennial_inventory(f), "biennial"
    )
