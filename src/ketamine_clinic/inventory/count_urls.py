"""The count pages, under /inventory/counts/."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.inventory.views import counts

urlpatterns: list[URLPattern] = [
    path("", counts.count_list, name="count_list"),
    path("start", counts.count_start_view, name="count_start"),
    path("<int:count_id>/", counts.count_detail, name="count_detail"),
    path("<int:count_id>/enter", counts.count_enter_view, name="count_enter"),
    path("<int:count_id>/close", counts.count_close_view, name="count_close"),
    path("discrepancies/", counts.discrepancy_list, name="discrepancy_list"),
    path(
        "discrepancies/<int:discrepancy_id>/",
        counts.discrepancy_detail,
        name="discrepancy_detail",
    ),
    path(
        "discrepancies/<int:discrepancy_id>/resolve",
        counts.discrepancy_resolve_view,
        name="discrepancy_resolve",
    ),
]
