from __future__ import annotations

from django.urls import path

from ketamine_clinic.clinicday import views

app_name = "clinicday"

urlpatterns = [
    path("today/", views.day, name="day"),
    path("visits/<int:visit_id>/", views.visit_page, name="visit"),
    path("visits/<int:visit_id>/room", views.room_page, name="room"),
    path("visits/<int:visit_id>/discharge-sheet", views.discharge_sheet, name="discharge_sheet"),
    path("visits/<int:visit_id>/instructions", views.instructions_sheet, name="instructions"),
    *(
        path(f"visits/<int:visit_id>/{key.replace('_', '-')}", view, name=key)
        for key, view in views.ACTION_VIEWS.items()
    ),
]
