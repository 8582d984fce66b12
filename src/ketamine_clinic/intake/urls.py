from __future__ import annotations

from django.urls import path

from ketamine_clinic.intake import views

app_name = "intake"

urlpatterns = [
    path("intake/patients/<int:patient_id>/tablet", views.open_kiosk, name="open"),
    path("kiosk/", views.kiosk_home, name="kiosk_home"),
    path("kiosk/forms/<slug:form_key>", views.kiosk_form, name="kiosk_form"),
    path("kiosk/forms/<slug:form_key>/draft", views.kiosk_draft, name="kiosk_draft"),
    path("kiosk/locked", views.kiosk_locked, name="kiosk_locked"),
]
