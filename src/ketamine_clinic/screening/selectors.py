"""Reads of screening, and the facts the rules read about a patient.

Not audited here: these return rows to a caller that has already audited its own read
(the chart's open is audited by ``patients.selectors.patient_chart``); a view that
lists screenings on its own (the prescriber's review queue) audits that read itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ketamine_clinic.patients.enums import PregnancyPotential
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.screening.enums import EligibilityDecisionKind, ScreeningOutcome
from ketamine_clinic.screening.facts import (
    AnswerValue,
    BloodPressure,
    PregnancyStatus,
    ScreeningFacts,
)
from ketamine_clinic.screening.models import EligibilityDecision, ScreeningAssessment

KIOSK_ACTOR = "patient (kiosk)"

# The registry asks whether the patient *could* be pregnant (pregnancy potential), not
# whether she is; "yes" asks the prescriber to exclude pregnancy, "not asked" adds
# nothing (the kiosk asks the patient directly).
_PREGNANCY_FROM_REGISTRY: Mapping[str, PregnancyStatus] = {
    PregnancyPotential.YES: PregnancyStatus.POSSIBLE,
    PregnancyPotential.NO: PregnancyStatus.NOT_PREGNANT,
    PregnancyPotential.NOT_APPLICABLE: PregnancyStatus.NOT_APPLICABLE,
    "": PregnancyStatus.UNKNOWN,
}


def facts_for(
    patient: Patient,
    answers: Mapping[str, AnswerValue],
    *,
    blood_pressure: BloodPressure | None = None,
    on: date | None = None,
) -> ScreeningFacts:
    """Everything the rules may read about ``patient``, with the questionnaire's answers.

    From the registry: age on ``on`` (the clinic's today by default), the flags of the
    medications the patient currently takes, the codes of the diagnoses, the allergy
    substances, and the pregnancy potential. Items marked entered in error are left
    out; so are stopped medications. ``blood_pressure`` comes from the caller until the
    vitals store exists.
    """
    day = on if on is not None else timezone.localdate()
    medications = patient.medications.filter(
        entered_in_error_at__isnull=True, stopped_on__isnull=True
    )
    flags = {str(flag) for medication in medications for flag in (medication.flags or [])}
    codes = set(
        patient.diagnoses.filter(entered_in_error_at__isnull=True).values_list("code", flat=True)
    )
    allergies = set(
        patient.allergies.filter(entered_in_error_at__isnull=True).values_list(
            "substance", flat=True
        )
    )
    return ScreeningFacts(
        answers=answers,
        age_years=patient.age_on(day),
        medication_flags=frozenset(flags),
        diagnosis_codes=frozenset(codes),
        pregnancy_status=_PREGNANCY_FROM_REGISTRY.get(
            patient.pregnancy_potential, PregnancyStatus.UNKNOWN
        ),
        blood_pressure=blood_pressure,
        allergies=frozenset(allergies),
    )


def latest_screening(patient: Patient) -> ScreeningAssessment | None:
    """The patient's most recent screening (ties on time go to the later row)."""
    return (
        ScreeningAssessment.objects.filter(patient=patient).order_by("-created_at", "-id").first()
    )


def current_decision(
    patient: Patient, *, any_screening: bool = False
) -> EligibilityDecision | None:
    """The decision in force: the newest one, if it is on the patient's latest screening.

    A newer screening puts the patient back in the review queue, and the old decision
    no longer stands (the answers it rested on have been replaced), so this returns
    None until a prescriber decides on the new one. ``any_screening=True`` returns the
    newest decision whatever it was on (the one a new decision supersedes).
    """
    newest = (
        EligibilityDecision.objects.filter(patient=patient, superseded_by__isnull=True)
        .select_related("assessment", "decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    if newest is None or any_screening:
        return newest
    latest = latest_screening(patient)
    return newest if latest is not None and newest.assessment_id == latest.pk else None


def awaiting_decision() -> list[ScreeningAssessment]:
    """The prescriber's review queue: each patient's latest screening that has no
    decision yet, oldest first (first come, first reviewed).

    Earlier screenings of a patient who has screened again are left out: they can no
    longer be decided (``record_decision`` takes the latest only).
    """
    newer = ScreeningAssessment.objects.filter(patient=OuterRef("patient")).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return list(
        ScreeningAssessment.objects.filter(decisions__isnull=True)
        .exclude(Exists(newer))
        .select_related("patient", "entered_by")
        .order_by("created_at", "id")
    )


def _screening_entry(assessment: ScreeningAssessment) -> TimelineEntry:
    rule_ids = [reason["rule_id"] for reason in assessment.reasons]
    return TimelineEntry(
        at=assessment.created_at,
        kind="screening",
        title=f"Screening completed: {ScreeningOutcome(assessment.outcome).label}",
        detail=(
            f"Rules {assessment.rules_version}: {', '.join(rule_ids)}"
            if rule_ids
            else f"Rules {assessment.rules_version}: no rule fired"
        ),
        actor=KIOSK_ACTOR if assessment.entered_by is None else assessment.entered_by.display_name,
    )


def _decision_entry(decision: EligibilityDecision) -> TimelineEntry:
    title = f"Eligibility decision: {EligibilityDecisionKind(decision.decision).label}"
    if decision.overrides_rules:
        title += " (overrides the rules)"
    return TimelineEntry(
        at=decision.decided_at,
        kind="eligibility_decision",
        title=title,
        detail=decision.note,
        actor=decision.decided_by.display_name,
    )


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Screenings completed and decisions recorded, newest first, for the chart."""
    entries = [
        _screening_entry(a)
        for a in ScreeningAssessment.objects.filter(patient=patient).select_related("entered_by")
    ]
    entries += [
        _decision_entry(d)
        for d in EligibilityDecision.objects.filter(patient=patient).select_related("decided_by")
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
