"""Any staff member changes their own password (and must, after an administrator's reset)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketamine_clinic.access.policy import ANY_STAFF, access, staff_user
from ketamine_clinic.accounts.forms import PasswordChangeForm, apply_errors
from ketamine_clinic.accounts.services.passwords import user_change_password


@access(ANY_STAFF)
def password_change(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_change_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                by=user,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # Keep this session; the account's other sessions end with the old hash.
            update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed.")
            return redirect("home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": user.must_change_password},
    )
