from __future__ import annotations

from django.urls import path

from ketamine_clinic.consent import views

app_name = "consent"

urlpatterns = [
    path("documents/", views.document_list, name="documents"),
    path("documents/publish/", views.document_publish, name="publish"),
    path("documents/<int:document_id>/", views.document_detail, name="document"),
    path("patients/<int:patient_id>/", views.patient_consents, name="patient"),
    path("patients/<int:patient_id>/withdraw/", views.consent_withdraw_view, name="withdraw"),
    path("signatures/<int:signature_id>/", views.signature_detail, name="signature"),
    path(
        "signatures/<int:signature_id>/signature.png",
        views.signature_image,
        name="signature_image",
    ),
]
