"""The clinic's outcome dashboard (aggregates only, so no per-patient audit entry)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic.access.policy import access
from ketamine_clinic.outcomes.dashboard import csv_rows, dashboard_page
from ketamine_clinic.outcomes.policies import OUTCOME_READERS
from ketamine_clinic.outcomes.selectors import DEFAULT_INSTRUMENT, outcome_instruments

UNKNOWN_INSTRUMENT = "Instrument: {value!r} is not one with a response rule; choose from {known}."


@access(OUTCOME_READERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Response, remission and any benefit with both denominators, breakdowns,
    durability and the published figures; ``?format=csv`` gives the tables as CSV."""
    instruments = outcome_instruments()
    key = request.GET.get("instrument", DEFAULT_INSTRUMENT)
    wants_csv = request.GET.get("format") == "csv"
    if key not in instruments:
        message = UNKNOWN_INSTRUMENT.format(value=key, known=", ".join(instruments.values()))
        if wants_csv:
            return HttpResponse(
                message + "\n", status=400, content_type="text/plain; charset=utf-8"
            )
        return render(
            request,
            "outcomes/dashboard.html",
            {"error": message, "instruments": instruments, "chosen": DEFAULT_INSTRUMENT},
            status=400,
        )
    page = dashboard_page(key)
    if wants_csv:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        today = timezone.localdate()
        response["Content-Disposition"] = (
            f'attachment; filename="outcomes-{key}-{today:%Y-%m-%d}.csv"'
        )
        writer = csv.writer(response)
        writer.writerows(csv_rows(page.outcomes))
        return response
    return render(
        request,
        "outcomes/dashboard.html",
        {"page": page, "instruments": instruments, "chosen": key, "short_name": instruments[key]},
    )
