"""The review queue as one list: suicide-risk flags and screenings awaiting a decision.

Both kinds are merged oldest first, because the oldest unanswered item is the one a
patient has waited longest on; within the same minute a risk flag comes before a
screening (it may need a call today). The queue owns no data: each item is read from
the app that owns it, and acted on through that app's service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.selectors import risk_review_queue
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.models import ScreeningAssessment
from ketamine_clinic.screening.selectors import awaiting_decision

ItemKind = Literal["risk_flag", "screening"]


@dataclass(frozen=True)
class QueueItem:
    kind: ItemKind
    since: datetime
    patient: Patient
    risk_flag: RiskFlag | None = None
    screening: ScreeningAssessment | None = None

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.since, 0 if self.kind == "risk_flag" else 1, self.patient.pk)


def review_queue(*, by: User) -> list[QueueItem]:
    """Every item waiting for a prescriber, oldest first; the read is audited with the
    patients it shows (the risk flags' own read is audited by their selector)."""
    items = [
        QueueItem(kind="risk_flag", since=flag.raised_at, patient=flag.patient, risk_flag=flag)
        for flag in risk_review_queue(by=by)
    ]
    screenings = awaiting_decision()
    items.extend(
        QueueItem(
            kind="screening",
            since=assessment.created_at,
            patient=assessment.patient,
            screening=assessment,
        )
        for assessment in screenings
    )
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="screening_review_queue",
        detail={
            "count": len(screenings),
            "patient_ids": sorted({assessment.patient_id for assessment in screenings}),
        },
    )
    return sorted(items, key=lambda item: item.sort_key)
