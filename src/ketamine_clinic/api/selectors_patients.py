"""Reads the patient and assessment operations need that their apps do not offer yet.

Each is a thin query over those apps' models and selectors. Lookups by id are not
audited on their own: the selector or service the operation calls next is (a lookup
that finds nothing read nothing). Move these into their apps when those grow them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.selectors import LatestScore, latest_scores, score_history
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.chart_panels import TREND_POINTS
from ketamine_clinic.patients.models import Patient

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User


def patient_by_id(*, patient_id: int) -> Patient:
    """The patient, for an operation whose own read or write is audited.

    Raises Patient.DoesNotExist. Not audited: `questionnaire_history`, `patient_scores`
    and `record_response` write the entry that names what was read or written.
    """
    return Patient.objects.get(pk=patient_id)


def risk_flag_by_id(*, flag_id: int) -> RiskFlag:
    """The risk flag, for `record_risk_assessment` (which audits). Raises RiskFlag.DoesNotExist."""
    return RiskFlag.objects.select_related("patient", "response").get(pk=flag_id)


@dataclass(frozen=True)
class ScoreTrend:
    """One instrument's latest score, how it moved, and the recent totals behind a trend line."""

    latest: LatestScore
    recent_totals: list[int]


def patient_scores(*, patient: Patient, by: User) -> list[ScoreTrend]:
    """The latest score per instrument with its trend; one READ entry for the patient.

    The chart's page covers the same read with its chart entry; asked for on its own,
    it gets its own entry naming the responses shown.
    """
    found = []
    for latest in latest_scores(patient):
        totals = [
            response.total
            for response in score_history(patient, latest.instrument_key)
            if response.total is not None
        ]
        # As many as the chart's trend line shows.
        found.append(ScoreTrend(latest=latest, recent_totals=totals[-TREND_POINTS:]))
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="patient_scores",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={
            "instruments": [score.latest.instrument_key for score in found],
            "response_ids": [score.latest.latest.pk for score in found],
        },
    )
    return found
