"""The room page: the pump's numbers, titration, pause/resume/stop, the Cp curve and
the room's records; refused changes show their reason and leave no pump event."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.clinicday.forms import STEP_NOT_IN_PROTOCOL
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent, SessionNote
from ketamine_clinic.visits.models import Visit
from tests.clinicday.support import infusing_visit
from tests.conftest import client_for
from tests.infusion.support import at
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db


def _room(user: User, visit_id: int, minutes: float = 20) -> str:
    with frozen(at(minutes)):
        page = client_for(user).get(f"/visits/{visit_id}/room")
    assert page.status_code == 200
    return page.content.decode()


def test_it_shows_dose_rate_and_the_curve(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    text = _room(personas["nurse"], visit.pk)
    assert "20 min" in text
    assert "mg/kg/h" in text
    assert "<polyline" in text
    assert "ng/mL" in text and "minutes since the start" in text
    assert "No measured ke0 exists" in text
    assert "style=" not in text.split('<svg class="cp-plot"')[1].split("</svg>")[0]


def test_the_clinic_lead_reads_without_buttons(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    text = _room(personas["clinic_lead"], visit.pk)
    assert "Pause</button>" not in text
    assert "+10%</button>" not in text


def test_a_titration_changes_the_rate(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/titrate", {"titrate-step": "+10%"}
        )
    assert page.status_code == 302
    change = PumpEvent.objects.get(visit=visit, kind="rate_change")
    assert change.step == "+10%"
    assert "Rate changed +10%" in _room(personas["nurse"], visit.pk)


def _protocol_steps(visit: Visit, percent: list[int], mg_per_kg_per_h: list[float]) -> None:
    """Give the visit's course a protocol snapshot with other titration steps."""
    course = visit.course
    assert course is not None
    course.protocol = {
        **course.protocol,
        "titration_steps_percent": percent,
        "titration_steps_mg_per_kg_per_h": mg_per_kg_per_h,
    }
    course.save(update_fields=["protocol"])


def test_the_buttons_are_the_protocol_s_steps(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    text = _room(personas["nurse"], visit.pk)
    for label in ("+10%", "-10%", "+0.05 mg/kg/h", "-0.05 mg/kg/h"):
        assert f"{label}</button>" in text
    _protocol_steps(visit, [5, -5], [])
    text = _room(personas["nurse"], visit.pk)
    assert 'value="+5%" class="secondary">+5%</button>' in text
    assert 'value="-5%" class="secondary">-5%</button>' in text
    assert "+10%</button>" not in text and "mg/kg/h</button>" not in text


def test_a_step_of_the_visit_s_protocol_is_accepted(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    _protocol_steps(visit, [5, -5], [0.02])
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/titrate", {"titrate-step": "+0.02"}
        )
    assert page.status_code == 302
    change = PumpEvent.objects.get(visit=visit, kind="rate_change")
    assert change.step == "+0.02 mg/kg/h"


def test_a_step_not_in_the_visit_s_protocol_is_refused_and_changes_nothing(
    personas: dict[str, User],
) -> None:
    visit = infusing_visit(personas)
    _protocol_steps(visit, [5, -5], [])
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/titrate", {"titrate-step": "+10%"}
        )
    assert page.status_code == 422
    message = STEP_NOT_IN_PROTOCOL.format(step="+10%", steps="+5%, -5%")
    assert page.context["titrate_bound"].errors == {"step": [message]}
    assert "Titration step &#x27;+10%&#x27; is not one of this visit" in page.content.decode()
    assert not PumpEvent.objects.filter(kind="rate_change").exists()
    visit.refresh_from_db()
    assert visit.state == "infusing"


def test_set_to_without_a_number_is_refused(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/titrate", {"titrate-step": "set", "titrate-set_to": ""}
        )
    assert page.status_code == 422
    assert "Give the new dose rate in mg/kg/h." in page.content.decode()
    assert not PumpEvent.objects.filter(kind="rate_change").exists()


def test_a_rate_over_the_hard_limit_is_refused(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        page = client_for(personas["prescriber"]).post(
            f"/visits/{visit.pk}/titrate", {"titrate-step": "set", "titrate-set_to": "5"}
        )
    assert page.status_code == 422
    assert not PumpEvent.objects.filter(kind="rate_change").exists()


def test_pause_resume_and_stop(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    room = f"/visits/{visit.pk}/room"
    # A fresh sign-in at each moment: the idle timeout would end one session over 40 min.
    with frozen(at(10)):
        paused = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/pause", {"pause-reason": "nausea"}
        )
    assert paused["Location"] == room
    assert "Resume</button>" in _room(personas["nurse"], visit.pk, 12)
    with frozen(at(15)):
        nurse = client_for(personas["nurse"])
        assert nurse.post(f"/visits/{visit.pk}/resume", {})["Location"] == room
        again = nurse.post(f"/visits/{visit.pk}/resume", {})
    assert again.status_code == 422
    with frozen(at(50)):
        assert (
            client_for(personas["nurse"]).post(f"/visits/{visit.pk}/stop", {})["Location"] == room
        )
    visit.refresh_from_db()
    assert visit.state == "recovery"
    kinds = list(PumpEvent.objects.filter(visit=visit).values_list("kind", flat=True))
    assert kinds == ["start", "pause", "resume", "stop"]


def test_events_notes_and_a_dissociation_rating(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    nurse = client_for(personas["nurse"])
    with frozen(at(10)):
        nurse.post(
            f"/visits/{visit.pk}/adverse-event",
            {"adverse_event-kind": "nausea", "adverse_event-intervention": "ondansetron 4 mg"},
        )
        nurse.post(
            f"/visits/{visit.pk}/note",
            {"note-kind": "setting", "note-text": "Eye mask <and> music"},
        )
        nurse.post(f"/visits/{visit.pk}/dissociation", {"dissociation-rating": "4"})
    assert AdverseEvent.objects.get().intervention == "ondansetron 4 mg"
    assert SessionNote.objects.get().kind == "setting"
    assert QuestionnaireResponse.objects.get(instrument_key="dissociation").total == 4
    text = _room(personas["nurse"], visit.pk)
    assert "Eye mask &lt;and&gt; music" in text
    assert "ondansetron 4 mg" in text


def test_an_empty_note_is_refused_and_not_written(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/note", {"note-kind": "experience", "note-text": ""}
        )
    assert page.status_code == 422
    assert not SessionNote.objects.exists()


def test_room_vitals_out_of_range_are_refused(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        page = client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/room-vitals",
            {
                "room_vitals-taken_at": "2026-03-10T09:39",
                "room_vitals-systolic_mmhg": "120",
                "room_vitals-diastolic_mmhg": "80",
                "room_vitals-heart_rate_per_min": "300",
                "room_vitals-spo2_percent": "97",
            },
        )
    assert page.status_code == 422
    assert "300 /min is outside 20-250 /min" in page.content.decode()


def test_opening_the_room_is_audited(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    _room(personas["nurse"], visit.pk)
    entry = AuditEntry.objects.get(action="read", object_type="visit", detail__page="room")
    assert entry.patient_id == str(visit.patient_id)


def test_aborting_mid_infusion_takes_the_dose_from_the_pump(personas: dict[str, User]) -> None:
    """10 min at 39.5 mL/h of 1 mg/mL = 6.58 mg: the pump's record, not a typed number;
    a typed dose is ignored, and the pump gets its stop."""
    visit = infusing_visit(personas)
    url = f"/visits/{visit.pk}/transition"
    with frozen(at(10)):
        page = client_for(personas["nurse"]).get(f"/visits/{visit.pk}/")
        assert 'name="aborted-dose_given_mg"' not in page.content.decode()
        refused = client_for(personas["nurse"]).post(url, {"to_state": "aborted"})
        assert refused.status_code == 422
        done = client_for(personas["nurse"]).post(
            url,
            {"to_state": "aborted", "aborted-reason": "Vomiting", "aborted-dose_given_mg": "99"},
        )
    assert done.status_code == 302
    visit.refresh_from_db()
    assert visit.state == "aborted"
    assert str(visit.dose_given_before_abort_mg) == "6.58"
    assert PumpEvent.objects.filter(visit=visit).last().kind == "stop"  # type: ignore[union-attr]


def test_the_front_desk_sees_the_room_without_pump_controls(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    text = _room(personas["front_desk"], visit.pk)
    assert "<polyline" in text
    assert "Stop: start recovery" not in text
    with frozen(at(10)):
        refused = client_for(personas["front_desk"]).post(f"/visits/{visit.pk}/stop", {})
    assert refused.status_code == 403


def test_an_aborted_visits_room_page_is_a_record_without_forms(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    with frozen(at(10)):
        client_for(personas["nurse"]).post(
            f"/visits/{visit.pk}/transition", {"to_state": "aborted", "aborted-reason": "Vomiting"}
        )
    text = _room(personas["nurse"], visit.pk, minutes=90)
    assert f"/visits/{visit.pk}/room-vitals" not in text
    assert "Aborted" in text
