"""Consent documents (versioned text) and the signatures patients give to them.

Both are records of what a patient agreed to, so neither is ever edited: a changed text
is a new version of the document, and a new signature is a new row. The one thing that
changes on a document is that a later version supersedes it, written once by the
publishing service with a queryset update (``save`` refuses to rewrite a row).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.insert_only import InsertOnlyModel


class ConsentDocument(InsertOnlyModel):
    """One version of a consent text, exactly as patients read and sign it.

    ``body`` is plain text: blank lines separate paragraphs, a line starting ``## `` is
    a heading and lines starting ``- `` are a list (see ``text.blocks``). It is never
    rendered as HTML. ``body_sha256`` fingerprints title and body, so a printout or an
    export can prove which text a signature refers to.
    """

    key = models.SlugField(max_length=64, help_text="Which consent this is a version of.")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    effective_on = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the text the system seeded.",
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="consent_one_version"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="consent_version_1_up"),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ConsentSignature(InsertOnlyModel):
    """A patient's signature of one document version: typed name, drawn image, time.

    ``signature_png`` holds the PNG the patient drew (validated: a real, small, non-blank
    PNG, see ``signature_image``); ``typed_name`` is kept verbatim and escaped wherever it
    is shown. A kiosk signature names the tablet session; a staff-witnessed one names
    the witness. ``client_address`` is where the request came from, as the audit
    context saw it.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_signatures"
    )
    document = models.ForeignKey(
        ConsentDocument, on_delete=models.PROTECT, related_name="signatures"
    )
    typed_name = models.CharField(max_length=200)
    signature_png = models.BinaryField()
    signature_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=8, choices=SignatureChannel.choices)
    kiosk_session = models.ForeignKey(
        "intake.KioskSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_address = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "signed_at"], name="consent_patient_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=SignatureChannel.values),
                name="consent_signature_known_channel",
            ),
            # A kiosk signature names its session; a staff one names its witness.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        channel=SignatureChannel.KIOSK,
                        kiosk_session__isnull=False,
                        witness__isnull=True,
                    )
                    | models.Q(
                        channel=SignatureChannel.STAFF,
                        kiosk_session__isnull=True,
                        witness__isnull=False,
                    )
                ),
                name="consent_signature_session_or_witness",
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.document_id} signed by patient {self.patient_id}"


class ConsentWithdrawal(InsertOnlyModel):
    """A patient withdrew their consent: every signature of ``key`` before ``recorded_at``
    no longer counts, so they must sign again before another infusion.

    A record in its own right (the signatures stay as they were): who recorded it, when,
    and the patient's reason in their words. ``signature`` is the consent that was in
    force when it was withdrawn, if there was one.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consent_withdrawals"
    )
    key = models.SlugField(max_length=64)
    signature = models.ForeignKey(
        ConsentSignature, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(max_length=1000)
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.key} withdrawn by patient {self.patient_id}"
