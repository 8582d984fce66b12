"""Sign-in, sign-out and staff administration pages."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import ANY_STAFF, PUBLIC, access, roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.forms import SignInForm
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.sessions import session_end, session_start

SIGN_IN_FAILED = "That username and password do not match an active account."


@access(PUBLIC)
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if isinstance(user, User):
            session_start(request=request, user=user)
            return redirect("home")
        error = SIGN_IN_FAILED
    return render(request, "accounts/sign_in.html", {"form": form, "error": error})


@access(ANY_STAFF)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session_end(request=request)
    return redirect("accounts:sign_in")


@access(roles(Role.ADMINISTRATOR))
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = User.objects.prefetch_related("role_grants").order_by("username")
    return render(request, "accounts/staff_list.html", {"staff": staff})
