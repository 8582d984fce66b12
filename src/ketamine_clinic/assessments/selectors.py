"""Reads of questionnaire responses and risk flags.

The building blocks (``latest_scores``, ``score_history(ies)``, ``open_risk_flags``,
``infusion_blocked_by_risk``, ``timeline_entries``) are not audited on their own: as
with the registry's ``latest_weight``, the read that shows them (the chart, a visit's
checks) writes the READ entry. The two reads a page may make on their own,
``questionnaire_history`` and ``risk_review_queue``, take ``by`` and audit themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus, Trend
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.instruments.definitions import all_instruments, get_instrument
from ketamine_clinic.patients.chart_rows import shared_query, shared_rows
from ketamine_clinic.patients.timeline_types import TimelineEntry

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.patients.models import Patient

KIOSK_ACTOR = "patient (kiosk)"


@dataclass(frozen=True)
class LatestScore:
    """The newest response to one instrument, and the one before it for a trend arrow."""

    instrument_key: str
    short_name: str
    latest: QuestionnaireResponse
    previous: QuestionnaireResponse | None

    @property
    def change(self) -> int | None:
        """Latest total minus previous total; None when either has no total."""
        if self.previous is None or self.latest.total is None or self.previous.total is None:
            return None
        return self.latest.total - self.previous.total

    @property
    def trend(self) -> Trend | None:
        """Up (worse), down (better) or same; the C-SSRS compares triage levels."""
        if self.previous is None:
            return None
        change = self.change
        if change is None:
            latest, previous = _triage_rank(self.latest), _triage_rank(self.previous)
            if latest < 0 or previous < 0:
                return None
            change = latest - previous
        if change > 0:
            return Trend.UP
        return Trend.DOWN if change < 0 else Trend.SAME


def _triage_rank(response: QuestionnaireResponse) -> int:
    """0 for none, rising with the level; -1 when there is no triage to compare."""
    if not response.triage:
        return -1
    levels = [
        "none",
        *(rule.level for rule in reversed(get_instrument(response.instrument_key).triage)),
    ]
    return levels.index(response.triage) if response.triage in levels else -1


def _current(patient: Patient) -> QuerySet[QuestionnaireResponse]:
    """The patient's responses that no later one corrects."""
    return QuestionnaireResponse.objects.filter(patient=patient, corrected_by__isnull=True)


def patient_responses(patient: Patient) -> list[QuestionnaireResponse]:
    """Every response of the patient, corrected ones included, newest first, with who
    entered it: one read per chart (``chart_rows``) for the timeline, the scores panel
    and the trajectories, which each used to read the table themselves."""
    return shared_query(
        patient,
        "assessments.responses",
        QuestionnaireResponse.objects.filter(patient=patient).select_related("entered_by"),
    )


def current_responses(patient: Patient) -> list[QuestionnaireResponse]:
    """The patient's responses that no later one corrects (as ``_current``), oldest first."""
    responses = patient_responses(patient)
    corrected = {r.corrects_id for r in responses if r.corrects_id is not None}
    current = [r for r in responses if r.pk not in corrected]
    return sorted(current, key=lambda r: (r.taken_at, r.pk))


def score_histories(patient: Patient) -> dict[str, list[QuestionnaireResponse]]:
    """Every instrument's current responses, oldest first, in one read (the chart shows
    them all; a query per instrument was most of its questionnaire reads)."""
    found: dict[str, list[QuestionnaireResponse]] = {}
    for response in current_responses(patient):
        found.setdefault(response.instrument_key, []).append(response)
    return found


def latest_scores(
    patient: Patient, *, histories: dict[str, list[QuestionnaireResponse]] | None = None
) -> list[LatestScore]:
    """Per instrument the patient has answered, the latest response and the previous one,
    in the instruments' own order (from ``histories`` when the caller has read them)."""
    if histories is None:
        histories = score_histories(patient)
    found: list[LatestScore] = []
    for key, instrument in all_instruments().items():
        history = histories.get(key)
        if history:
            found.append(
                LatestScore(
                    instrument_key=key,
                    short_name=instrument.short_name,
                    latest=history[-1],
                    previous=history[-2] if len(history) > 1 else None,
                )
            )
    return found


def score_history(patient: Patient, instrument_key: str) -> list[QuestionnaireResponse]:
    """The patient's responses to one instrument, oldest first, for a trend plot
    (corrected responses are left out; their corrections stand in their place)."""
    get_instrument(instrument_key)  # an unknown key is an error, not an empty plot
    return list(_current(patient).filter(instrument_key=instrument_key).order_by("taken_at", "id"))


def open_risk_flags(patient: Patient | None = None) -> list[RiskFlag]:
    """Open risk flags, oldest first (the review queue); one patient's, or everyone's."""
    if patient is not None:
        return [flag for flag in patient_risk_flags(patient) if flag.status == RiskFlagStatus.OPEN]
    flags = RiskFlag.objects.filter(status=RiskFlagStatus.OPEN).select_related(
        "patient", "response"
    )
    return list(flags.order_by("raised_at", "id"))


def patient_risk_flags(patient: Patient) -> list[RiskFlag]:
    """Every risk flag of the patient, oldest first, with its response and assessor: one
    read per chart for the banner and the timeline."""

    def load() -> list[RiskFlag]:
        flags = list(
            RiskFlag.objects.filter(patient=patient)
            .select_related("response", "assessed_by")
            .order_by("raised_at", "id")
        )
        for flag in flags:
            flag.patient = patient  # the caller's row: no join, no query per flag
        return flags

    return shared_rows(patient, "assessments.risk_flags", load)


def infusion_blocked_by_risk(patient: Patient) -> bool:
    """Whether an open risk flag blocks the patient's next infusion (until a prescriber
    records an assessment of every open flag)."""
    return RiskFlag.objects.filter(patient=patient, status=RiskFlagStatus.OPEN).exists()


def questionnaire_history(
    *, patient: Patient, instrument_key: str, by: User
) -> list[QuestionnaireResponse]:
    """``score_history`` for a page of its own; the read is audited against the patient."""
    history = score_history(patient, instrument_key)
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="questionnaire_history",
        patient_id=patient.pk,
        detail={"instrument": instrument_key, "response_ids": [r.pk for r in history]},
    )
    return history


def risk_review_queue(*, by: User) -> list[RiskFlag]:
    """Every open risk flag, oldest first, for the prescribers' review queue; audited with
    the patients it shows."""
    flags = open_risk_flags()
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="risk_review_queue",
        detail={
            "count": len(flags),
            "patient_ids": sorted({flag.patient_id for flag in flags}),
        },
    )
    return flags


# --------------------------------------------------------------------------------------
# The chart's timeline
# --------------------------------------------------------------------------------------


def _actor(response: QuestionnaireResponse) -> str | None:
    if response.entered_by is not None:
        return response.entered_by.display_name
    return KIOSK_ACTOR if response.channel == ResponseChannel.KIOSK else None


def _response_title(response: QuestionnaireResponse, short_name: str) -> str:
    if response.triage:
        outcome = f"triage {response.triage}"
    elif response.total is not None:
        severity = response.result.get("severity_label") if response.result else None
        outcome = f"total {response.total}" + (f" ({severity})" if severity else "")
    else:
        outcome = response.result.get("invalid_reason", "incomplete")
    verb = "corrected" if response.corrects_id is not None else "completed"
    return f"{short_name} {verb}: {outcome}"


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Questionnaires completed, risk flags raised and risk assessments, for the chart."""
    instruments = all_instruments()
    entries: list[TimelineEntry] = []
    for response in patient_responses(patient):
        instrument = instruments.get(response.instrument_key)
        short_name = instrument.short_name if instrument else response.instrument_key
        detail = f"definition {response.instrument_version}"
        if response.corrects_id is not None:
            detail += f"; replaces an earlier response: {response.correction_reason}"
        entries.append(
            TimelineEntry(
                at=response.taken_at,
                kind="questionnaire",
                title=_response_title(response, short_name),
                detail=detail,
                actor=_actor(response),
            )
        )
    for flag in patient_risk_flags(patient):
        instrument = instruments.get(flag.response.instrument_key)
        short_name = instrument.short_name if instrument else flag.response.instrument_key
        entries.append(
            TimelineEntry(
                at=flag.raised_at,
                kind="risk_flag",
                title=f"Risk flag raised ({short_name}): {flag.level}",
                detail=flag.reason,
            )
        )
        if flag.status == RiskFlagStatus.ASSESSED and flag.assessed_at is not None:
            entries.append(
                TimelineEntry(
                    at=flag.assessed_at,
                    kind="risk_assessment",
                    title=f"Risk assessed ({short_name}: {flag.reason})",
                    detail=flag.assessment_note,
                    actor=flag.assessed_by.display_name if flag.assessed_by else None,
                )
            )
    return entries


def risk_flag_by_id(*, flag_id: int) -> RiskFlag:
    """The risk flag, for `record_risk_assessment` (which audits). Raises RiskFlag.DoesNotExist."""
    return RiskFlag.objects.select_related("patient", "response").get(pk=flag_id)


@dataclass(frozen=True)
class ScoreTrend:
    """One instrument's latest score, how it moved, and the recent totals behind a trend line."""

    latest: LatestScore
    recent_totals: list[int]


def patient_scores(*, patient: Patient, by: User, points: int) -> list[ScoreTrend]:
    """The latest score per instrument with its trend; one READ entry for the patient.

    The chart's page covers the same read with its chart entry; asked for on its own,
    it gets its own entry naming the responses shown. ``points``: how many recent totals
    to return per instrument (the caller's trend line).
    """
    found = []
    histories = score_histories(patient)
    for latest in latest_scores(patient, histories=histories):
        totals = [
            response.total
            for response in histories[latest.instrument_key]
            if response.total is not None
        ]
        found.append(ScoreTrend(latest=latest, recent_totals=totals[-points:]))
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
