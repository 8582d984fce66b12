"""Pre-infusion checks: each passes, warns or blocks at its boundary, and overrides.

Times: appointment 10:00 New York (14:00 UTC), now 09:30 (see support.py).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.enums import PregnancyPotential, SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.registry import patient_record_pregnancy_potential
from ketamine_clinic.patients.services.weights import weight_record
from ketamine_clinic.screening.enums import EligibilityDecisionKind
from ketamine_clinic.screening.facts import BloodPressure
from ketamine_clinic.screening.services import record_decision, record_screening
from ketamine_clinic.visits.check_data import CHECKS, DEFAULT_CHECKS
from ketamine_clinic.visits.checks import CheckResult, run_checks
from ketamine_clinic.visits.enums import CheckStatus, VisitState
from ketamine_clinic.visits.models import CheckOverride, Visit
from ketamine_clinic.visits.services import (
    CHECK_NOT_FAILING,
    CHECK_NOT_OVERRIDABLE,
    NOT_PERMITTED,
    REASON_REQUIRED,
    PreInfusionChecksFailing,
    escort_confirm,
    fasting_record,
    medication_review_record,
    pregnancy_test_record,
    record_check_override,
    visit_schedule,
    visit_transition,
    vitals_record,
)
from tests.patients.factories import make_patient
from tests.screening.support import clear_answers
from tests.visits.support import NOW, PHQ9_MILD, START, frozen, make_visit, record_everything

pytestmark = pytest.mark.django_db

PASS, WARN, BLOCK = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.BLOCK


def results(visit: Visit) -> dict[str, CheckResult]:
    return {result.key: result for result in run_checks(visit, now=NOW)}


def statuses(visit: Visit) -> dict[str, CheckStatus]:
    return {key: result.status for key, result in results(visit).items()}


def test_with_everything_recorded_every_check_passes(visit: Visit, nurse: User) -> None:
    record_everything(visit, nurse)
    found = results(visit)
    assert list(found) == [check.key for check in CHECKS]
    assert {key: r.status for key, r in found.items()} == dict.fromkeys(found, PASS)
    assert found["vitals"].message == "BP 122/78 mmHg, heart rate 72/min, SpO2 98%."
    assert found["fasting"].message == "Last solid food 05:00, last clear fluids 07:00."
    assert found["iv_access"].message == "left forearm, 22 G, 1 attempt (P_Nurse Test)."
    assert found["weight"].message == "72.5 kg, measured today."
    assert found["phq9"].message == "PHQ-9 at 09:30: total 8."


def test_with_nothing_recorded_the_day_s_checks_fail(visit: Visit) -> None:
    assert statuses(visit) == {
        "fasting": BLOCK,
        "escort": BLOCK,
        "consent": PASS,
        "weight": BLOCK,
        "vitals": BLOCK,
        "pregnancy": PASS,
        "phq9": BLOCK,
        "suicide_risk": PASS,
        "eligibility": PASS,
        "medications": WARN,  # configured as a warning
        "iv_access": BLOCK,
    }


def _vitals(
    visit: Visit,
    nurse: User,
    sys: int,
    dia: int,
    hr: int = 72,
    spo2: int = 98,
    rr: int | None = None,
    minutes_ago: int = 5,
) -> None:
    with frozen():
        vitals_record(
            visit=visit,
            by=nurse,
            taken_at=NOW - timedelta(minutes=minutes_ago),
            systolic_mmhg=sys,
            diastolic_mmhg=dia,
            heart_rate_per_min=hr,
            spo2_percent=spo2,
            respiratory_rate_per_min=rr,
        )


@pytest.mark.parametrize(
    ("sys", "dia", "hr", "spo2", "rr", "expected"),
    [
        (139, 89, 72, 98, None, PASS),
        (140, 80, 72, 98, None, WARN),
        (120, 90, 72, 98, None, WARN),
        (159, 99, 72, 98, None, WARN),
        (160, 80, 72, 98, None, BLOCK),
        (130, 100, 72, 98, None, BLOCK),
        (120, 80, 72, 95, None, PASS),
        (120, 80, 72, 94, None, WARN),
        (120, 80, 72, 92, None, WARN),
        (120, 80, 72, 91, None, BLOCK),
        (120, 80, 100, 98, None, PASS),
        (120, 80, 101, 98, None, WARN),
        (120, 80, 130, 98, None, WARN),
        (120, 80, 131, 98, None, BLOCK),
        (120, 80, 50, 98, None, PASS),
        (120, 80, 49, 98, None, WARN),
        (120, 80, 72, 98, 10, PASS),
        (120, 80, 72, 98, 24, PASS),
        (120, 80, 72, 98, 9, WARN),
        (120, 80, 72, 98, 25, WARN),
    ],
)
def test_baseline_vitals_at_their_boundaries(
    visit: Visit,
    nurse: User,
    sys: int,
    dia: int,
    hr: int,
    spo2: int,
    rr: int | None,
    expected: CheckStatus,
) -> None:
    _vitals(visit, nurse, sys, dia, hr, spo2, rr)
    assert results(visit)["vitals"].status == expected


def test_a_blocked_reading_names_every_problem(visit: Visit, nurse: User) -> None:
    _vitals(visit, nurse, 160, 100, hr=105, spo2=91)
    assert results(visit)["vitals"].message == (
        "BP 160/100 mmHg is at or above 160/100; SpO2 91% is below 92%; "
        "heart rate 105/min is above 100/min."
    )


def test_the_reading_taken_last_counts_not_the_one_entered_last(visit: Visit, nurse: User) -> None:
    _vitals(visit, nurse, 120, 80, minutes_ago=60)
    assert results(visit)["vitals"].status == PASS
    _vitals(visit, nurse, 120, 80, minutes_ago=61)
    # The reading taken 60 min ago was entered first but was taken later: it counts.
    assert results(visit)["vitals"].status == PASS


def test_stale_vitals_block(visit: Visit, nurse: User) -> None:
    _vitals(visit, nurse, 120, 80, minutes_ago=61)
    found = results(visit)["vitals"]
    assert found.status == BLOCK
    assert found.message == (
        "The latest vitals were taken at 08:29, more than 60 min ago: take them again."
    )


@pytest.mark.parametrize(
    ("food_before_h", "fluids_before_h", "expected"),
    [
        (timedelta(hours=4), timedelta(hours=2), PASS),
        (timedelta(hours=4) - timedelta(minutes=1), timedelta(hours=2), BLOCK),
        (timedelta(hours=4), timedelta(hours=2) - timedelta(minutes=1), BLOCK),
    ],
)
def test_fasting_at_four_hours_for_food_and_two_for_clear_fluids(
    visit: Visit,
    nurse: User,
    food_before_h: timedelta,
    fluids_before_h: timedelta,
    expected: CheckStatus,
) -> None:
    with frozen():
        fasting_record(
            visit=visit,
            by=nurse,
            last_solid_food_at=START - food_before_h,
            last_clear_fluids_at=START - fluids_before_h,
        )
    assert results(visit)["fasting"].status == expected


def test_a_short_fast_says_until_when_to_wait(visit: Visit, nurse: User) -> None:
    with frozen():
        fasting_record(
            visit=visit,
            by=nurse,
            last_solid_food_at=START - timedelta(hours=3),
            last_clear_fluids_at=START - timedelta(hours=3),
        )
    assert results(visit)["fasting"].message == (
        "Last solid food at 07:00 is less than 4 h before 10:00 (wait until 11:00)."
    )


def test_a_late_visit_counts_the_fast_to_now(visit: Visit, nurse: User) -> None:
    with frozen():
        fasting_record(
            visit=visit,
            by=nurse,
            last_solid_food_at=START - timedelta(hours=3, minutes=30),
            last_clear_fluids_at=START - timedelta(hours=3),
        )
    assert run_checks(visit, now=START)[0].status == BLOCK
    assert run_checks(visit, now=START + timedelta(minutes=30))[0].status == PASS


def test_weight_and_escort_from_yesterday_do_not_count(visit: Visit, nurse: User) -> None:
    yesterday = NOW - timedelta(days=1)
    with frozen(yesterday):
        weight_record(
            patient=visit.patient,
            value=Decimal(70),
            unit="kg",
            measured_on=yesterday.date(),
            by=nurse,
        )
        escort_confirm(visit=visit, by=nurse, name="Jordan Escortperson", phone="555-0142")
    found = results(visit)
    assert (found["weight"].status, found["escort"].status) == (BLOCK, BLOCK)
    assert found["weight"].message == (
        "The latest weight (70.0 kg) was measured on 2026-03-09, not today: weigh the patient."
    )


def test_the_escort_defaults_to_the_one_on_the_patient_record(visit: Visit, nurse: User) -> None:
    Patient.objects.filter(pk=visit.patient_id).update(
        escort_name="Sam Recordescort", escort_phone="555-0199"
    )
    visit.patient.refresh_from_db()
    with frozen():
        escort_confirm(visit=visit, by=nurse)
    assert results(visit)["escort"].message == "Sam Recordescort, 555-0199."


def _potential(patient: Patient, potential: str, by: User) -> None:
    with frozen():
        patient_record_pregnancy_potential(
            patient=patient, potential=potential, asked_on=NOW.date(), by=by
        )


def test_pregnancy_potential_yes_needs_a_negative_test_today(visit: Visit, nurse: User) -> None:
    _potential(visit.patient, PregnancyPotential.YES, nurse)
    visit = Visit.objects.get(pk=visit.pk)
    assert results(visit)["pregnancy"].status == BLOCK
    with frozen():
        pregnancy_test_record(visit=visit, by=nurse, result="negative")
    assert results(visit)["pregnancy"].status == PASS
    with frozen():
        pregnancy_test_record(visit=visit, by=nurse, result="positive")
    found = results(visit)["pregnancy"]
    assert (found.status, found.message) == (
        BLOCK,
        "Today's pregnancy test is positive: no infusion.",
    )


def test_pregnancy_potential_not_asked_warns_unless_male_at_birth(
    prescriber: User, desk: User
) -> None:
    with frozen():
        female = make_patient("Robin", "Notasked")
        male = make_patient("Casey", "Notasked", sex=SexAtBirth.MALE)
    for patient, expected in ((female, WARN), (male, PASS)):
        visit = make_visit(patient, None, desk)
        assert results(visit)["pregnancy"].status == expected


def test_phq9_must_be_today_and_an_open_risk_flag_blocks(visit: Visit, nurse: User) -> None:
    with frozen(NOW - timedelta(days=1)):
        record_response(visit.patient, "phq9", PHQ9_MILD, actor=nurse, channel="staff")
    assert results(visit)["phq9"].status == BLOCK
    with frozen():
        # Item 9 answered 1: the suicide-risk flag opens.
        record_response(visit.patient, "phq9", [1] * 9, actor=nurse, channel="staff")
    found = results(visit)
    assert (found["phq9"].status, found["suicide_risk"].status) == (PASS, BLOCK)
    assert found["suicide_risk"].message == (
        "An open suicide-risk flag awaits a prescriber's assessment."
    )


def test_consent_and_eligibility_block_a_patient_without_them(desk: User) -> None:
    with frozen():
        patient = make_patient("Morgan", "Unscreened")
    visit = make_visit(patient, None, desk)
    found = results(visit)
    assert (found["consent"].status, found["eligibility"].status) == (BLOCK, BLOCK)
    assert found["eligibility"].message == "No eligibility decision stands on the latest screening."


def test_a_not_eligible_decision_blocks(visit: Visit, prescriber: User) -> None:
    with frozen():
        screening = record_screening(
            visit.patient,
            clear_answers(),
            actor=None,
            channel="kiosk",
            blood_pressure=BloodPressure(120, 80),
        )
        record_decision(
            screening,
            actor=prescriber,
            decision=EligibilityDecisionKind.NOT_ELIGIBLE,
            note="Not now.",
        )
    found = results(visit)["eligibility"]
    assert (found.status, found.message) == (BLOCK, "The eligibility decision is: Not eligible.")


def test_medication_review_no_is_a_warning(visit: Visit, nurse: User) -> None:
    with frozen():
        medication_review_record(visit=visit, by=nurse, reviewed=False)
    found = results(visit)["medications"]
    assert (found.status, found.message) == (
        WARN,
        "Recorded as not reviewed: review medication changes.",
    )


def test_severity_is_configuration_a_warning_check_can_be_made_blocking(visit: Visit) -> None:
    import dataclasses

    from ketamine_clinic.visits.check_data import Severity

    strict = dict(DEFAULT_CHECKS)
    strict["medications"] = dataclasses.replace(strict["medications"], severity=Severity.BLOCKING)
    found = {r.key: r for r in run_checks(visit, now=NOW, checks=strict)}
    assert found["medications"].status == BLOCK


# ---- overrides and the transition to checks_done ------------------------------------------


def _checked_in(visit: Visit, desk: User) -> Visit:
    with frozen():
        return visit_transition(visit, VisitState.CHECKED_IN, by=desk)


def test_checks_done_is_refused_naming_every_failing_blocking_check(
    visit: Visit, desk: User, nurse: User
) -> None:
    visit = _checked_in(visit, desk)
    with frozen(), pytest.raises(PreInfusionChecksFailing) as refused:
        visit_transition(visit, VisitState.CHECKS_DONE, by=nurse)
    assert refused.value.messages == [
        "Pre-infusion checks are failing: Fasting, Escort confirmed for today, "
        "Weight measured today, Baseline vitals within limits, PHQ-9 recorded today, "
        "IV access in place."
    ]
    assert Visit.objects.get(pk=visit.pk).state == VisitState.CHECKED_IN


def test_a_prescriber_override_lets_a_high_bp_through(
    visit: Visit, desk: User, nurse: User, prescriber: User
) -> None:
    record_everything(visit, nurse)
    _vitals(visit, nurse, 162, 95)
    visit = _checked_in(visit, desk)
    with frozen(), pytest.raises(PreInfusionChecksFailing) as refused:
        visit_transition(visit, VisitState.CHECKS_DONE, by=nurse)
    assert refused.value.failing == ["Baseline vitals within limits"]

    with frozen(), pytest.raises(PermissionDenied, match=NOT_PERMITTED.format(roles="prescriber")):
        record_check_override(visit, "vitals", by=nurse, reason="Known hypertensive")
    with frozen(), pytest.raises(ValidationError) as blank:
        record_check_override(visit, "vitals", by=prescriber, reason="  ")
    assert blank.value.message_dict == {"reason": [REASON_REQUIRED]}

    entries = AuditEntry.objects.count()
    with frozen():
        override = record_check_override(
            visit, "vitals", by=prescriber, reason="Known hypertensive, usual BP 160s/90s"
        )
    assert (override.check_status, override.check_message) == (
        "block",
        "BP 162/95 mmHg is at or above 160/100.",
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and AuditEntry.objects.count() == entries + 1
    assert (entry.object_type, entry.actor_username, entry.reason) == (
        "check_override",
        prescriber.username,
        "Known hypertensive, usual BP 160s/90s",
    )
    found = results(visit)["vitals"]
    assert (found.status, found.blocks, found.override) == (BLOCK, False, override)
    with frozen():
        done = visit_transition(visit, VisitState.CHECKS_DONE, by=nurse)
    assert done.state == VisitState.CHECKS_DONE
    transition_entry = AuditEntry.objects.order_by("-seq").first()
    assert transition_entry is not None
    assert transition_entry.detail["checks"]["vitals"] == "block (overridden)"


def test_an_override_lapses_when_the_finding_changes(
    visit: Visit, nurse: User, prescriber: User
) -> None:
    _vitals(visit, nurse, 162, 95, minutes_ago=10)
    with frozen():
        record_check_override(visit, "vitals", by=prescriber, reason="Usual BP 160s/90s")
    assert not results(visit)["vitals"].blocks
    _vitals(visit, nurse, 184, 108, minutes_ago=1)
    found = results(visit)["vitals"]
    assert (found.status, found.override, found.blocks) == (BLOCK, None, True)


def test_consent_eligibility_risk_pregnancy_and_iv_cannot_be_overridden(
    visit: Visit, prescriber: User
) -> None:
    for key in ("consent", "suicide_risk", "eligibility", "pregnancy", "iv_access"):
        label = DEFAULT_CHECKS[key].label
        with frozen(), pytest.raises(ValidationError) as refused:
            record_check_override(visit, key, by=prescriber, reason="Clinical judgement")
        assert refused.value.message_dict == {
            "check_key": [CHECK_NOT_OVERRIDABLE.format(label=label)]
        }
    assert not CheckOverride.objects.exists()


def test_a_passing_check_has_nothing_to_override(
    visit: Visit, nurse: User, prescriber: User
) -> None:
    record_everything(visit, nurse)
    with frozen(), pytest.raises(ValidationError) as refused:
        record_check_override(visit, "fasting", by=prescriber, reason="Why not")
    assert refused.value.message_dict == {"check_key": [CHECK_NOT_FAILING.format(label="Fasting")]}


def test_manual_vitals_out_of_range_are_refused_naming_the_field(visit: Visit, nurse: User) -> None:
    with frozen(), pytest.raises(ValidationError) as refused:
        vitals_record(
            visit=visit,
            by=nurse,
            taken_at=NOW,
            systolic_mmhg=1200,
            diastolic_mmhg=80,
            heart_rate_per_min=72,
            spo2_percent=101,
        )
    assert refused.value.message_dict == {
        "systolic_mmhg": ["1200 mmHg is outside 50-300 mmHg: check the reading."],
        "spo2_percent": ["101 % is outside 50-100 %: check the reading."],
    }


def test_front_desk_cannot_record_clinical_findings(visit: Visit, desk: User) -> None:
    with frozen(), pytest.raises(PermissionDenied):
        vitals_record(
            visit=visit,
            by=desk,
            taken_at=NOW,
            systolic_mmhg=120,
            diastolic_mmhg=80,
            heart_rate_per_min=72,
            spo2_percent=98,
        )


def test_a_booster_visit_has_no_course_number(patient: Patient, desk: User) -> None:
    with frozen():
        booster = visit_schedule(patient=patient, scheduled_start=START, by=desk)
    assert (booster.course, booster.number_in_course, booster.label) == (
        None,
        None,
        "Booster infusion",
    )
