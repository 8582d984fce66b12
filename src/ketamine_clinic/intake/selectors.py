"""Reads of tablet intake."""

from __future__ import annotations

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.intake.enums import KioskState
from ketamine_clinic.intake.kiosk_forms import KioskForm
from ketamine_clinic.intake.models import KioskDraft, KioskSession
from ketamine_clinic.intake.services import token_digest
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry


def kiosk_for_token(raw_token: str | None) -> KioskSession | None:
    """The open (active or locked) session a tablet's cookie names, if any."""
    if not raw_token:
        return None
    return (
        KioskSession.objects.select_related("patient")
        .filter(token_sha256=token_digest(raw_token))
        .exclude(state=KioskState.CLOSED)
        .first()
    )


def form_values(session: KioskSession, form: KioskForm) -> dict[str, str]:
    """What a form shows when opened: the record's values (audited as a read of the
    patient's record by the tablet), overlaid with the patient's draft."""
    initial: dict[str, str] = {}
    if form.initial is not None:
        initial = dict(form.initial(session.patient))
        audit_record(
            action=AuditAction.READ,
            actor=None,
            actor_username=f"kiosk:{session.pk}",
            object_type="patient",
            object_id=session.patient_id,
            patient_id=session.patient_id,
            detail={"form": form.key},
        )
    return {**initial, **draft_for(session, form.key)}


def draft_for(session: KioskSession, form_key: str) -> dict[str, str]:
    draft = KioskDraft.objects.filter(session=session, form_key=form_key).first()
    return dict(draft.data) if draft is not None else {}


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Tablet sessions on the chart: who handed the tablet over, what was sent."""
    entries: list[TimelineEntry] = []
    sessions = KioskSession.objects.filter(patient=patient).select_related("opened_by", "closed_by")
    for session in sessions:
        entries.append(
            TimelineEntry(
                at=session.opened_at,
                kind="intake",
                title="Tablet intake started",
                detail=f"Forms: {', '.join(session.form_keys)}",
                actor=session.opened_by.display_name,
            )
        )
        entries.extend(
            TimelineEntry(
                at=submission.submitted_at,
                kind="intake",
                title=f"Form sent from the tablet: {submission.form_key}",
                actor="patient (kiosk)",
            )
            for submission in session.submissions.all()
        )
        if session.closed_at is not None and session.closed_by is not None:
            entries.append(
                TimelineEntry(
                    at=session.closed_at,
                    kind="intake",
                    title="Tablet released",
                    actor=session.closed_by.display_name,
                )
            )
    return entries
