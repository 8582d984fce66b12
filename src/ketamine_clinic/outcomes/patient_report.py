"""The printable progress report: a patient's trajectories, read once and audited.

The page a patient takes to their psychiatrist. One READ entry names the patient, the
courses and the responses it shows, as the chart's own read does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.outcomes.patient_plots import (
    REPORT_SIZE,
    TrajectoryPlot,
    trajectory_plot,
)
from ketamine_clinic.outcomes.patient_selectors import (
    PatientTrajectories,
    Trajectory,
    patient_trajectories,
)
from ketamine_clinic.patients.models import Patient

NOT_A_DIAGNOSIS = (
    "This report summarises questionnaire scores the patient gave and the infusions the "
    "clinic recorded. It is not a diagnosis, and the scores are not a substitute for a "
    "clinician's assessment."
)


@dataclass(frozen=True, slots=True)
class PlottedTrajectory:
    trajectory: Trajectory
    plot: TrajectoryPlot


@dataclass(frozen=True, slots=True)
class ProgressReport:
    patient: Patient
    found: PatientTrajectories
    plotted: tuple[PlottedTrajectory, ...]
    printed_at: datetime
    printed_by: User


def progress_report(*, patient_id: int, by: User, now: datetime | None = None) -> ProgressReport:
    """Everything the report shows; the read is audited against the patient.

    Raises Patient.DoesNotExist (a 404 to the view) without an entry: nothing was read.
    """
    moment = now or timezone.now()
    patient = Patient.objects.get(pk=patient_id)
    found = patient_trajectories(patient, now=moment)
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="progress_report",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={
            "course_ids": [course.course_id for course in found.courses],
            "response_ids": sorted(
                point.response_id for t in found.trajectories for point in t.points
            ),
        },
    )
    return ProgressReport(
        patient=patient,
        found=found,
        plotted=tuple(
            PlottedTrajectory(t, trajectory_plot(t, found.infusions, REPORT_SIZE))
            for t in found.trajectories
        ),
        printed_at=moment,
        printed_by=by,
    )
