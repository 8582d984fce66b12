"""A patient's weekly windows and unavailable dates: patient data, audited both ways."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.booking.models import AvailabilityWindow, UnavailableDate
from ketamine_clinic.booking.setup import selectors, services
from tests.booking.setup.support import entries, frozen
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def test_windows_replace_the_old_ones_with_before_and_after_in_the_audit_trail(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    desk = personas["front_desk"]
    services.availability_set(patient=patient, windows={1: [(time(9), time(13))]}, by=desk)
    services.availability_set(
        patient=patient,
        windows={1: [(None, None), (time(14), time(17))], 3: [(time(8), time(12))]},
        by=personas["nurse"],
    )
    assert [
        (w.weekday, w.starts_at, w.ends_at)
        for w in AvailabilityWindow.objects.filter(patient=patient)
    ] == [(1, time(14), time(17)), (3, time(8), time(12))]
    last = entries("patient_availability")[-1]
    assert last.action == AuditAction.UPDATE
    assert last.patient_id == str(patient.pk)
    assert last.detail == {
        "before": {"tuesday": [["09:00", "13:00"]]},
        "after": {"tuesday": [["14:00", "17:00"]], "thursday": [["08:00", "12:00"]]},
    }


def test_bad_windows_name_their_fields_and_change_nothing(personas: dict[str, User]) -> None:
    patient = make_patient()
    services.availability_set(
        patient=patient, windows={0: [(time(9), time(12))]}, by=personas["prescriber"]
    )
    with pytest.raises(ValidationError) as refused:
        services.availability_set(
            patient=patient,
            windows={
                0: [(time(12), time(9))],
                2: [(time(9), time(13)), (time(12), time(15))],
                4: [(time(9), None)],
            },
            by=personas["prescriber"],
        )
    assert refused.value.message_dict == {
        "monday_1_to": [services.WINDOW_ENDS_BEFORE_START],
        "wednesday_2_from": [services.WINDOW_OVERLAPS],
        "friday_1_to": [services.WINDOW_HALF_GIVEN],
    }
    assert AvailabilityWindow.objects.get(patient=patient).starts_at == time(9)
    assert len(entries("patient_availability")) == 1


@pytest.mark.parametrize("role", ["clinic_lead", "administrator", "custodian", "no_role"])
def test_the_lead_reads_availability_but_does_not_change_it(
    personas: dict[str, User], role: str
) -> None:
    patient = make_patient()
    with pytest.raises(PermissionDenied):
        services.availability_set(
            patient=patient, windows={0: [(time(9), time(12))]}, by=personas[role]
        )
    with frozen(), pytest.raises(PermissionDenied):
        services.unavailable_date_add(patient=patient, day=date(2026, 6, 5), by=personas[role])
    assert not AvailabilityWindow.objects.exists()
    assert not UnavailableDate.objects.exists()


def test_an_unavailable_date_is_added_once_and_removed_with_audit(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    desk = personas["front_desk"]
    with frozen():
        services.unavailable_date_add(patient=patient, day=date(2026, 6, 5), by=desk)
        with pytest.raises(ValidationError) as twice:
            services.unavailable_date_add(patient=patient, day=date(2026, 6, 5), by=desk)
        services.unavailable_date_remove(patient=patient, day=date(2026, 6, 5), by=desk)
    assert twice.value.message_dict == {"date": ["Fri 05 Jun 2026 is already on the list."]}
    added, removed = entries("patient_unavailable_dates")
    assert added.detail == {"added": "2026-06-05", "before": [], "after": ["2026-06-05"]}
    assert removed.detail == {"removed": "2026-06-05", "before": ["2026-06-05"], "after": []}
    assert removed.patient_id == str(patient.pk)


def test_a_past_date_is_refused(personas: dict[str, User]) -> None:
    with frozen(), pytest.raises(ValidationError) as refused:
        services.unavailable_date_add(
            patient=make_patient(), day=date(2026, 5, 31), by=personas["nurse"]
        )
    assert refused.value.message_dict == {"date": [services.UNAVAILABLE_IN_PAST]}


def test_removing_a_date_not_on_the_list_is_refused(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.unavailable_date_remove(
            patient=make_patient(), day=date(2026, 6, 5), by=personas["nurse"]
        )
    assert list(refused.value.message_dict) == ["date"]


def test_reading_the_availability_is_an_audited_read_of_the_patient(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    UnavailableDate.objects.create(patient=patient, date=date(2026, 5, 1))
    UnavailableDate.objects.create(patient=patient, date=date(2026, 6, 9))
    shown = selectors.patient_availability(
        patient_id=patient.pk, by=personas["clinic_lead"], today=date(2026, 6, 1)
    )
    assert shown.upcoming_unavailable == [date(2026, 6, 9)]
    assert shown.past_unavailable_count == 1
    [read] = entries("patient_availability")
    assert (read.action, read.patient_id, read.actor_username) == (
        AuditAction.READ,
        str(patient.pk),
        "p_clinic_lead",
    )
