"""The progress report page: who may open it, what it says, its audit entry, and that
what a patient typed stays text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from tests.conftest import client_for
from tests.outcomes.test_patient_support import (
    DAY0,
    PHQ9_SERIES,
    give_course,
    nausea,
    score,
    score_series,
)
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"
HOSTILE_PREFERRED = '"><img src=x onerror=alert(2)>'


def url(patient_id: int) -> str:
    return f"/outcomes/patients/{patient_id}/progress/"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("front_desk", 200),
        ("nurse", 200),
        ("prescriber", 200),
        ("clinic_lead", 200),
        ("custodian", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_the_roles_that_read_the_chart_may_open_the_report(
    personas: dict[str, User], persona: str, status: int
) -> None:
    patient = make_patient("Avery", "Testpatient")

    response = client_for(personas[persona]).get(url(patient.pk))

    assert response.status_code == status


def test_the_report_states_the_course_the_scores_and_their_definitions(
    personas: dict[str, User],
) -> None:
    given = give_course(personas)
    nausea(given.visits[0], personas["nurse"])
    score_series(given.patient, "phq9", PHQ9_SERIES, personas["nurse"])

    html = client_for(personas["nurse"]).get(url(given.patient.pk)).content.decode()

    assert "Avery Testpatient" in html and "7 March 1984" in html
    assert "Ketamine Clinic · (555) 010-0142" in html  # the clinic, from its settings
    assert html.count('<line class="infusion"') == 6
    assert '<td class="num">0.50</td>' in html  # infusion 1: 0.5 mg/kg ordered
    assert "Nausea" in html
    assert "60% lower" in html  # PHQ-9 20 -> 8
    assert "PHQ-9 &lt; 5" in html  # the remission definition, from the instrument's data
    assert "Löwe et al., Med Care 2004" in html
    assert "It is not a diagnosis" in html
    assert "by P_Nurse Test" in html
    assert "style=" not in html.split('<article class="progress-report">')[1]
    assert "<script" not in html.split('<article class="progress-report">')[1]


def test_reading_the_report_is_audited_with_what_it_showed(personas: dict[str, User]) -> None:
    given = give_course(personas)
    responses = score_series(given.patient, "phq9", PHQ9_SERIES[:3], personas["nurse"])
    before = AuditEntry.objects.count()

    client_for(personas["prescriber"]).get(url(given.patient.pk))

    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type) == (AuditAction.READ, "progress_report")
    assert entry.patient_id == str(given.patient.pk)
    assert entry.actor_username == personas["prescriber"].username
    assert entry.detail == {
        "course_ids": [given.course.pk],
        "response_ids": sorted(r.pk for r in responses),
    }
    assert audit_chain_verify()[1] is None


def test_an_unknown_patient_is_a_404_and_reads_nothing(personas: dict[str, User]) -> None:
    before = AuditEntry.objects.count()

    response = client_for(personas["nurse"]).get(url(999_999))

    assert response.status_code == 404
    assert AuditEntry.objects.count() == before


def test_a_hostile_name_and_preferred_name_are_shown_as_text(personas: dict[str, User]) -> None:
    patient = make_patient("Avery", HOSTILE, born=date(1984, 3, 7), preferred=HOSTILE_PREFERRED)
    give_course(personas, patient)
    score(patient, "phq9", 12, DAY0 + timedelta(days=1), personas["nurse"])

    html = client_for(personas["nurse"]).get(url(patient.pk)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert HOSTILE not in html
    assert "<img src=x" not in html


def test_the_chart_shows_the_plots_and_links_to_the_report(personas: dict[str, User]) -> None:
    given = give_course(personas)
    score_series(given.patient, "phq9", PHQ9_SERIES, personas["nurse"])
    score_series(given.patient, "gad7", [(1, 14), (18, 6)], personas["nurse"])

    html = client_for(personas["front_desk"]).get(f"/patients/{given.patient.pk}/").content.decode()

    scores = html.split('id="scores"')[1].split("</section>")[0]
    assert scores.count('<svg class="trajectory-plot"') == 2
    assert f'href="{url(given.patient.pk)}"' in scores
    assert "20 → 8 (60% lower) · <strong>response</strong>" in scores
    assert "style=" not in scores
