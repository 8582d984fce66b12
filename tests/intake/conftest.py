"""A stand-in form for testing the kiosk's own mechanics (sessions, drafts, locks).

The real forms (the instruments) are exercised in test_kiosk_questionnaires.py; here a
two-question form whose submission records what it received keeps these tests about the
kiosk alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from ketamine_clinic.intake import form_sources
from ketamine_clinic.intake.kiosk_forms import Choice, KioskForm, Question, Submitted
from ketamine_clinic.patients.models import Patient

RECEIVED: list[tuple[int, dict[str, str]]] = []


def _record(patient: Patient, answers: Mapping[str, str]) -> Submitted:
    RECEIVED.append((patient.pk, dict(answers)))
    return Submitted(object_type="test_form", object_id=str(len(RECEIVED)))


MOOD = KioskForm(
    key="mood",
    title="How you are today",
    intro="Two questions.",
    questions=(
        Question(
            key="feeling",
            text="How are you feeling?",
            choices=(Choice("0", "Well"), Choice("1", "Not well")),
        ),
        Question(key="notes", text="Anything else?", choices=None, required=False),
    ),
    submit=_record,
)
SLEEP = KioskForm(
    key="sleep",
    title="Sleep",
    intro="",
    questions=(
        Question(key="hours", text="Hours slept", choices=(Choice("6", "6"), Choice("8", "8"))),
    ),
    submit=_record,
)


@pytest.fixture
def test_forms(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, dict[str, str]]]]:
    RECEIVED.clear()
    monkeypatch.setattr(form_sources, "all_forms", lambda: [MOOD, SLEEP])
    yield RECEIVED
