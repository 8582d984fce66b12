"""The consent form on the tablet: read the current document, type your name, sign.

The kiosk renders it with ``intake/kiosk_consent.html`` (the document, a name field and
a signature pad, ``intake/signature-pad.js``) and hands what comes back to
``services.consent_sign``. Every check is the consent service's: the kiosk only turns
its refusals into messages beside the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from django.core.exceptions import ValidationError

from ketamine_clinic.consent.data import TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.selectors import current_document
from ketamine_clinic.consent.services import SIGN_NOT_CURRENT, TYPED_NAME_MAX_LENGTH, consent_sign
from ketamine_clinic.consent.signature_image import (
    DATA_URL_PREFIX,
    MAX_SIGNATURE_BYTES,
    SignatureImageError,
    png_from_data_url,
)
from ketamine_clinic.consent.text import blocks
from ketamine_clinic.intake.kiosk_forms import KioskForm, KioskFormInvalid, Question, Submitted

if TYPE_CHECKING:
    from ketamine_clinic.intake.models import KioskSession
    from ketamine_clinic.patients.models import Patient

CONSENT_FORM_KEY: Final = "consent"
NO_DOCUMENT: Final = (
    "There is no consent document to sign yet. Please hand the tablet back to staff."
)

# The service's field names -> the form's question keys, for messages beside the fields.
_FIELD_TO_QUESTION: Final = {
    "typed_name": "typed_name",
    "signature": "signature",
    "document": "document_id",
}


def _page_context(patient: Patient) -> Mapping[str, object]:
    del patient  # every patient signs the same current text
    document = current_document(TREATMENT_CONSENT_KEY)
    return {
        "document": document,
        "blocks": blocks(document.body) if document is not None else [],
        "no_document": NO_DOCUMENT,
    }


def _submit_in_session(session: KioskSession, answers: Mapping[str, str]) -> Submitted:
    document = current_document(TREATMENT_CONSENT_KEY)
    if document is None:
        raise KioskFormInvalid({"document_id": NO_DOCUMENT})
    if answers.get("document_id", "") != str(document.pk):
        # The patient read another version than the one now current.
        raise KioskFormInvalid({"document_id": SIGN_NOT_CURRENT})
    errors: dict[str, str] = {}
    png = b""
    try:
        png = png_from_data_url(answers.get("signature", ""))
    except SignatureImageError as refused:
        errors["signature"] = refused.message
    try:
        signature = consent_sign(
            patient=session.patient,
            document=document,
            typed_name=answers.get("typed_name", ""),
            # Called even when the data URL was refused (png is empty then), so that the
            # name's message comes back with the signature's in one go.
            signature_png=png,
            kiosk_session=session,
        )
    except ValidationError as invalid:
        for field, messages in invalid.message_dict.items():
            errors.setdefault(_FIELD_TO_QUESTION.get(field, field), "; ".join(messages))
    if errors:
        raise KioskFormInvalid(errors)
    return Submitted(object_type="consent_signature", object_id=str(signature.pk))


def _submit_without_session(patient: Patient, answers: Mapping[str, str]) -> Submitted:
    raise TypeError("the consent form is signed in a kiosk session (submit_in_session)")


def consent_form() -> KioskForm:
    """The form as the kiosk offers it; the document is read when the page is shown."""
    return KioskForm(
        key=CONSENT_FORM_KEY,
        title="Consent to treatment",
        intro=(
            "Please read the whole document. Then type your full name and sign with your "
            "finger or the pen in the box."
        ),
        questions=(
            # Not "required" here: the consent service says what is missing, in words
            # meant for this form.
            Question(key="document_id", text="Document", choices=None, required=False),
            Question(
                key="typed_name",
                text="Your full name",
                choices=None,
                required=False,
                max_length=TYPED_NAME_MAX_LENGTH,
            ),
            Question(
                key="signature",
                text="Your signature",
                choices=None,
                required=False,
                max_length=len(DATA_URL_PREFIX) + (MAX_SIGNATURE_BYTES * 4) // 3 + 4,
                autosave=False,
            ),
        ),
        submit=_submit_without_session,
        template="intake/kiosk_consent.html",
        page_context=_page_context,
        submit_in_session=_submit_in_session,
    )
