"""Reads: latest scores with a trend, history, the review queue, the chart's timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.enums import Trend
from ketamine_clinic.assessments.selectors import (
    KIOSK_ACTOR,
    infusion_blocked_by_risk,
    latest_scores,
    open_risk_flags,
    questionnaire_history,
    risk_review_queue,
    score_history,
    timeline_entries,
)
from ketamine_clinic.assessments.services import record_response, record_risk_assessment
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.instruments.errors import UnknownInstrument
from ketamine_clinic.patients.models import Patient
from tests.patients.factories import make_patient

DAY_1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at_day(n: int) -> datetime:
    return DAY_1 + timedelta(days=n - 1)


@pytest.fixture
def course(patient: Patient, nurse: User) -> Patient:
    """A PHQ-9 each infusion day (totals 20, 14, 9; hand-built vectors) and one GAD-7."""
    with time_machine.travel(at_day(5), tick=False):
        for day, answers in [
            (1, [3, 3, 3, 3, 2, 2, 2, 2, 0]),  # 20
            (3, [2, 2, 2, 2, 2, 2, 1, 1, 0]),  # 14
            (5, [1, 1, 1, 1, 1, 1, 1, 1, 1]),  # 9, item 9 = 1
        ]:
            record_response(
                patient, "phq9", answers, actor=nurse, channel="staff", taken_at=at_day(day)
            )
        record_response(patient, "gad7", [2] * 7, actor=None, channel="kiosk", taken_at=at_day(3))
    return patient


def test_latest_scores_give_the_newest_and_the_previous_per_instrument(course: Patient) -> None:
    scores = {s.instrument_key: s for s in latest_scores(course)}
    assert set(scores) == {"phq9", "gad7"}
    phq9 = scores["phq9"]
    assert (phq9.latest.total, phq9.previous and phq9.previous.total) == (9, 14)
    assert (phq9.change, phq9.trend) == (-5, Trend.DOWN)
    gad7 = scores["gad7"]
    assert (gad7.latest.total, gad7.previous, gad7.trend) == (14, None, None)


def test_a_rising_score_trends_up_and_a_cssrs_compares_triage(
    patient: Patient, nurse: User
) -> None:
    record_response(patient, "cssrs_screener", [1, 0, 0, 0, 0, 0, 0], actor=nurse, channel="staff")
    record_response(patient, "cssrs_screener", [1, 1, 1, 0, 0, 0, 0], actor=nurse, channel="staff")
    (cssrs,) = latest_scores(patient)
    assert (cssrs.latest.triage, cssrs.previous and cssrs.previous.triage) == ("moderate", "low")
    assert (cssrs.change, cssrs.trend) == (None, Trend.UP)


def test_score_history_is_chronological(course: Patient) -> None:
    history = score_history(course, "phq9")
    assert [(r.taken_at, r.total) for r in history] == [
        (at_day(1), 20),
        (at_day(3), 14),
        (at_day(5), 9),
    ]
    with pytest.raises(UnknownInstrument):
        score_history(course, "madrs")


def test_a_corrected_response_leaves_the_history_and_its_correction_takes_its_place(
    patient: Patient, nurse: User
) -> None:
    wrong = record_response(
        patient, "gad7", [3] * 7, actor=nurse, channel="staff", taken_at=at_day(1)
    )
    record_response(
        patient,
        "gad7",
        [1] * 7,
        actor=nurse,
        channel="staff",
        taken_at=at_day(1),
        corrects=wrong,
        correction_reason="paper form misread",
    )
    assert [r.total for r in score_history(patient, "gad7")] == [7]
    (gad7,) = latest_scores(patient)
    assert (gad7.latest.total, gad7.previous) == (7, None)


def test_open_risk_flags_oldest_first_for_one_patient_or_all(
    patient: Patient, nurse: User, prescriber: User
) -> None:
    other = make_patient("Blake", "Otherpatient")
    with time_machine.travel(at_day(1), tick=False):
        record_response(patient, "phq9", [0] * 8 + [1], actor=nurse, channel="staff")
    with time_machine.travel(at_day(2), tick=False):
        record_response(other, "phq9", [0] * 8 + [2], actor=nurse, channel="staff")
    with time_machine.travel(at_day(3), tick=False):
        record_response(
            patient,
            "cssrs_screener",
            [1, 0, None, None, None, 0, None],
            actor=nurse,
            channel="staff",
        )
    everyone = open_risk_flags()
    assert [(f.patient, f.kind) for f in everyone] == [
        (patient, "phq9_item9"),
        (other, "phq9_item9"),
        (patient, "cssrs_positive"),
    ]
    assert [f.kind for f in open_risk_flags(patient)] == ["phq9_item9", "cssrs_positive"]
    record_risk_assessment(everyone[0], actor=prescriber, note="reviewed")
    assert [f.kind for f in open_risk_flags(patient)] == ["cssrs_positive"]
    assert infusion_blocked_by_risk(other) is True


def test_the_review_queue_read_is_audited(patient: Patient, nurse: User, prescriber: User) -> None:
    record_response(patient, "phq9", [0] * 8 + [1], actor=nurse, channel="staff")
    flags = risk_review_queue(by=prescriber)
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry is not None
    assert (entry.action, entry.object_type, entry.actor_id) == (
        AuditAction.READ,
        "risk_review_queue",
        prescriber.pk,
    )
    assert entry.detail == {"count": 1, "patient_ids": [patient.pk]}
    assert len(flags) == 1


def test_a_history_page_read_is_audited_against_the_patient(
    course: Patient, prescriber: User
) -> None:
    history = questionnaire_history(patient=course, instrument_key="phq9", by=prescriber)
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry is not None
    assert (entry.action, entry.object_type, entry.patient_id) == (
        AuditAction.READ,
        "questionnaire_history",
        str(course.pk),
    )
    assert entry.detail["response_ids"] == [r.pk for r in history]


def test_the_building_block_reads_write_no_audit_entry(course: Patient) -> None:
    before = AuditEntry.objects.count()
    latest_scores(course)
    score_history(course, "phq9")
    open_risk_flags(course)
    infusion_blocked_by_risk(course)
    timeline_entries(course)
    assert AuditEntry.objects.count() == before


def test_the_timeline_shows_questionnaires_flags_and_assessments(
    course: Patient, nurse: User, prescriber: User
) -> None:
    flag = open_risk_flags(course)[0]
    with time_machine.travel(at_day(6), tick=False):
        record_risk_assessment(flag, actor=prescriber, note="Passive thoughts; safe to proceed.")
    entries = sorted(timeline_entries(course), key=lambda e: (e.at, e.kind, e.title))
    summary = [(e.at, e.kind, e.title, e.actor) for e in entries]
    assert summary == [
        (at_day(1), "questionnaire", "PHQ-9 completed: total 20 (Severe)", nurse.display_name),
        (at_day(3), "questionnaire", "GAD-7 completed: total 14 (Moderate)", KIOSK_ACTOR),
        (at_day(3), "questionnaire", "PHQ-9 completed: total 14 (Moderate)", nurse.display_name),
        (at_day(5), "questionnaire", "PHQ-9 completed: total 9 (Mild)", nurse.display_name),
        (at_day(5), "risk_flag", "Risk flag raised (PHQ-9): positive", None),
        (
            at_day(6),
            "risk_assessment",
            "Risk assessed (PHQ-9: item 9 = 1 (Several days))",
            prescriber.display_name,
        ),
    ]
    assert entries[-1].detail == "Passive thoughts; safe to proceed."
    assert entries[-2].detail == "item 9 = 1 (Several days)"
