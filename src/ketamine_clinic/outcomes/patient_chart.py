"""The chart's plots of a patient's scores over time (drawn by patients/chart.html).

The patients app sits below this one, so ``patients.chart_panels`` reaches this module
by name when the chart is drawn (``chart_sources.provider``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from ketamine_clinic.outcomes.patient_plots import CHART_SIZE, TrajectoryPlot, trajectory_plot
from ketamine_clinic.outcomes.patient_selectors import Standing, patient_trajectories
from ketamine_clinic.patients.models import Patient


@dataclass(frozen=True, slots=True)
class ChartTrajectory:
    short_name: str
    plot: TrajectoryPlot
    standing: Standing


@dataclass(frozen=True, slots=True)
class TrajectoryPanel:
    items: tuple[ChartTrajectory, ...]
    progress_url: str
    has_boosters: bool = False


def trajectory_panel(patient: Patient) -> TrajectoryPanel:
    """One plot per instrument answered, and the link to the printable progress report.

    Not audited on its own: the chart read that calls it is. The report's policy is the
    chart's own (PATIENT_CARE), so whoever sees this panel may follow the link.
    """
    found = patient_trajectories(patient)
    return TrajectoryPanel(
        items=tuple(
            ChartTrajectory(
                short_name=t.short_name,
                plot=trajectory_plot(t, found.infusions, CHART_SIZE),
                standing=t.standing,
            )
            for t in found.trajectories
        ),
        progress_url=reverse("outcomes:patient_progress", args=[patient.pk]),
        has_boosters=bool(found.boosters),
    )
