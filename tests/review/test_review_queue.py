"""The prescriber's review queue: what waits, in what order, and acting on it in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.assessments.selectors import infusion_blocked_by_risk
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.review.selectors import review_queue
from ketamine_clinic.screening.models import EligibilityDecision, ScreeningAssessment
from ketamine_clinic.screening.services import record_screening
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"
ITEM9_POSITIVE = [0, 0, 0, 0, 0, 0, 0, 0, 2]


def flagged(patient: Patient, nurse: User) -> RiskFlag:
    response = record_response(patient, "phq9", ITEM9_POSITIVE, actor=nurse, channel="staff")
    return response.risk_flags.get()


def screened(patient: Patient, nurse: User, **answers: str) -> ScreeningAssessment:
    return record_screening(patient, answers, actor=nurse, channel="staff")


def test_the_queue_is_oldest_first_across_both_kinds(personas: dict[str, User]) -> None:
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    first = screened(make_patient("Ann", "Older"), nurse)
    flag = flagged(make_patient("Bo", "Newer"), nurse)
    ScreeningAssessment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    items = review_queue(by=prescriber)
    assert [(item.kind, item.patient.legal_first_name) for item in items] == [
        ("screening", "Ann"),
        ("risk_flag", "Bo"),
    ]
    assert items[1].risk_flag == flag
    kinds = set(AuditEntry.objects.filter(action="read").values_list("object_type", flat=True))
    assert {"risk_review_queue", "screening_review_queue"} <= kinds


def test_a_prescriber_records_a_risk_assessment_from_the_queue(personas: dict[str, User]) -> None:
    patient = make_patient()
    flag = flagged(patient, personas["nurse"])
    assert infusion_blocked_by_risk(patient)
    client = client_for(personas["prescriber"])
    empty = client.post(reverse("review:assess_risk_flag", args=[flag.pk]), {"note": "  "})
    assert empty.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open"
    done = client.post(
        reverse("review:assess_risk_flag", args=[flag.pk]),
        {"note": "Spoke with the patient; passive thoughts, safety plan reviewed."},
        follow=True,
    )
    assert b"Assessment recorded" in done.content
    flag.refresh_from_db()
    assert (flag.status, flag.assessed_by) == ("assessed", personas["prescriber"])
    assert not infusion_blocked_by_risk(patient)
    assert b"Nothing is waiting for a prescriber" in done.content


def test_a_prescriber_decides_a_screening_from_the_queue(personas: dict[str, User]) -> None:
    assessment = screened(make_patient(), personas["nurse"])
    client = client_for(personas["prescriber"])
    response = client.post(
        reverse("review:decide_screening", args=[assessment.pk]),
        {
            "decision": "eligible_with_conditions",
            "note": "BP to be taken before the first infusion.",
        },
        follow=True,
    )
    assert b"Decision recorded" in response.content
    decision = EligibilityDecision.objects.get()
    assert (decision.decided_by, decision.decision) == (
        personas["prescriber"],
        "eligible_with_conditions",
    )
    assert decision.rules_version == assessment.rules_version


def test_a_refused_decision_says_why_and_changes_nothing(personas: dict[str, User]) -> None:
    assessment = screened(make_patient(), personas["nurse"], schizophrenia="yes")
    assert assessment.outcome == "not_eligible"
    client = client_for(personas["prescriber"])
    response = client.post(
        reverse("review:decide_screening", args=[assessment.pk]),
        {"decision": "eligible", "note": "Looks fine to me."},
        follow=True,
    )
    assert b"Not recorded" in response.content
    assert not EligibilityDecision.objects.exists()


def test_the_clinic_lead_sees_the_queue_without_the_actions(personas: dict[str, User]) -> None:
    flag = flagged(make_patient(HOSTILE, "Lead"), personas["nurse"])
    page = client_for(personas["clinic_lead"]).get(reverse("review:queue"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "read only" in body
    assert reverse("review:assess_risk_flag", args=[flag.pk]) not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert HOSTILE not in body
    refused = client_for(personas["clinic_lead"]).post(
        reverse("review:assess_risk_flag", args=[flag.pk]), {"note": "not mine to make"}
    )
    assert refused.status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open"


def test_the_prescriber_sees_the_reasons_and_the_forms(personas: dict[str, User]) -> None:
    screened(make_patient(), personas["nurse"], schizophrenia="yes")
    body = client_for(personas["prescriber"]).get(reverse("review:queue")).content.decode()
    assert "PSY-SCHIZOPHRENIA" in body
    assert "Record decision" in body
