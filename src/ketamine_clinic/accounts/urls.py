from __future__ import annotations

from django.urls import path

from ketamine_clinic.accounts.views import password, sign_in, staff

app_name = "accounts"

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign_in"),
    path("second-factor/", sign_in.second_factor, name="second_factor"),
    path("second-factor/enrol/", sign_in.second_factor_enrol, name="second_factor_enrol"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("password/", password.password_change, name="password_change"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/edit/", staff.staff_edit, name="staff_edit"),
    path(
        "staff/<int:user_id>/reset-password/",
        staff.staff_reset_password,
        name="staff_reset_password",
    ),
    path(
        "staff/<int:user_id>/reset-second-factor/",
        staff.staff_reset_second_factor,
        name="staff_reset_second_factor",
    ),
    path("staff/<int:user_id>/unlock/", staff.staff_unlock, name="staff_unlock"),
    path("staff/<int:user_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:user_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
]
