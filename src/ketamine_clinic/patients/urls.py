from __future__ import annotations

from django.urls import path

from ketamine_clinic.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_register, name="register"),
    path("<int:patient_id>/", views.patient_chart_view, name="chart"),
    path("<int:patient_id>/details/", views.patient_edit_details, name="edit_details"),
    path("<int:patient_id>/weights/new/", views.weight_add, name="weight_add"),
    path(
        "<int:patient_id>/weights/<int:weight_id>/entered-in-error/",
        views.weight_error,
        name="weight_error",
    ),
    path("<int:patient_id>/allergies/new/", views.allergy_new, name="allergy_add"),
    path("<int:patient_id>/allergies/none/", views.allergy_none, name="allergy_none"),
    path(
        "<int:patient_id>/allergies/<int:allergy_id>/entered-in-error/",
        views.allergy_error,
        name="allergy_error",
    ),
    path("<int:patient_id>/medications/new/", views.medication_new, name="medication_add"),
    path(
        "<int:patient_id>/medications/<int:medication_id>/correct/",
        views.medication_edit,
        name="medication_correct",
    ),
    path(
        "<int:patient_id>/medications/<int:medication_id>/stop/",
        views.medication_end,
        name="medication_stop",
    ),
    path(
        "<int:patient_id>/medications/<int:medication_id>/entered-in-error/",
        views.medication_error,
        name="medication_error",
    ),
    path("<int:patient_id>/diagnoses/new/", views.diagnosis_new, name="diagnosis_add"),
    path(
        "<int:patient_id>/diagnoses/<int:diagnosis_id>/entered-in-error/",
        views.diagnosis_error,
        name="diagnosis_error",
    ),
    path(
        "<int:patient_id>/pregnancy-potential/",
        views.pregnancy_potential,
        name="pregnancy_potential",
    ),
]
