"""Posting to the set-up pages: a service's refusal is shown next to its field (422) and
nothing is written; patient-typed text stays text. Who may open what is the role
matrix's job (tests/test_role_matrix.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import (
    AvailabilityWindow,
    ClinicHours,
    Room,
    SchedulingSettings,
    StaffShift,
    UnavailableDate,
)
from ketamine_clinic.booking.setup import services
from tests.booking.setup.support import MONDAY, frozen
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def test_the_lead_adds_a_room_and_a_taken_name_is_shown_on_its_field(
    personas: dict[str, User],
) -> None:
    client = client_for(personas["clinic_lead"])
    response = client.post(reverse("booking:room_add"), {"name": "Room 7", "notes": ""})
    assert response.status_code == 302
    again = client.post(reverse("booking:room_add"), {"name": "room 7"})
    assert again.status_code == 422
    assert "Another room is already called room 7." in again.content.decode()
    assert Room.objects.count() == 1


def test_the_rooms_page_offers_editing_only_to_those_who_may(personas: dict[str, User]) -> None:
    Room.objects.create(name=HOSTILE)
    lead_page = client_for(personas["clinic_lead"]).get(reverse("booking:rooms")).content.decode()
    desk_page = client_for(personas["front_desk"]).get(reverse("booking:rooms")).content.decode()
    assert "Add a room" in lead_page
    assert "Add a room" not in desk_page
    assert HOSTILE not in desk_page
    assert "&lt;script&gt;" in desk_page


def test_taking_a_room_with_visits_out_of_use_is_refused_on_the_page(
    personas: dict[str, User],
) -> None:
    from ketamine_clinic.visits.services import visit_schedule

    room = Room.objects.create(name="Room 1")
    with frozen():
        visit_schedule(
            patient=make_patient(),
            scheduled_start=datetime(2026, 6, 3, 14, tzinfo=UTC),
            room=room,
            by=personas["front_desk"],
        )
        response = client_for(personas["administrator"]).post(
            reverse("booking:room_edit", args=[room.pk]),
            {"name": "Room 1", "display_order": "0", "notes": ""},  # in_use unticked
        )
    assert response.status_code == 422
    assert "1 visit still booked in this room, the first on Wed 03 Jun 2026" in (
        response.content.decode()
    )
    room.refresh_from_db()
    assert room.in_use is True


def test_the_hours_form_saves_the_week_and_shows_errors_per_weekday(
    personas: dict[str, User],
) -> None:
    client = client_for(personas["clinic_lead"])
    good = {"monday_opens_at": "08:00", "monday_closes_at": "18:00", "saturday_opens_at": "9:00"}
    good["saturday_closes_at"] = "13.00"
    assert client.post(reverse("booking:hours_save"), good).status_code == 302
    assert ClinicHours.objects.get(weekday=5).closes_at == time(13)
    bad = {**good, "tuesday_opens_at": "14:00", "tuesday_closes_at": "09:00"}
    response = client.post(reverse("booking:hours_save"), bad)
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "tuesday_closes_at": [services.HOURS_CLOSE_BEFORE_OPEN]
    }
    assert ClinicHours.objects.count() == 2


def test_a_nurse_reads_the_hours_without_a_form(personas: dict[str, User]) -> None:
    ClinicHours.objects.create(weekday=0, opens_at=time(8), closes_at=time(18))
    page = client_for(personas["nurse"]).get(reverse("booking:hours")).content.decode()
    assert "08:00 \u2013 18:00" in page
    assert "Save opening hours" not in page


def test_the_settings_page_saves(personas: dict[str, User]) -> None:
    response = client_for(personas["administrator"]).post(
        reverse("booking:settings"),
        {"max_infusing_rooms_per_nurse": "3", "start_step_minutes": "30", "start_within_days": "7"},
    )
    assert response.status_code == 302
    assert SchedulingSettings.current().start_step_minutes == 30


def test_the_lead_adds_a_shift_and_sees_the_week_it_is_in(personas: dict[str, User]) -> None:
    with frozen():
        response = client_for(personas["clinic_lead"]).post(
            reverse("booking:shift_add"),
            {
                "staff": personas["nurse"].pk,
                "role": "nurse",
                "day": "2026-06-03",
                "starts_at": "08:00",
                "ends_at": "16:00",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:rota") + "?week=2026-06-03"
    assert StaffShift.objects.get().staff == personas["nurse"]


def test_a_refused_shift_is_shown_again_with_the_reason(personas: dict[str, User]) -> None:
    with frozen():
        response = client_for(personas["clinic_lead"]).post(
            reverse("booking:shift_add"),
            {
                "staff": personas["nurse"].pk,
                "role": "prescriber",
                "day": "2026-06-03",
                "starts_at": "08:00",
                "ends_at": "16:00",
            },
        )
    assert response.status_code == 422
    assert "does not hold the Prescriber role" in response.content.decode()
    assert not StaffShift.objects.exists()


def test_someone_without_a_rota_role_is_not_offered(personas: dict[str, User]) -> None:
    with frozen():
        page = client_for(personas["clinic_lead"]).get(reverse("booking:rota"))
    choices = [str(choice[1]) for choice in page.context["shift_form"].fields["staff"].choices]
    assert any("p_nurse" in label or "P_Nurse" in label for label in choices)
    assert not any("Custodian" in label or "P_Custodian" in label for label in choices)


def test_the_rota_says_when_no_prescriber_is_on_site(personas: dict[str, User]) -> None:
    ClinicHours.objects.create(weekday=1, opens_at=time(8), closes_at=time(18))
    with frozen():
        services.shift_add(
            staff=personas["nurse"],
            role=ShiftRole.NURSE,
            day=date(2026, 6, 2),
            starts=time(8),
            ends=time(18),
            by=personas["clinic_lead"],
        )
        page = client_for(personas["front_desk"]).get(
            reverse("booking:rota"), {"week": "2026-06-04"}
        )
    text = page.content.decode()
    assert page.context["week"].monday == MONDAY
    assert "No prescriber" in text
    assert "No infusion can be booked then." in text
    assert "Add a shift" not in text  # the desk reads the rota


def test_removing_a_shift_asks_why_then_removes_it(personas: dict[str, User]) -> None:
    with frozen():
        shift = services.shift_add(
            staff=personas["nurse"],
            role=ShiftRole.NURSE,
            day=date(2026, 6, 2),
            starts=time(8),
            ends=time(18),
            by=personas["clinic_lead"],
        )
        client = client_for(personas["clinic_lead"])
        url = reverse("booking:shift_remove", args=[shift.pk])
        assert client.get(url).status_code == 200
        assert client.post(url, {"reason": ""}).status_code == 422
        assert StaffShift.objects.exists()
        response = client.post(url, {"reason": "Annual leave"})
    assert response.status_code == 302
    assert not StaffShift.objects.exists()


def test_copying_the_week_goes_to_the_next_week(personas: dict[str, User]) -> None:
    with frozen():
        services.shift_add(
            staff=personas["nurse"],
            role=ShiftRole.NURSE,
            day=date(2026, 6, 2),
            starts=time(8),
            ends=time(18),
            by=personas["clinic_lead"],
        )
        client = client_for(personas["clinic_lead"])
        response = client.post(reverse("booking:rota_copy_week"), {"week": "2026-06-01"})
        followed = client.get(response["Location"])
    assert response["Location"] == reverse("booking:rota") + "?week=2026-06-08"
    assert "1 shift copied to the week of 08 Jun." in followed.content.decode()
    assert StaffShift.objects.count() == 2


def test_the_availability_page_escapes_the_patients_name_and_audits_the_read(
    personas: dict[str, User],
) -> None:
    patient = make_patient("Avery", HOSTILE)
    url = reverse("booking:patient_availability", args=[patient.pk])
    response = client_for(personas["clinic_lead"]).get(url)
    text = response.content.decode()
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Save weekly availability" not in text  # the lead reads only
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="patient_availability", patient_id=str(patient.pk)
    ).exists()


def test_the_desk_saves_windows_and_sees_errors_on_their_fields(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    client = client_for(personas["front_desk"])
    url = reverse("booking:availability_windows", args=[patient.pk])
    saved = client.post(url, {"tuesday_1_from": "09:00", "tuesday_1_to": "13:00"})
    assert saved.status_code == 302
    refused = client.post(url, {"tuesday_1_from": "13:00", "tuesday_1_to": "09:00"})
    assert refused.status_code == 422
    assert refused.context["windows_form"].errors == {
        "tuesday_1_to": [services.WINDOW_ENDS_BEFORE_START]
    }
    assert AvailabilityWindow.objects.get(patient=patient).starts_at == time(9)


def test_a_patient_with_three_windows_a_day_keeps_them_all_on_the_form(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    for hour in (8, 11, 14):
        AvailabilityWindow.objects.create(
            patient=patient, weekday=0, starts_at=time(hour), ends_at=time(hour + 2)
        )
    page = client_for(personas["nurse"]).get(
        reverse("booking:patient_availability", args=[patient.pk])
    )
    form = page.context["windows_form"]
    assert form.per_day == 3
    assert form.initial["monday_3_from"] == time(14)


def test_the_desk_adds_and_removes_an_unavailable_date(personas: dict[str, User]) -> None:
    patient = make_patient()
    client = client_for(personas["front_desk"])
    today = timezone.localdate()
    later = today.replace(year=today.year + 1)
    add = reverse("booking:unavailable_date_add", args=[patient.pk])
    assert client.post(add, {"date": later.isoformat()}).status_code == 302
    assert client.post(add, {"date": later.isoformat()}).status_code == 422
    assert UnavailableDate.objects.filter(patient=patient).count() == 1
    remove = reverse("booking:unavailable_date_remove", args=[patient.pk])
    assert client.post(remove, {"date": later.isoformat()}).status_code == 302
    assert not UnavailableDate.objects.exists()


def test_an_unknown_patient_is_404(personas: dict[str, User]) -> None:
    client = client_for(personas["nurse"])
    assert client.get(reverse("booking:patient_availability", args=[99999])).status_code == 404
    assert client.post(reverse("booking:unavailable_date_add", args=[99999]), {}).status_code == 404
