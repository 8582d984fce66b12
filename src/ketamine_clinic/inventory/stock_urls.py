"""The stock pages (views/stock.py), mounted at /inventory/."""

from __future__ import annotations

from django.urls import path

from ketamine_clinic.inventory.views import stock

urlpatterns = [
    path("", stock.dashboard, name="dashboard"),
    path("registration/", stock.registration, name="registration"),
    path("registration/record", stock.registration_record, name="registration_record"),
    path("suppliers/", stock.supplier_list, name="supplier_list"),
    path("suppliers/add", stock.supplier_add, name="supplier_add"),
    path("suppliers/<int:supplier_id>/edit", stock.supplier_edit, name="supplier_edit"),
    path("products/", stock.product_list, name="product_list"),
    path("products/add", stock.product_add, name="product_add"),
    path("locations/", stock.location_list, name="location_list"),
    path("locations/add", stock.location_add, name="location_add"),
    path("receive/", stock.receive, name="receive"),
    path("receipts/<int:receipt_id>/", stock.receipt_page, name="receipt"),
    path("containers/<int:container_id>/", stock.container_page, name="container"),
    path("containers/<int:container_id>/remove", stock.container_remove, name="container_remove"),
    path("entries/<int:entry_id>/correct", stock.entry_correct, name="entry_correct"),
]
