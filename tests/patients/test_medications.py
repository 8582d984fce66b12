"""Medications: flags proposed from a table, editable by staff; stopped, never deleted."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.enums import MedicationFlag
from ketamine_clinic.patients.medication_flags import flags_for_medication_name
from ketamine_clinic.patients.models import Correction, Medication, Patient
from ketamine_clinic.patients.services._common import REASON_REQUIRED
from ketamine_clinic.patients.services.medications import (
    MEDICATION_ALREADY_STOPPED,
    MEDICATION_FLAG_UNKNOWN,
    MEDICATION_NAME_REQUIRED,
    MEDICATION_STOP_BEFORE_START,
    medication_add,
    medication_correct,
    medication_mark_entered_in_error,
    medication_stop,
)
from tests.patients.factories import make_patient

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient()


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("Alprazolam", [MedicationFlag.BENZODIAZEPINE]),
        ("lorazepam 1 mg tablet", [MedicationFlag.BENZODIAZEPINE]),
        ("CLONAZEPAM", [MedicationFlag.BENZODIAZEPINE]),
        ("Diazepam", [MedicationFlag.BENZODIAZEPINE]),
        ("Xanax XR", [MedicationFlag.BENZODIAZEPINE]),
        ("Lamotrigine", [MedicationFlag.LAMOTRIGINE]),
        ("phenelzine", [MedicationFlag.MAOI]),
        ("Tranylcypromine", [MedicationFlag.MAOI]),
        ("isocarboxazid", [MedicationFlag.MAOI]),
        ("Selegiline patch", [MedicationFlag.MAOI]),
        ("Methylphenidate ER", [MedicationFlag.STIMULANT]),
        ("Amphetamine/dextroamphetamine", [MedicationFlag.STIMULANT]),
        ("lisdexamfetamine", [MedicationFlag.STIMULANT]),
        ("Pseudoephedrine", [MedicationFlag.SYMPATHOMIMETIC]),
        ("Phenylephrine nasal spray", [MedicationFlag.SYMPATHOMIMETIC]),
        ("Sertraline", []),
        ("Lorazepamish", []),
    ],
)
def test_the_table_proposes_flags_word_by_word(name: str, flags: list[MedicationFlag]) -> None:
    assert flags_for_medication_name(name) == flags


def test_a_medication_gets_its_flags_from_the_table_and_is_audited(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]

    medication = medication_add(
        patient=patient, name="Lorazepam", dose_text="1 mg at night", by=nurse
    )

    assert medication.flags == ["benzodiazepine"]
    assert not medication.flags_set_by_staff
    assert medication.flag_labels == ["Benzodiazepine (may blunt the effect)"]
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="medication")
    assert entry.detail["flags"] == ["benzodiazepine"]
    assert entry.patient_id == str(patient.pk)


def test_staff_may_set_flags_the_table_does_not_know(
    personas: dict[str, User], patient: Patient
) -> None:
    medication = medication_add(
        patient=patient,
        name="Cold and flu tablets",
        flags=["sympathomimetic"],
        by=personas["nurse"],
    )

    assert medication.flags == ["sympathomimetic"]
    assert medication.flags_set_by_staff

    with pytest.raises(ValidationError) as refused:
        medication_add(patient=patient, name="X", flags=["opioid"], by=personas["nurse"])
    assert refused.value.message_dict == {"flags": [MEDICATION_FLAG_UNKNOWN]}


def test_a_correction_keeps_what_it_was_who_changed_it_and_why(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    medication = medication_add(patient=patient, name="Sertraline", dose_text="50 mg", by=nurse)

    with pytest.raises(ValidationError) as no_reason:
        medication_correct(
            medication=medication, name="Sertraline", dose_text="100 mg", started_on=None,
            flags=[], reason="", by=prescriber,
        )  # fmt: skip
    assert no_reason.value.message_dict == {"reason": [REASON_REQUIRED]}

    corrected = medication_correct(
        medication=medication, name="Sertraline", dose_text="100 mg", started_on=None,
        flags=["stimulant"], reason="Dose per pharmacy label", by=prescriber,
    )  # fmt: skip

    assert (corrected.dose_text, corrected.flags, corrected.flags_set_by_staff) == (
        "100 mg",
        ["stimulant"],
        True,
    )
    correction = Correction.objects.get()
    assert correction.changes == {"dose_text": ["50 mg", "100 mg"], "flags": ["", "stimulant"]}
    assert (correction.by, correction.reason) == (prescriber, "Dose per pharmacy label")
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="medication")
    assert entry.reason == "Dose per pharmacy label"
    assert entry.detail == {"changes": correction.changes}


def test_stopping_sets_a_stop_date_and_keeps_the_row(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]
    with time_machine.travel(NOW, tick=False):
        medication = medication_add(
            patient=patient, name="Lamotrigine", started_on=date(2026, 1, 10), by=nurse
        )
        with pytest.raises(ValidationError) as early:
            medication_stop(medication=medication, stopped_on=date(2026, 1, 9), by=nurse)
        assert early.value.message_dict == {
            "stopped_on": [MEDICATION_STOP_BEFORE_START.format(started="2026-01-10")]
        }

        medication_stop(medication=medication, stopped_on=date(2026, 5, 1), by=nurse)

        with pytest.raises(ValidationError) as twice:
            medication_stop(medication=medication, stopped_on=date(2026, 5, 2), by=nurse)
    assert twice.value.messages == [MEDICATION_ALREADY_STOPPED]
    stored = Medication.objects.get(pk=medication.pk)
    assert (stored.stopped_on, stored.stopped_by, stored.is_current) == (
        date(2026, 5, 1),
        nurse,
        False,
    )
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="medication").get()
    assert entry.detail == {"stopped_on": "2026-05-01"}


def test_a_medication_without_a_name_is_refused(
    personas: dict[str, User], patient: Patient
) -> None:
    with pytest.raises(ValidationError) as refused:
        medication_add(patient=patient, name="  ", by=personas["nurse"])

    assert refused.value.message_dict == {"name": [MEDICATION_NAME_REQUIRED]}
    assert Medication.objects.count() == 0


def test_a_medication_entered_in_error_leaves_the_current_list_but_not_the_database(
    personas: dict[str, User], patient: Patient
) -> None:
    medication = medication_add(patient=patient, name="Diazepam", by=personas["nurse"])

    medication_mark_entered_in_error(
        medication=medication, reason="Another patient's list", by=personas["nurse"]
    )

    stored = Medication.objects.get(pk=medication.pk)
    assert stored.in_error and not stored.is_current
