"""Questionnaires, screenings and consents for the demo patients, so the chart's trends,
the risk banner, the consent card and the prescriber's review queue have something to
show. All synthetic (the signatures are drawn by ``consent.synthetic``).

Entered as the tablet would (channel "kiosk", no staff actor) at dates spread over the
past weeks: a course of improving PHQ-9 and GAD-7 scores for Avery, a plateau for
Jordan, a positive item 9 for Riley (an open risk flag), and screenings awaiting a
decision for Avery and Riley.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.consent.synthetic import synthetic_signature_png
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.services import record_screening

# (first, last) -> instrument -> [(days ago, answers)], oldest first.
DEMO_RESPONSES: dict[tuple[str, str], dict[str, list[tuple[int, list[int | None]]]]] = {
    ("Avery", "Testpatient"): {
        "phq9": [
            (21, [3, 3, 2, 3, 2, 2, 2, 1, 0]),  # 18: moderately severe
            (14, [2, 2, 2, 2, 1, 2, 1, 1, 0]),  # 13: moderate
            (7, [1, 1, 1, 2, 1, 1, 1, 0, 0]),  # 8: mild
            (1, [1, 0, 1, 1, 0, 1, 0, 0, 0]),  # 4: minimal
        ],
        "gad7": [(21, [2, 2, 2, 2, 1, 2, 1]), (7, [1, 1, 1, 1, 1, 1, 0]), (1, [1, 0, 1, 0, 0, 1, 0])],
    },
    ("Jordan", "Sampleton"): {
        "phq9": [(14, [2, 2, 2, 2, 2, 1, 2, 1, 0]), (3, [2, 2, 2, 1, 2, 1, 2, 1, 0])],
    },
    ("Riley", "Demowitz"): {
        "phq9": [(2, [2, 3, 2, 2, 1, 2, 2, 1, 1])],  # item 9 positive: a risk flag
    },
}  # fmt: skip

# A "no" to every screening question, with the exceptions each patient gives.
DEMO_SCREENINGS: dict[tuple[str, str], dict[str, str]] = {
    ("Avery", "Testpatient"): {"high_blood_pressure": "yes", "blood_pressure_controlled": "yes"},
    ("Riley", "Demowitz"): {"takes_benzodiazepine": "yes", "psychosis_ever": "unsure"},
}


def _no_to_everything() -> dict[str, str]:
    from ketamine_clinic.screening.questionnaire import AnswerType
    from ketamine_clinic.screening.questionnaire_data import QUESTIONS

    return {
        q.key: "no"
        for q in QUESTIONS
        if q.answer_type is AnswerType.YES_NO_UNSURE and q.asked_if is None
    }


@transaction.atomic
def seed_demo_assessments() -> int:
    """Add the demo questionnaires and screenings to patients that have none; return how
    many patients got them (a second run adds nothing)."""
    now = timezone.now()
    seeded = 0
    names = set(DEMO_RESPONSES) | set(DEMO_SCREENINGS)
    for first, last in sorted(names):
        patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
        if patient is None or QuestionnaireResponse.objects.filter(patient=patient).exists():
            continue
        for key, series in DEMO_RESPONSES.get((first, last), {}).items():
            for days_ago, answers in series:
                record_response(
                    patient,
                    key,
                    answers,
                    actor=None,
                    channel="kiosk",
                    taken_at=now - timedelta(days=days_ago, hours=1),
                )
        if (first, last) in DEMO_SCREENINGS:
            screening = {**_no_to_everything(), **DEMO_SCREENINGS[(first, last)]}
            record_screening(patient, screening, actor=None, channel="kiosk")
        seeded += 1
    return seeded


# Demo patients who signed the treatment consent on the tablet's first version.
DEMO_WITNESS_USERNAME = "nurse"
DEMO_CONSENTS: tuple[tuple[str, str], ...] = (("Avery", "Testpatient"), ("Jordan", "Sampleton"))


@transaction.atomic
def seed_demo_consents() -> int:
    """Publish the sample consent (once) and sign it for the demo patients who have not."""
    document = consent_seed()
    # Signed in front of the demo nurse (seeded with the staff before the patients).
    witness = User.objects.filter(username=DEMO_WITNESS_USERNAME).first()
    signed = 0
    for number, (first, last) in enumerate(DEMO_CONSENTS):
        patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
        if patient is None or witness is None:
            continue
        if ConsentSignature.objects.filter(patient=patient).exists():
            continue
        consent_sign(
            patient=patient,
            document=document,
            typed_name=patient.legal_name,
            signature_png=synthetic_signature_png(number),
            witness=witness,
        )
        signed += 1
    return signed
