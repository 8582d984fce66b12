"""patient_search and patient_get: finding and reading patients, every read audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients import selectors
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import (
    SEARCH_BAD_DATE,
    SEARCH_EMPTY,
    SEARCH_NUL,
    SEARCH_TOO_LONG,
    SEARCH_TOO_MANY_WORDS,
    patient_get,
    patient_id_for_mrn,
    patient_search,
)
from tests.patients.factories import make_patient


@pytest.fixture
def registry(db: None) -> dict[str, Patient]:
    return {
        "avery": make_patient("Avery", "Testpatient", born=date(1984, 3, 7)),
        "jordan": make_patient(
            "Jordan", "Sampleton", born=date(1971, 11, 23), sex=SexAtBirth.MALE, preferred="Jordy"
        ),
        "riley": make_patient("Riley", "Testpatient-Lee", born=date(1984, 3, 7)),
    }


def reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.READ).order_by("seq"))


def names(patients: list[Patient]) -> list[str]:
    return [patient.legal_name for patient in patients]


@pytest.mark.parametrize(
    ("query", "kind", "expected"),
    [
        ("testpatient", "name", ["Avery Testpatient", "Riley Testpatient-Lee"]),
        ("  AVERY  ", "name", ["Avery Testpatient"]),
        ("riley test", "name", ["Riley Testpatient-Lee"]),
        ("jordy", "name", ["Jordan Sampleton"]),
        ("avery sampleton", "name", []),
        ("1984-03-07", "date_of_birth", ["Avery Testpatient", "Riley Testpatient-Lee"]),
        ("1984-03-08", "date_of_birth", []),
    ],
)
def test_it_finds_patients_by_name_fragments_or_date_of_birth(
    personas: dict[str, User],
    registry: dict[str, Patient],
    query: str,
    kind: str,
    expected: list[str],
) -> None:
    result = patient_search(query=query, by=personas["front_desk"])

    assert result.kind == kind
    assert names(result.patients) == expected
    assert result.total == len(expected)


def test_it_finds_a_patient_by_mrn_however_it_is_typed(
    personas: dict[str, User], registry: dict[str, Patient]
) -> None:
    jordan = registry["jordan"]
    number = int(jordan.mrn[2:])

    for typed in (jordan.mrn, jordan.mrn.lower(), f"KC{number}", f"kc{number:010d}"):
        result = patient_search(query=typed, by=personas["nurse"])
        assert result.kind == "mrn"
        assert result.patients == [jordan]
    assert patient_search(query="KC999999", by=personas["nurse"]).patients == []


def test_each_search_writes_one_read_entry_with_the_query_count_and_ids_shown(
    personas: dict[str, User], registry: dict[str, Patient]
) -> None:
    nurse = personas["nurse"]

    patient_search(query=" testpatient ", by=nurse)

    [entry] = reads()
    assert entry.actor_id == nurse.pk
    assert entry.object_type == "patient_search"
    assert entry.patient_id == ""
    assert entry.detail == {
        "query": "testpatient",
        "kind": "name",
        "count": 2,
        "patient_ids": [registry["avery"].pk, registry["riley"].pk],
    }


def test_a_search_shows_at_most_the_limit_but_counts_every_match(
    personas: dict[str, User], registry: dict[str, Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "SEARCH_RESULT_LIMIT", 1)

    result = patient_search(query="testpatient", by=personas["nurse"])

    assert names(result.patients) == ["Avery Testpatient"]
    assert (result.total, result.truncated) == (2, True)
    assert reads()[-1].detail["patient_ids"] == [registry["avery"].pk]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("   ", SEARCH_EMPTY),
        ("x" * 101, SEARCH_TOO_LONG),
        ("a b c d e f", SEARCH_TOO_MANY_WORDS),
        ("2026-02-30", SEARCH_BAD_DATE),
        ("1984-13-01", SEARCH_BAD_DATE),
        ("ave\x00ry", SEARCH_NUL),
    ],
)
def test_a_search_it_cannot_run_is_refused_with_a_reason_and_not_audited(
    personas: dict[str, User], query: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        patient_search(query=query, by=personas["nurse"])

    assert refused.value.messages == [message]
    assert reads() == []


def test_getting_a_patient_writes_a_read_entry_against_that_patient(
    personas: dict[str, User], registry: dict[str, Patient]
) -> None:
    prescriber = personas["prescriber"]
    avery = registry["avery"]

    patient = patient_get(patient_id=avery.pk, by=prescriber)

    assert patient == avery
    [entry] = reads()
    assert entry.actor_id == prescriber.pk
    assert (entry.object_type, entry.object_id, entry.patient_id) == (
        "patient",
        str(avery.pk),
        str(avery.pk),
    )


def test_getting_a_patient_who_does_not_exist_raises_and_reads_nothing(
    personas: dict[str, User],
) -> None:
    with pytest.raises(Patient.DoesNotExist):
        patient_get(patient_id=987654, by=personas["nurse"])

    assert reads() == []


def test_an_mrn_resolves_to_its_patients_id(registry: dict[str, Patient]) -> None:
    riley = registry["riley"]

    assert patient_id_for_mrn(mrn=riley.mrn) == riley.pk
    assert patient_id_for_mrn(mrn=f" {riley.mrn.lower()} ") == riley.pk
    assert patient_id_for_mrn(mrn="KC999999") is None
    assert patient_id_for_mrn(mrn="Riley") is None
