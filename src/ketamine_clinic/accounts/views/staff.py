"""Staff administration, for administrators: accounts, roles, passwords, second factors.

Every change is a POST (CSRF-checked) that calls one service; the service audits it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, roles, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.forms import (
    PasswordResetForm,
    StaffCreateForm,
    StaffDetailsForm,
    apply_errors,
)
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import StaffRow, staff_member, staff_rows
from ketamine_clinic.accounts.services.passwords import user_reset_password
from ketamine_clinic.accounts.services.second_factor import second_factor_reset
from ketamine_clinic.accounts.services.sign_in import user_unlock
from ketamine_clinic.accounts.services.users import (
    user_create,
    user_deactivate,
    user_reactivate,
    user_update,
)

ADMINISTRATORS = roles(Role.ADMINISTRATOR)


def _member(user_id: int) -> StaffRow:
    try:
        return staff_member(user_id=user_id)
    except User.DoesNotExist:
        raise Http404("No such staff account") from None


@access(ADMINISTRATORS)
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/staff_list.html", {"rows": staff_rows()})


@access(ADMINISTRATORS)
def staff_create(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = user_create(
                username=data["username"],
                password=data["password"],
                roles=data["roles"],
                by=admin,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                credentials=data["credentials"],
                must_change_password=True,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Account {created.username} created. They choose their own password at "
                "first sign-in.",
            )
            return redirect("accounts:staff_detail", user_id=created.pk)
    return render(request, "accounts/staff_form.html", {"form": form, "member": None})


@access(ADMINISTRATORS)
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(user_id)
    return render(
        request,
        "accounts/staff_detail.html",
        {"member": member, "is_self": member.user.pk == request.user.pk},
    )


@access(ADMINISTRATORS)
def staff_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = staff_user(request)
    member = _member(user_id)
    person = member.user
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "credentials": person.credentials,
        "email": person.email,
        "roles": list(member.roles),
    }
    form = StaffDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_update(
                user=person,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                credentials=data["credentials"],
                roles=data["roles"],
                by=admin,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Account {person.username} saved.")
            admin.forget_cached_roles()
            if Role.ADMINISTRATOR not in admin.roles:
                # Gave up one's own administrator role: the staff pages are closed now.
                return redirect("home")
            return redirect("accounts:staff_detail", user_id=person.pk)
    return render(request, "accounts/staff_form.html", {"form": form, "member": member})


@access(ADMINISTRATORS)
def staff_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = staff_user(request)
    member = _member(user_id)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_reset_password(user=member.user, password=form.cleaned_data["password"], by=admin)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Temporary password set for {member.user.username}. Their sessions have "
                "ended; they must choose a new password at sign-in.",
            )
            return redirect("accounts:staff_detail", user_id=member.user.pk)
    return render(request, "accounts/staff_reset_password.html", {"form": form, "member": member})


def _simple_action(
    request: HttpRequest, user_id: int, action: Callable[[User, User], object], done: str
) -> HttpResponse:
    """Run a one-button action on an account and come back to its page with the result."""
    admin = staff_user(request)
    member = _member(user_id)
    try:
        action(member.user, admin)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, done.format(username=member.user.username))
    return redirect("accounts:staff_detail", user_id=member.user.pk)


@access(ADMINISTRATORS)
@require_POST
def staff_reset_second_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    return _simple_action(
        request,
        user_id,
        lambda user, by: second_factor_reset(user=user, by=by),
        "Second factor of {username} removed; they enrol a new one at next sign-in.",
    )


@access(ADMINISTRATORS)
@require_POST
def staff_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    return _simple_action(
        request,
        user_id,
        lambda user, by: user_unlock(user=user, by=by),
        "{username} is unlocked and may sign in again.",
    )


@access(ADMINISTRATORS)
@require_POST
def staff_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _simple_action(
        request,
        user_id,
        lambda user, by: user_deactivate(user=user, by=by),
        "{username} is deactivated; their sessions have ended. Their history is kept.",
    )


@access(ADMINISTRATORS)
@require_POST
def staff_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _simple_action(
        request,
        user_id,
        lambda user, by: user_reactivate(user=user, by=by),
        "{username} is active again.",
    )
