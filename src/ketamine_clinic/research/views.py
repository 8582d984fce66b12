"""The clinic lead's page for the de-identified research export."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.research.forms import ExportForm
from ketamine_clinic.research.policies import RESEARCH_EXPORTING
from ketamine_clinic.research.requests import ExportRequest, ResearchExportError
from ketamine_clinic.research.selectors import recent_exports
from ketamine_clinic.research.services import research_export_zip
from ketamine_clinic.research.tables import TABLES

FIELD_OF = {"format": "file_format", "since": "since", "until": "until"}


def _page(request: HttpRequest, form: ExportForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "research/export.html",
        {"form": form, "tables": TABLES, "exports": recent_exports()},
        status=status,
    )


@access(RESEARCH_EXPORTING)
def export(request: HttpRequest) -> HttpResponse:
    return _page(request, ExportForm())


@access(RESEARCH_EXPORTING)
@require_POST
def download(request: HttpRequest) -> HttpResponseBase:
    """The export as a zip; a refused choice comes back on the page (422), nothing read."""
    user = staff_user(request)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    wanted = ExportRequest(
        file_format=form.cleaned_data["file_format"],
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
    )
    try:
        archive, result = research_export_zip(request=wanted, by=user)
    except ResearchExportError as exc:
        form.add_error(FIELD_OF.get(exc.field), exc.message)
        return _page(request, form, status=422)
    return FileResponse(
        archive,
        as_attachment=True,
        filename=f"research-export-{result.file_format}.zip",
        content_type="application/zip",
    )
