from __future__ import annotations

from django.urls import path

from ketamine_clinic.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("staff/", views.staff_list, name="staff_list"),
]
