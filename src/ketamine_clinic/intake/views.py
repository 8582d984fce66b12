"""Tablet intake pages.

Two audiences. Staff open a tablet session for a patient (``intake:open``); the tablet
is then signed out of the staff account, so a patient holding it can reach no staff page.
The kiosk pages (``intake:kiosk_*``) are public by policy and act only through the
tablet's own cookie, a random token bound to one patient's session: without a valid
cookie they show nothing but a neutral screen.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import PUBLIC, access, roles, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.services.sessions import session_end
from ketamine_clinic.intake.enums import KioskState, LockReason
from ketamine_clinic.intake.kiosk_forms import KioskFormInvalid, available_forms
from ketamine_clinic.intake.models import KioskSession
from ketamine_clinic.intake.selectors import form_values, kiosk_for_token
from ketamine_clinic.intake.services import (
    KioskError,
    kiosk_lock,
    kiosk_open,
    kiosk_release,
    kiosk_save_draft,
    kiosk_submit,
    kiosk_touch,
    pending_form_keys,
)
from ketamine_clinic.patients.models import Patient

KIOSK_COOKIE = "kc_kiosk"
KIOSK_COOKIE_PATH = "/kiosk/"
# A kiosk day: the cookie outlives no clinic day, whatever happens to the session.
KIOSK_COOKIE_MAX_AGE_S = 12 * 3600
# Drafts arrive as small JSON bodies from the page's autosave.
MAX_DRAFT_BODY_BYTES = 64 * 1024


# --------------------------------------------------------------------------------------
# Staff: hand the tablet to a patient
# --------------------------------------------------------------------------------------


@access(roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER))
def open_kiosk(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Choose the patient's forms; on confirm, turn this browser into their kiosk."""
    user = staff_user(request)
    patient = get_object_or_404(Patient, pk=patient_id)
    forms = available_forms()
    error = ""
    chosen: list[str] = []
    if request.method == "POST":
        chosen = request.POST.getlist("forms")
        try:
            opened = kiosk_open(patient=patient, form_keys=chosen, actor=user)
        except KioskError as exc:
            error = exc.reason
        else:
            session_end(request=request)  # the tablet must carry no staff session
            response = redirect("intake:kiosk_home")
            response.set_cookie(
                KIOSK_COOKIE,
                opened.raw_token,
                max_age=KIOSK_COOKIE_MAX_AGE_S,
                path=KIOSK_COOKIE_PATH,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
            return response
    return render(
        request,
        "intake/open.html",
        {"patient": patient, "forms": forms.values(), "chosen": chosen, "error": error},
    )


# --------------------------------------------------------------------------------------
# The tablet
# --------------------------------------------------------------------------------------


def _kiosk(request: HttpRequest) -> KioskSession | None:
    return kiosk_for_token(request.COOKIES.get(KIOSK_COOKIE))


def _render_kiosk(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    context.setdefault("idle_seconds", settings.KC_KIOSK_IDLE_MINUTES * 60)
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # nothing of a patient's stays in the cache
    return response


def _no_session(request: HttpRequest) -> HttpResponse:
    return _render_kiosk(request, "intake/kiosk_none.html", {})


@access(PUBLIC)
def kiosk_home(request: HttpRequest) -> HttpResponse:
    """The patient's pending forms, as large buttons."""
    session = _kiosk(request)
    if session is None:
        return _no_session(request)
    if not kiosk_touch(session):
        return redirect("intake:kiosk_locked")
    forms = available_forms()
    pending = [forms[key] for key in pending_form_keys(session) if key in forms]
    return _render_kiosk(
        request,
        "intake/kiosk_home.html",
        {"session": session, "patient": session.patient, "pending": pending},
    )


@access(PUBLIC)
def kiosk_form(request: HttpRequest, form_key: str) -> HttpResponse:
    """One form: answers already saved come back filled in; send checks every answer."""
    session = _kiosk(request)
    if session is None:
        return _no_session(request)
    if not kiosk_touch(session):
        return redirect("intake:kiosk_locked")
    forms = available_forms()
    if form_key not in pending_form_keys(session) or form_key not in forms:
        return redirect("intake:kiosk_home")
    form = forms[form_key]
    errors: dict[str, str] = {}
    values = form_values(session, form) if request.method != "POST" else {}
    if request.method == "POST":
        values = {q.key: request.POST.get(q.key, "") for q in form.questions}
        try:
            more = kiosk_submit(session, form_key, values)
        except KioskFormInvalid as invalid:
            errors = invalid.errors
            autosaved = {q.key for q in form.questions if q.autosave}
            kiosk_save_draft(session, form_key, {k: v for k, v in values.items() if k in autosaved})
        except KioskError:
            return redirect("intake:kiosk_locked")
        else:
            return redirect("intake:kiosk_home" if more else "intake:kiosk_locked")
    questions = [
        {"question": q, "value": values.get(q.key, ""), "error": errors.get(q.key, "")}
        for q in form.questions
    ]
    extra = dict(form.page_context(session.patient)) if form.page_context is not None else {}
    return _render_kiosk(
        request,
        form.template,
        {
            **extra,
            "session": session,
            "patient": session.patient,
            "form": form,
            "questions": questions,
            "errors": errors,
            "has_errors": bool(errors),
            "draft_url": reverse("intake:kiosk_draft", args=[form_key]),
        },
    )


@access(PUBLIC)
@require_POST
def kiosk_draft(request: HttpRequest, form_key: str) -> HttpResponse:
    """Autosave: the page posts its fields as JSON after each change (204 when kept)."""
    session = _kiosk(request)
    if session is None:
        return JsonResponse({"error": "no tablet session"}, status=403)
    if not kiosk_touch(session):
        return JsonResponse(
            {"error": "locked", "locked_url": reverse("intake:kiosk_locked")}, status=409
        )
    if len(request.body) > MAX_DRAFT_BODY_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        data = json.loads(request.body or b"{}")
    except json.JSONDecodeError:
        return JsonResponse({"error": "body: not JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"error": "body: must be an object"}, status=400)
    try:
        kiosk_save_draft(session, form_key, data)
    except KioskError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(status=204)


@access(PUBLIC)
def kiosk_locked(request: HttpRequest) -> HttpResponse:
    """The lock screen; staff release the tablet here with their own credentials."""
    session = _kiosk(request)
    if session is None:
        return _no_session(request)
    if session.state == KioskState.ACTIVE:
        if request.method == "POST" and request.POST.get("action") == "lock":
            kiosk_lock(session, reason=LockReason.STAFF)
        elif not kiosk_touch(session):
            pass  # it just locked for inactivity
        else:
            return redirect("intake:kiosk_home")
    error = ""
    if request.method == "POST" and request.POST.get("action") == "release":
        try:
            kiosk_release(
                session,
                username=request.POST.get("username", ""),
                password=request.POST.get("password", ""),
                code=request.POST.get("code", ""),
            )
        except KioskError as exc:
            error = exc.reason
        else:
            response = redirect("accounts:sign_in")
            response.delete_cookie(KIOSK_COOKIE, path=KIOSK_COOKIE_PATH)
            return response
    session.refresh_from_db()
    return _render_kiosk(
        request,
        "intake/kiosk_locked.html",
        {
            "session": session,
            "finished": session.lock_reason == LockReason.FINISHED,
            "error": error,
        },
    )
