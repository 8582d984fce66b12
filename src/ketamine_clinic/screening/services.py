"""Writes of screening: a completed questionnaire, and a prescriber's decision on it.

Each write validates everything first (an error names the field and nothing is
written), then writes its row and its audit entry in one transaction.

The override rule (``record_decision``): a screening the rules call NOT_ELIGIBLE can
still be decided "eligible" or "eligible with conditions" by a prescriber, because the
rules read self-report and codes, and a prescriber may know better (the psychotic
features were ten years ago; the "pregnancy" was a miscoded answer). But only with the
reason written out: the note must contain a line starting ``Override:`` followed by
at least ``OVERRIDE_REASON_MIN_CHARS`` characters of reason. The decision is marked
``overrides_rules`` and the audit entry says so. A NEEDS_REVIEW screening needs only
the note every decision needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.enums import (
    EligibilityDecisionKind,
    ScreeningChannel,
    ScreeningOutcome,
)
from ketamine_clinic.screening.evaluator import evaluate
from ketamine_clinic.screening.facts import BloodPressure, FactsError
from ketamine_clinic.screening.models import EligibilityDecision, ScreeningAssessment
from ketamine_clinic.screening.questionnaire import AnswerError, validate_answers
from ketamine_clinic.screening.rules import RuleSet
from ketamine_clinic.screening.rules_data import DEFAULT_RULES
from ketamine_clinic.screening.selectors import current_decision, facts_for, latest_screening

SCREENING_CHANNEL_UNKNOWN = "Choose where the answers came from: kiosk, staff or API."
SCREENING_KIOSK_HAS_NO_ACTOR = (
    "The kiosk is the patient: record kiosk answers without a staff member."
)
SCREENING_ACTOR_REQUIRED = (
    "Answers entered by staff or through the API need the person entering them."
)
SCREENING_ACTOR_INACTIVE = "A deactivated account cannot enter a screening."

DECISION_PRESCRIBER_ONLY = "Only an active prescriber may record an eligibility decision."
DECISION_UNKNOWN = (
    "Choose eligible, eligible with conditions, not eligible or needs more information."
)
DECISION_NOTE_REQUIRED = "Write a note: what the decision rests on, and any conditions."
DECISION_NOTE_TOO_LONG = "Keep the note under {limit} characters."
DECISION_NOTE_UNSTORABLE = "The note contains a character that cannot be stored."
DECISION_NOT_LATEST = "A newer screening exists for this patient: decide on the latest screening."
DECISION_OVERRIDE_REASON_REQUIRED = (
    "The rules found this patient not eligible. To decide otherwise, add a line to the "
    "note starting 'Override:' with the reason (at least {minimum} characters)."
)

NOTE_MAX_LENGTH: Final = 4000
# "Override: ok" is not a reason; a sentence naming what the prescriber knows is.
OVERRIDE_REASON_MIN_CHARS: Final = 20
_OVERRIDE_LINE = re.compile(r"^\s*override\s*:\s*(?P<reason>.*)$", re.IGNORECASE | re.MULTILINE)
_ELIGIBLE_DECISIONS: Final = frozenset(
    {EligibilityDecisionKind.ELIGIBLE, EligibilityDecisionKind.ELIGIBLE_WITH_CONDITIONS}
)
KIOSK_ACTOR_NAME: Final = "patient (kiosk)"


def _check_actor(actor: User | None, channel: str) -> None:
    if channel not in ScreeningChannel.values:
        raise ValidationError({"channel": SCREENING_CHANNEL_UNKNOWN})
    if channel == ScreeningChannel.KIOSK:
        if actor is not None:
            raise ValidationError({"actor": SCREENING_KIOSK_HAS_NO_ACTOR})
        return
    if actor is None:
        raise ValidationError({"actor": SCREENING_ACTOR_REQUIRED})
    if not actor.is_active:
        raise ValidationError({"actor": SCREENING_ACTOR_INACTIVE})


@transaction.atomic
def record_screening(
    patient: Patient,
    answers: Mapping[str, object],
    *,
    actor: User | None,
    channel: ScreeningChannel | str,
    blood_pressure: BloodPressure | None = None,
    rules: RuleSet = DEFAULT_RULES,
) -> ScreeningAssessment:
    """Judge a patient's answers with the rules and store answers, facts and outcome.

    ``actor`` is None for the kiosk (the patient is typing). ``blood_pressure`` is the
    latest measured BP if staff have one (the vitals store arrives with monitoring);
    without it the BP-NOT-MEASURED rule asks for one. Answers are stored exactly as
    given, free text included; they are data, never markup or instructions.
    """
    now = timezone.now()
    _check_actor(actor, str(channel))
    try:
        cleaned = validate_answers(answers, rules.questions)
        facts = facts_for(
            patient, cleaned, blood_pressure=blood_pressure, on=timezone.localdate(now)
        )
        result = evaluate(facts, rules)
    except (AnswerError, FactsError) as error:
        raise ValidationError({error.field_name: error.message}) from None
    assessment = ScreeningAssessment(
        patient=patient,
        answers=cleaned,
        facts=facts.snapshot(),
        outcome=ScreeningOutcome(str(result.outcome)),
        reasons=[reason.as_json() for reason in result.reasons],
        unanswered=list(result.unanswered),
        rules_version=result.rules_version,
        created_at=now,
        entered_by=actor,
        channel=ScreeningChannel(str(channel)),
    )
    assessment.full_clean()
    assessment.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        actor_username=KIOSK_ACTOR_NAME if actor is None else None,
        object_type="screening_assessment",
        object_id=assessment.pk,
        patient_id=patient.pk,
        # The answers stay in the row; the trail records what was concluded and why.
        detail={
            "channel": str(channel),
            "outcome": str(result.outcome),
            "rules_version": result.rules_version,
            "rules": list(result.fired_rule_ids),
            "unanswered": list(result.unanswered),
        },
    )
    return assessment


def _clean_note(note: str) -> str:
    if not isinstance(note, str) or not note.strip():
        raise ValidationError({"note": DECISION_NOTE_REQUIRED})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": DECISION_NOTE_TOO_LONG.format(limit=NOTE_MAX_LENGTH)})
    if any(ch == "\x00" or unicodedata.category(ch) == "Cs" for ch in note):
        raise ValidationError({"note": DECISION_NOTE_UNSTORABLE})
    return note.strip()


def override_reason(note: str) -> str | None:
    """The reason given on an 'Override:' line of the note, if long enough; else None."""
    for match in _OVERRIDE_LINE.finditer(note):
        reason = match.group("reason").strip()
        if len(reason) >= OVERRIDE_REASON_MIN_CHARS:
            return reason
    return None


@transaction.atomic
def record_decision(
    assessment: ScreeningAssessment,
    *,
    actor: User,
    decision: EligibilityDecisionKind | str,
    note: str,
) -> EligibilityDecision:
    """Record a prescriber's decision on the patient's latest screening.

    Refused (PermissionDenied) unless ``actor`` is an active prescriber. The decision
    keeps the screening's rules version, so it is always clear which rules the
    prescriber was reading. It supersedes the patient's current decision, if any.
    """
    if not isinstance(actor, User) or not actor.is_active or Role.PRESCRIBER not in actor.roles:
        raise PermissionDenied(DECISION_PRESCRIBER_ONLY)
    if decision not in EligibilityDecisionKind.values:
        raise ValidationError({"decision": DECISION_UNKNOWN})
    kind = EligibilityDecisionKind(decision)
    clean_note = _clean_note(note)
    overrides = assessment.outcome == ScreeningOutcome.NOT_ELIGIBLE and kind in _ELIGIBLE_DECISIONS
    if overrides and override_reason(clean_note) is None:
        raise ValidationError(
            {"note": DECISION_OVERRIDE_REASON_REQUIRED.format(minimum=OVERRIDE_REASON_MIN_CHARS)}
        )
    # Lock the patient: two prescribers deciding at once queue here, and the second
    # sees the first's decision as the one it supersedes.
    patient = Patient.objects.select_for_update().get(pk=assessment.patient_id)
    latest = latest_screening(patient)
    if latest is None or latest.pk != assessment.pk:
        raise ValidationError({"assessment": DECISION_NOT_LATEST})
    previous = current_decision(patient, any_screening=True)
    row = EligibilityDecision(
        assessment=assessment,
        patient=patient,
        decided_by=actor,
        decision=kind,
        note=clean_note,
        rules_version=assessment.rules_version,
        assessment_outcome=assessment.outcome,
        overrides_rules=overrides,
        supersedes=previous,
        decided_at=timezone.now(),
    )
    row.full_clean()
    row.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        object_type="eligibility_decision",
        object_id=row.pk,
        patient_id=patient.pk,
        reason=clean_note,
        detail={
            "assessment_id": assessment.pk,
            "decision": str(kind),
            "assessment_outcome": str(assessment.outcome),
            "rules_version": assessment.rules_version,
            "overrides_rules": overrides,
            "supersedes": previous.pk if previous is not None else None,
        },
    )
    return row
