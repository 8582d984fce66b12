"""The printable logs, under /inventory/reports/ (each also as CSV with ?format=csv)."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.inventory.views import reports

urlpatterns: list[URLPattern] = [
    path("", reports.report_index, name="report_index"),
    path("receipts/", reports.receipt_log, name="report_receipts"),
    path("dispensing/", reports.dispensing_log, name="report_dispensing"),
    path("waste/", reports.waste_log, name="report_waste"),
    path("counts/", reports.count_history, name="report_counts"),
    path("biennial/", reports.biennial_inventory, name="report_biennial"),
]
