"""Screening reads: the latest screening, the decision in force, the review queue, the
timeline, and the Django enum that mirrors the pure one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from ketamine_clinic.accounts.models import User
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.enums import ScreeningOutcome
from ketamine_clinic.screening.facts import Outcome, PregnancyStatus
from ketamine_clinic.screening.models import ScreeningAssessment
from ketamine_clinic.screening.selectors import (
    awaiting_decision,
    current_decision,
    facts_for,
    latest_screening,
    timeline_entries,
)
from ketamine_clinic.screening.services import record_decision, record_screening
from tests.patients.factories import make_patient
from tests.screening.support import clear_answers

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _screen_at(at: datetime, patient: Patient, **answers: str) -> ScreeningAssessment:
    with time_machine.travel(at, tick=False):
        return record_screening(
            patient, {**clear_answers(), **answers}, actor=None, channel="kiosk"
        )


def test_the_django_outcome_mirrors_the_pure_one() -> None:
    assert ScreeningOutcome.values == [str(o) for o in Outcome]


def test_latest_screening_is_the_newest_and_none_without_any() -> None:
    patient = make_patient()
    assert latest_screening(patient) is None
    _screen_at(T0, patient)
    newest = _screen_at(T0 + timedelta(days=2), patient)
    _screen_at(T0 + timedelta(days=1), make_patient("Blake", "Other"))
    assert latest_screening(patient) == newest


def test_a_newer_screening_puts_the_decision_out_of_force(personas: dict[str, User]) -> None:
    patient = make_patient()
    first = _screen_at(T0, patient)
    assert current_decision(patient) is None
    decision = record_decision(
        first, actor=personas["prescriber"], decision="eligible", note="Reviewed."
    )
    assert current_decision(patient) == decision
    _screen_at(T0 + timedelta(days=30), patient, glaucoma="yes")
    assert current_decision(patient) is None
    assert current_decision(patient, any_screening=True) == decision


def test_the_review_queue_is_undecided_latest_screenings_oldest_first(
    personas: dict[str, User],
) -> None:
    avery, blake, casey, drew = (make_patient(name, "Queue") for name in "ABCD")
    _screen_at(T0 + timedelta(hours=3), avery)
    blake_old = _screen_at(T0, blake)
    blake_new = _screen_at(T0 + timedelta(hours=5), blake)
    casey_screen = _screen_at(T0 + timedelta(hours=1), casey)
    drew_screen = _screen_at(T0 + timedelta(hours=2), drew)
    record_decision(drew_screen, actor=personas["prescriber"], decision="eligible", note="OK.")
    queue = awaiting_decision()
    assert [a.patient for a in queue] == [casey, avery, blake]
    assert blake_old not in queue and blake_new in queue
    assert casey_screen == queue[0]


def test_timeline_lists_screenings_and_decisions_newest_first(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    prescriber = personas["prescriber"]
    first = _screen_at(T0, patient, glaucoma="yes")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        record_decision(
            first,
            actor=prescriber,
            decision="eligible_with_conditions",
            note="<b>Check</b> eye pressure first.",
        )
    second = _screen_at(T0 + timedelta(days=1), patient, schizophrenia="yes")
    with time_machine.travel(T0 + timedelta(days=1, hours=1), tick=False):
        record_decision(
            second,
            actor=prescriber,
            decision="eligible",
            note="Override: the patient misread the question; no such diagnosis ever made.",
        )
    _screen_at(T0 - timedelta(days=1), make_patient("Other", "Person"))
    entries = timeline_entries(patient)
    assert [(e.at, e.kind) for e in entries] == [
        (T0 + timedelta(days=1, hours=1), "eligibility_decision"),
        (T0 + timedelta(days=1), "screening"),
        (T0 + timedelta(hours=1), "eligibility_decision"),
        (T0, "screening"),
    ]
    assert entries[0].title == "Eligibility decision: Eligible (overrides the rules)"
    assert entries[0].actor == prescriber.display_name
    assert entries[1].title == "Screening completed: Not eligible"
    assert entries[1].actor == "patient (kiosk)"
    assert "PSY-SCHIZOPHRENIA" in entries[1].detail
    assert entries[2].detail == "<b>Check</b> eye pressure first."  # plain text, kept as is


def test_facts_for_reads_age_on_the_given_day_and_an_unasked_pregnancy_as_unknown() -> None:
    patient = make_patient(born=date(2000, 6, 15))
    assert facts_for(patient, {}, on=date(2026, 6, 14)).age_years == 25
    assert facts_for(patient, {}, on=date(2026, 6, 15)).age_years == 26
    facts = facts_for(patient, {"glaucoma": "no"}, on=date(2026, 6, 15))
    assert facts.pregnancy_status is PregnancyStatus.UNKNOWN
    assert facts.medication_flags == frozenset()
    assert facts.blood_pressure is None
    assert dict(facts.answers) == {"glaucoma": "no"}
