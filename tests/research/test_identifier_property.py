"""Whatever an identifier looks like, it does not reach the export (hypothesis).

The generated values use letters g-z only (no a-f, no digits), mixed with the characters
that break naive CSV or spreadsheets (quotes, commas, newlines, a leading =), so none can
be a substring of an exported code, number or hex study id by chance: if one is found,
it leaked.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.courses.models import Course
from ketamine_clinic.infusion.models import AdverseEvent, SessionNote
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.research.requests import ExportRequest
from ketamine_clinic.research.services import research_export_write
from ketamine_clinic.visits.models import Visit
from tests.patients.factories import make_patient
from tests.research.helpers import every_text
from tests.research.support import BASE

LETTERS = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ"
identifiers = st.text(alphabet=LETTERS + " ,;\"'\n=+@-é中", min_size=10, max_size=40).filter(
    lambda value: sum(ch in LETTERS for ch in value) >= 8
)


def _patient_full_of(value: str, staff: User) -> None:
    patient = make_patient("Someone", "Else")
    Patient.objects.filter(pk=patient.pk).update(
        legal_first_name=value[:100],
        legal_last_name=value[:100],
        preferred_name=value[:100],
        phone=value[:40],
        email="",
        address=value,
        emergency_contact_name=value,
        escort_name=value,
        referrer_name=value,
        referrer_practice=value,
    )
    course = Course.objects.create(
        patient=patient,
        protocol_key="standard-6",
        protocol={"infusions": 6},
        status="stopped",
        created_at=BASE,
        created_by=staff,
        started_at=BASE,
        ended_at=BASE + timedelta(days=20),
        ended_by=staff,
        stop_reason=value,
    )
    visit = Visit.objects.create(
        patient=patient,
        course=course,
        number_in_course=1,
        scheduled_start=BASE,
        planned_preparation_min=30,
        planned_infusion_min=40,
        planned_recovery_min=60,
        created_at=BASE,
        state="aborted",
        state_changed_at=BASE,
        ended_at=BASE,
        ended_by=staff,
        end_reason=value,
    )
    AdverseEvent.objects.create(
        visit=visit,
        at=BASE,
        kind="other",
        description=value,
        intervention=value[:200],
        by=staff,
    )
    SessionNote.objects.create(visit=visit, at=BASE, kind="setting", text=value, by=staff)
    QuestionnaireResponse.objects.create(
        patient=patient,
        instrument_key="phq9",
        instrument_version="1.0",
        answers=[0] * 9,
        total=0,
        severity="minimal",
        valid=True,
        result={"x": value},
        comment=value,
        taken_at=BASE,
        entered_by=staff,
        channel="staff",
        created_at=BASE,
    )


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=identifiers)
def test_no_generated_identifier_reaches_either_format(
    personas: dict[str, User], value: str
) -> None:
    _patient_full_of(value, personas["nurse"])
    needle = value.strip()
    for file_format in ("csv", "parquet"):
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "export"
            research_export_write(out=out, request=ExportRequest(file_format), by=None)
            texts = every_text(out)
            assert any("aborted" in text for text in texts)  # the patient's visit is there
            assert [text for text in texts if needle in text] == []
