"""Evaluating the pre-infusion checks of ``check_data`` against what is recorded.

``run_checks(visit)`` reads the visit's own records (vitals, fasting, escort, pregnancy
test, medication review, IV access, overrides) and asks the apps that own the rest:
``consent.selectors.needs_consent``, ``patients.selectors.latest_weight``,
``assessments.selectors.infusion_blocked_by_risk`` and ``screening.selectors.current_decision``.
It is a building block and does not audit: the page that shows it, and the transition
to ``checks_done`` that depends on it, record their own entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final

from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.selectors import infusion_blocked_by_risk
from ketamine_clinic.consent.selectors import needs_consent
from ketamine_clinic.patients.enums import PregnancyPotential, SexAtBirth
from ketamine_clinic.patients.selectors import latest_weight
from ketamine_clinic.screening.enums import EligibilityDecisionKind
from ketamine_clinic.screening.selectors import current_decision
from ketamine_clinic.visits.check_data import (
    DEFAULT_CHECKS,
    DEFAULT_FASTING_RULES,
    DEFAULT_VITALS_LIMITS,
    CheckDefinition,
    FastingRules,
    Severity,
    VitalsLimits,
)
from ketamine_clinic.visits.enums import CheckStatus, PregnancyTestResult
from ketamine_clinic.visits.models import (
    CheckOverride,
    EscortConfirmation,
    FastingRecord,
    IvAccess,
    MedicationReview,
    PregnancyTest,
    Visit,
    VitalsReading,
)

PHQ9_KEY: Final = "phq9"
# How much of a check's message an override keeps (CheckOverride.check_message).
OVERRIDE_MESSAGE_LENGTH: Final = 500
ELIGIBLE_DECISIONS: Final = frozenset(
    {EligibilityDecisionKind.ELIGIBLE, EligibilityDecisionKind.ELIGIBLE_WITH_CONDITIONS}
)


class Outcome(Enum):
    """What an evaluator found; FAIL becomes a block or a warning by the check's severity."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's result for a visit, as the nurse reads it."""

    key: str
    label: str
    status: CheckStatus
    message: str
    overridable: bool
    override: CheckOverride | None = None

    @property
    def blocks(self) -> bool:
        """Whether this result holds the visit before ``checks_done``."""
        return self.status == CheckStatus.BLOCK and self.override is None


@dataclass(frozen=True, slots=True)
class Context:
    """What every evaluator may read: the visit, the moment and the clinic's rules."""

    visit: Visit
    now: datetime
    today: date
    vitals: VitalsLimits
    fasting: FastingRules


Found = tuple[Outcome, str]


def clinic_zone_time(moment: datetime) -> str:
    """A moment as the clinic's wall clock shows it, e.g. "07:15"."""
    return f"{timezone.localtime(moment, timezone.get_default_timezone()):%H:%M}"


def clinic_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _fasting(ctx: Context) -> Found:
    record = FastingRecord.objects.filter(visit=ctx.visit).first()
    if record is None:
        return Outcome.FAIL, "Last food and clear fluids are not recorded."
    # Fasting protects the infusion, so it is measured to when the infusion can start:
    # the appointment, or now if the visit runs late.
    start = max(ctx.visit.scheduled_start, ctx.now)
    problems = []
    food_by = start - ctx.fasting.solid_food
    if record.last_solid_food_at > food_by:
        problems.append(
            f"last solid food at {clinic_zone_time(record.last_solid_food_at)} is less than "
            f"{ctx.fasting.solid_food.total_seconds() / 3600:g} h before "
            f"{clinic_zone_time(start)} (wait until {clinic_zone_time(record.last_solid_food_at + ctx.fasting.solid_food)})"
        )
    fluids_by = start - ctx.fasting.clear_fluids
    if record.last_clear_fluids_at > fluids_by:
        problems.append(
            f"last clear fluids at {clinic_zone_time(record.last_clear_fluids_at)} are less "
            f"than {ctx.fasting.clear_fluids.total_seconds() / 3600:g} h before "
            f"{clinic_zone_time(start)} (wait until {clinic_zone_time(record.last_clear_fluids_at + ctx.fasting.clear_fluids)})"
        )
    if problems:
        text = "; ".join(problems)
        return Outcome.FAIL, text[0].upper() + text[1:] + "."
    return Outcome.OK, (
        f"Last solid food {clinic_zone_time(record.last_solid_food_at)}, "
        f"last clear fluids {clinic_zone_time(record.last_clear_fluids_at)}."
    )


def _escort(ctx: Context) -> Found:
    escort = EscortConfirmation.objects.filter(visit=ctx.visit).first()
    if escort is None or clinic_date(escort.recorded_at) != ctx.today:
        return Outcome.FAIL, "No escort confirmed for today: confirm who takes the patient home."
    return Outcome.OK, f"{escort.name}, {escort.phone}."


def _consent(ctx: Context) -> Found:
    if needs_consent(ctx.visit.patient):
        return Outcome.FAIL, "The patient has not signed the current consent."
    return Outcome.OK, "The current consent is signed."


def _weight(ctx: Context) -> Found:
    weight = latest_weight(patient=ctx.visit.patient)
    if weight is None:
        return Outcome.FAIL, "No weight recorded: weigh the patient."
    if weight.measured_on != ctx.today:
        return Outcome.FAIL, (
            f"The latest weight ({weight.kg_shown} kg) was measured on "
            f"{weight.measured_on:%Y-%m-%d}, not today: weigh the patient."
        )
    return Outcome.OK, f"{weight.kg_shown} kg, measured today."


def _vitals(ctx: Context) -> Found:
    reading = VitalsReading.objects.filter(visit=ctx.visit).first()
    if reading is None:
        return Outcome.FAIL, "No baseline vitals recorded."
    limits = ctx.vitals
    if reading.taken_at < ctx.now - limits.max_age:
        return Outcome.FAIL, (
            f"The latest vitals were taken at {clinic_zone_time(reading.taken_at)}, more than "
            f"{limits.max_age.total_seconds() / 60:g} min ago: take them again."
        )
    bp = f"BP {reading.systolic_mmhg}/{reading.diastolic_mmhg} mmHg"
    blocks: list[str] = []
    warns: list[str] = []
    if (
        reading.systolic_mmhg >= limits.systolic_block_mmhg
        or reading.diastolic_mmhg >= limits.diastolic_block_mmhg
    ):
        blocks.append(
            f"{bp} is at or above {limits.systolic_block_mmhg}/{limits.diastolic_block_mmhg}"
        )
    elif (
        reading.systolic_mmhg >= limits.systolic_warn_mmhg
        or reading.diastolic_mmhg >= limits.diastolic_warn_mmhg
    ):
        warns.append(
            f"{bp} is at or above {limits.systolic_warn_mmhg}/{limits.diastolic_warn_mmhg}"
        )
    spo2 = f"SpO2 {reading.spo2_percent}%"
    if reading.spo2_percent < limits.spo2_block_below_percent:
        blocks.append(f"{spo2} is below {limits.spo2_block_below_percent}%")
    elif reading.spo2_percent < limits.spo2_warn_below_percent:
        warns.append(f"{spo2} is below {limits.spo2_warn_below_percent}%")
    hr = f"heart rate {reading.heart_rate_per_min}/min"
    if reading.heart_rate_per_min > limits.heart_rate_block_above_per_min:
        blocks.append(f"{hr} is above {limits.heart_rate_block_above_per_min}/min")
    elif reading.heart_rate_per_min > limits.heart_rate_warn_above_per_min:
        warns.append(f"{hr} is above {limits.heart_rate_warn_above_per_min}/min")
    elif reading.heart_rate_per_min < limits.heart_rate_warn_below_per_min:
        warns.append(f"{hr} is below {limits.heart_rate_warn_below_per_min}/min")
    rr = reading.respiratory_rate_per_min
    if rr is not None and not (
        limits.respiratory_rate_warn_below_per_min
        <= rr
        <= limits.respiratory_rate_warn_above_per_min
    ):
        warns.append(
            f"respiratory rate {rr}/min is outside {limits.respiratory_rate_warn_below_per_min}"
            f"-{limits.respiratory_rate_warn_above_per_min}/min"
        )
    if blocks:
        return Outcome.FAIL, "; ".join(blocks + warns) + "."
    if warns:
        return Outcome.WARN, "; ".join(warns) + "."
    return Outcome.OK, f"{bp}, {hr}, {spo2}."


def _pregnancy(ctx: Context) -> Found:
    patient = ctx.visit.patient
    if patient.pregnancy_potential == PregnancyPotential.YES:
        test = PregnancyTest.objects.filter(visit=ctx.visit).first()
        if test is None or clinic_date(test.taken_at) != ctx.today:
            return Outcome.FAIL, "The patient could be pregnant: record a pregnancy test today."
        if test.result == PregnancyTestResult.POSITIVE:
            return Outcome.FAIL, "Today's pregnancy test is positive: no infusion."
        return Outcome.OK, "Today's pregnancy test is negative."
    if not patient.pregnancy_potential and patient.sex_at_birth != SexAtBirth.MALE:
        return Outcome.WARN, "Pregnancy potential has not been asked: ask and record it."
    return Outcome.OK, "Not applicable."


def _phq9(ctx: Context) -> Found:
    zone = timezone.get_default_timezone()
    day_starts = datetime.combine(ctx.today, time.min, tzinfo=zone)
    day_ends = datetime.combine(ctx.today + timedelta(days=1), time.min, tzinfo=zone)
    today = (
        QuestionnaireResponse.objects.filter(
            patient=ctx.visit.patient,
            instrument_key=PHQ9_KEY,
            corrected_by__isnull=True,
            taken_at__gte=day_starts,
            taken_at__lt=day_ends,
        )
        .order_by("-taken_at", "-id")
        .first()
    )
    if today is None:
        return Outcome.FAIL, "No PHQ-9 recorded today: ask the patient to complete one."
    total = "no total" if today.total is None else f"total {today.total}"
    return Outcome.OK, f"PHQ-9 at {clinic_zone_time(today.taken_at)}: {total}."


def _suicide_risk(ctx: Context) -> Found:
    if infusion_blocked_by_risk(ctx.visit.patient):
        return Outcome.FAIL, "An open suicide-risk flag awaits a prescriber's assessment."
    return Outcome.OK, "No open suicide-risk flag."


def _eligibility(ctx: Context) -> Found:
    decision = current_decision(ctx.visit.patient)
    if decision is None:
        return Outcome.FAIL, "No eligibility decision stands on the latest screening."
    if decision.decision not in ELIGIBLE_DECISIONS:
        return Outcome.FAIL, f"The eligibility decision is: {decision.get_decision_display()}."
    return Outcome.OK, f"{decision.get_decision_display()} ({decision.decided_at:%Y-%m-%d})."


def _medications(ctx: Context) -> Found:
    review = MedicationReview.objects.filter(visit=ctx.visit).first()
    if review is None or clinic_date(review.recorded_at) != ctx.today:
        return Outcome.FAIL, "Medication changes have not been reviewed today."
    if not review.reviewed:
        return Outcome.FAIL, "Recorded as not reviewed: review medication changes."
    return Outcome.OK, "Medication changes reviewed."


def _iv_access(ctx: Context) -> Found:
    access = IvAccess.objects.filter(visit=ctx.visit).select_related("placed_by").first()
    if access is None:
        return Outcome.FAIL, "No IV access recorded."
    attempts = "1 attempt" if access.attempts == 1 else f"{access.attempts} attempts"
    return Outcome.OK, (
        f"{access.site}, {access.gauge} G, {attempts} ({access.placed_by.display_name})."
    )


EVALUATORS: Final[Mapping[str, Callable[[Context], Found]]] = {
    "fasting": _fasting,
    "escort": _escort,
    "consent": _consent,
    "weight": _weight,
    "vitals": _vitals,
    "pregnancy": _pregnancy,
    "phq9": _phq9,
    "suicide_risk": _suicide_risk,
    "eligibility": _eligibility,
    "medications": _medications,
    "iv_access": _iv_access,
}


def _status(outcome: Outcome, definition: CheckDefinition) -> CheckStatus:
    if outcome is Outcome.OK:
        return CheckStatus.PASS
    if outcome is Outcome.WARN or definition.severity is Severity.WARNING:
        return CheckStatus.WARN
    return CheckStatus.BLOCK


def latest_overrides(visit: Visit) -> dict[str, CheckOverride]:
    """The newest override of each check for the visit."""
    found: dict[str, CheckOverride] = {}
    for override in CheckOverride.objects.filter(visit=visit).select_related("recorded_by"):
        found.setdefault(override.check_key, override)
    return found


def run_checks(
    visit: Visit,
    *,
    now: datetime | None = None,
    checks: Mapping[str, CheckDefinition] = DEFAULT_CHECKS,
    vitals: VitalsLimits = DEFAULT_VITALS_LIMITS,
    fasting: FastingRules = DEFAULT_FASTING_RULES,
) -> list[CheckResult]:
    """Every configured check for ``visit``, in the configured order.

    A failing overridable check that a prescriber has overridden keeps its status (the
    nurse still reads what was wrong) and carries the override, so it no longer blocks.
    An override covers the finding the prescriber saw: once the check says something
    else (a new BP reading, a new fasting time), it lapses and the check blocks again.
    """
    moment = now if now is not None else timezone.now()
    ctx = Context(
        visit=visit, now=moment, today=clinic_date(moment), vitals=vitals, fasting=fasting
    )
    overrides = latest_overrides(visit)
    results = []
    for definition in checks.values():
        outcome, message = EVALUATORS[definition.key](ctx)
        status = _status(outcome, definition)
        override = overrides.get(definition.key) if definition.overridable else None
        if override is not None and override.check_message != message[:OVERRIDE_MESSAGE_LENGTH]:
            override = None
        results.append(
            CheckResult(
                key=definition.key,
                label=definition.label,
                status=status,
                message=message,
                overridable=definition.overridable,
                override=override if status != CheckStatus.PASS else None,
            )
        )
    return results
