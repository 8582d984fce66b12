"""Staff pages of consent: the versions, publishing one, a patient's consent, a signature.

Patients sign on the tablet (``consent.kiosk`` through the intake kiosk). Here staff
read what was signed; reads of a patient's signature are audited by the selectors, and
publishing is a service with its own audit entry.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.consent.data import TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.forms import PublishForm, WithdrawForm
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature
from ketamine_clinic.consent.policies import (
    CONSENT_PUBLISHING,
    CONSENT_READERS,
    CONSENT_WITHDRAWING,
)
from ketamine_clinic.consent.selectors import (
    current_consent,
    current_document,
    document_versions,
    signature_get,
    signatures_of,
    withdrawals_of,
)
from ketamine_clinic.consent.services import consent_publish, consent_withdraw
from ketamine_clinic.consent.text import blocks
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import patient_get


def _no_store(response: HttpResponse) -> HttpResponse:
    """A patient's signature stays out of every cache, the browser's included."""
    response["Cache-Control"] = "no-store"
    return response


@access(CONSENT_READERS)
def document_list(request: HttpRequest) -> HttpResponse:
    """Every version of the treatment consent, which one is current, who published each."""
    user = staff_user(request)
    return render(
        request,
        "consent/documents.html",
        {
            "versions": document_versions(TREATMENT_CONSENT_KEY),
            "can_publish": CONSENT_PUBLISHING.allows(user),
        },
    )


@access(CONSENT_READERS)
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """One version's text as patients read it."""
    staff_user(request)
    document = ConsentDocument.objects.filter(pk=document_id).first()
    if document is None:
        raise Http404("No such consent document")
    return render(
        request,
        "consent/document.html",
        {"document": document, "blocks": blocks(document.body)},
    )


@access(CONSENT_PUBLISHING)
def document_publish(request: HttpRequest) -> HttpResponse:
    """Publish the next version; the form starts from the current text."""
    user = staff_user(request)
    current = current_document(TREATMENT_CONSENT_KEY)
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            try:
                document = consent_publish(key=TREATMENT_CONSENT_KEY, **form.cleaned_data, by=user)
            except ValidationError as invalid:
                for field, errors in invalid.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    f"Version {document.version} published. Every patient signs it before "
                    "their next infusion.",
                )
                return redirect("consent:document", document_id=document.pk)
    else:
        initial: dict[str, object] = {"effective_on": timezone.localdate(timezone.now())}
        if current is not None:
            initial.update(title=current.title, body=current.body)
        form = PublishForm(initial=initial)
    return render(request, "consent/publish.html", {"form": form, "current": current})


@access(CONSENT_READERS)
def patient_consents(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's consent: whether they must sign the current version, and every signature."""
    user = staff_user(request)
    try:
        patient = patient_get(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    return _no_store(
        render(
            request,
            "consent/patient.html",
            {
                "patient": patient,
                "document": current_document(TREATMENT_CONSENT_KEY),
                "current": current_consent(patient, TREATMENT_CONSENT_KEY),
                "signatures": signatures_of(patient),
                "withdrawals": withdrawals_of(patient),
                "can_withdraw": CONSENT_WITHDRAWING.allows(user),
            },
        )
    )


@access(CONSENT_WITHDRAWING)
def consent_withdraw_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record that the patient withdrew consent (they sign again before any infusion)."""
    user = staff_user(request)
    try:
        patient = patient_get(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent_withdraw(patient=patient, reason=form.cleaned_data["reason"], by=user)
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, "Withdrawal recorded: the patient signs again before any infusion."
            )
            return redirect("consent:patient", patient_id=patient.pk)
    return _no_store(
        render(
            request,
            "consent/withdraw.html",
            {"form": form, "patient": patient, "current": current_consent(patient)},
        )
    )


def _signature(request: HttpRequest, signature_id: int, part: str) -> ConsentSignature:
    user = staff_user(request)
    try:
        return signature_get(signature_id=signature_id, by=user, part=part)
    except ConsentSignature.DoesNotExist:
        raise Http404("No such signature") from None


@access(CONSENT_READERS)
def signature_detail(request: HttpRequest, signature_id: int) -> HttpResponse:
    """A signature as given: the version's text as signed, the name typed, the drawing."""
    signature = _signature(request, signature_id, "page")
    return _no_store(
        render(
            request,
            "consent/signature.html",
            {
                "signature": signature,
                "patient": signature.patient,
                "document": signature.document,
                "blocks": blocks(signature.document.body),
            },
        )
    )


@access(CONSENT_READERS)
def signature_image(request: HttpRequest, signature_id: int) -> HttpResponse:
    """The drawn signature, exactly the PNG bytes stored (validated when signed)."""
    signature = _signature(request, signature_id, "image")
    response = HttpResponse(bytes(signature.signature_png), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="consent-signature-{signature.pk}.png"'
    return _no_store(response)
