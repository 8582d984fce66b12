"""The controlled-substance pages: stock (stock_urls), counts (count_urls), reports (report_urls)."""

from __future__ import annotations

from django.urls import include, path

app_name = "inventory"

urlpatterns = [
    path("", include("ketamine_clinic.inventory.stock_urls")),
    path("counts/", include("ketamine_clinic.inventory.count_urls")),
    path("reports/", include("ketamine_clinic.inventory.report_urls")),
]
