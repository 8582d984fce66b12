"""Signing in (password, then a TOTP code or enrolment where the roles need it) and out."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import ANY_STAFF, PUBLIC, access
from ketamine_clinic.accounts.enums import SignInStep
from ketamine_clinic.accounts.forms import CodeForm, SignInForm
from ketamine_clinic.accounts.services.second_factor import second_factor_enrolment_begin
from ketamine_clinic.accounts.services.sessions import (
    PENDING_EXPIRED,
    PENDING_SECOND_FACTOR_MINUTES,
    session_end,
    session_next_url,
    session_pending_next,
    session_pending_user,
    session_sign_in_code,
    session_sign_in_enrol,
    session_sign_in_password,
)
from ketamine_clinic.accounts.services.sign_in import SignInRefused
from ketamine_clinic.accounts.totp_display import totp_qr_svg, totp_secret_grouped

_STEP_URL = {
    SignInStep.SECOND_FACTOR: "accounts:second_factor",
    SignInStep.ENROLMENT: "accounts:second_factor_enrol",
}


@access(PUBLIC)
def sign_in(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("next", "")
    if request.method != "POST" and request.user.is_authenticated:
        return redirect(session_next_url(request=request, wanted=wanted))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            step = session_sign_in_password(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                next_url=wanted,
            )
        except SignInRefused as refused:
            form.add_error(None, refused.message)
        else:
            if step is None:
                return redirect(session_next_url(request=request, wanted=wanted))
            return redirect(_STEP_URL[step])
    return render(request, "accounts/sign_in.html", {"form": form})


@access(PUBLIC)
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code page: public, because the person is not signed in until it passes."""
    user = session_pending_user(request=request)
    if user is None:
        return _pending_expired(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wanted = session_pending_next(request=request)
        try:
            session_sign_in_code(request=request, user=user, token=form.cleaned_data["otp_token"])
        except SignInRefused as refused:
            form.add_error("otp_token", refused.message)
        else:
            return redirect(session_next_url(request=request, wanted=wanted))
    return render(request, "accounts/second_factor.html", {"form": form, "pending_user": user})


@access(PUBLIC)
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of someone whose roles need a code: scan, then confirm a code."""
    user = session_pending_user(request=request)
    if user is None:
        return _pending_expired(request)
    try:
        device = second_factor_enrolment_begin(user=user)
    except SignInRefused:
        return redirect("accounts:second_factor")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wanted = session_pending_next(request=request)
        try:
            session_sign_in_enrol(request=request, user=user, token=form.cleaned_data["otp_token"])
        except SignInRefused as refused:
            form.add_error("otp_token", refused.message)
        else:
            messages.success(request, "Your authenticator is set up. You are signed in.")
            return redirect(session_next_url(request=request, wanted=wanted))
    context = {
        "form": form,
        "pending_user": user,
        "secret": totp_secret_grouped(device),
        "qr_svg": totp_qr_svg(device),
        "minutes": PENDING_SECOND_FACTOR_MINUTES,
    }
    return render(request, "accounts/second_factor_enrol.html", context)


def _pending_expired(request: HttpRequest) -> HttpResponse:
    # A page rather than a redirect: a stale tab says why it has to start again.
    return render(request, "accounts/pending_expired.html", {"message": PENDING_EXPIRED})


@access(ANY_STAFF)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session_end(request=request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:sign_in")
