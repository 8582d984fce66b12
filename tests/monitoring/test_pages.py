"""The monitoring pages: who may open them, what they show first (in the live payloads'
shapes), invalid values shown as invalid, escaping, audited reads, and alarm responses
sent to the engine through ``alarm_respond``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices import mdc
from ketamine_clinic.monitoring.live import ENGINE_GROUP
from ketamine_clinic.monitoring.models import (
    Alarm,
    AlarmEvent,
    AlarmStrip,
    PumpReport,
    WaveformChunk,
)
from ketamine_clinic.monitoring.page_selectors import initials, visit_trends
from ketamine_clinic.monitoring.services import ALARM_ENDED
from ketamine_clinic.monitoring.storage import DatabaseStorage, encode_samples
from ketamine_clinic.monitoring.views import strip_plot
from ketamine_clinic.visits.models import Visit
from tests.conftest import client_for
from tests.monitoring.support import (
    inbound,
    room_with_monitor,
    visit_in_room,
    vitals_message,
)
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
READERS = {Role.NURSE.value, Role.PRESCRIBER.value, Role.CLINIC_LEAD.value}


class RecordingLayer:
    """Records what is sent to groups (the engine is not running in these tests)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr("ketamine_clinic.monitoring.services.get_channel_layer", lambda: recording)
    return recording


def _store(*texts: str) -> None:
    DatabaseStorage().store_batch([inbound(text) for text in texts])


def _room_with_visit(personas: dict[str, User], name: str = "Room 3") -> tuple[Room, Visit]:
    room = room_with_monitor(name)
    visit = visit_in_room(room, personas["nurse"], checked_in=NOW - timedelta(minutes=40))
    return room, visit


def _alarm(room: Room, visit: Visit | None, **fields: Any) -> Alarm:
    values: dict[str, Any] = {
        "alarm_id": f"{room.pk}/spo2_low/20261126T152500.000000Z",
        "room": room,
        "visit": visit,
        "condition": "spo2_low",
        "parameter_code": mdc.SPO2.code,
        "priority": "high",
        "kind": "physiological",
        "message": "SpO2 low 84 < 85",
        "value": Decimal(84),
        "limit": Decimal(85),
        "raised_at": NOW - timedelta(minutes=5),
    }
    values.update(fields)
    return Alarm.objects.create(**values)


def _get(user: User, path: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        return client_for(user).get(path)


def _initial(text: str) -> Any:
    start = text.index('<script id="monitor-initial" type="application/json">')
    body = text[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


# ---- who may open what ----


@pytest.mark.parametrize("page", ["station", "room", "alarms", "alarm"])
def test_only_those_at_the_bedside_and_the_lead_open_the_pages(
    personas: dict[str, User], page: str
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    path = {
        "station": "/monitoring/",
        "room": f"/monitoring/rooms/{room.pk}/",
        "alarms": "/monitoring/alarms/",
        "alarm": f"/monitoring/alarms/{alarm.alarm_id}/",
    }[page]
    for name, user in personas.items():
        status = _get(user, path).status_code
        assert status == (200 if name in READERS else 403), name
    assert Client().get(path).status_code == 302


def test_the_menu_offers_monitoring_to_readers_only(personas: dict[str, User]) -> None:
    assert 'href="/monitoring/"' in _get(personas["nurse"], "/").content.decode()
    assert 'href="/monitoring/"' not in _get(personas["front_desk"], "/").content.decode()


# ---- the central station ----


def test_the_station_shows_each_room_with_initials_and_the_visit_label_only(
    personas: dict[str, User],
) -> None:
    room, visit = _room_with_visit(personas)
    Room.objects.create(name="Room 4", display_order=4)
    _store(vitals_message("v1", NOW - timedelta(seconds=5), heart_rate="71", spo2="97"))
    text = _get(personas["nurse"], "/monitoring/").content.decode()
    patient = visit.patient
    assert "Room 3" in text and "Room 4" in text and "No patient" in text
    assert f"{initials(patient)} · {visit.label}" in text
    assert patient.legal_last_name not in text
    assert '<dd data-field="hr">71</dd>' in text
    assert '<dd data-field="spo2">97</dd>' in text
    first = {state["room"]: state for state in _initial(text)}
    assert first[room.pk]["numerics"]["values"][0] == {
        "code": mdc.HEART_RATE.code,
        "label": "HR",
        "value": 71.0,
        "unit": "/min",
        "at": (NOW - timedelta(seconds=5)).isoformat(),
    }


def test_the_station_read_is_audited_with_the_visits_shown(personas: dict[str, User]) -> None:
    _, visit = _room_with_visit(personas)
    _get(personas["clinic_lead"], "/monitoring/")
    entry = AuditEntry.objects.get(action="read", object_type="monitoring_station")
    assert entry.actor_username == personas["clinic_lead"].username
    assert entry.detail == {"visit_ids": [visit.pk], "patient_ids": [visit.patient_id]}


def test_a_rooms_worst_alarm_colours_its_tile(personas: dict[str, User]) -> None:
    room, visit = _room_with_visit(personas)
    _alarm(room, visit, alarm_id="a-low", priority="low", message="RR low")
    _alarm(room, visit, alarm_id="a-high", priority="high", message="SpO2 low 84 < 85")
    text = _get(personas["nurse"], "/monitoring/").content.decode()
    assert (
        '<div class="tile-alarm alarm-high alarm-unacknowledged" data-field="alarm">'
        "SpO2 low 84 &lt; 85 (+1)</div>"
    ) in text
    alarms = _initial(text)[0]["alarms"]
    assert [a["id"] for a in alarms["active"]] == ["a-high", "a-low"]
    assert alarms["active"][0]["audible"] is True


# ---- one room ----


def test_the_room_shows_numerics_pump_and_the_visits_first_state(
    personas: dict[str, User],
) -> None:
    room, visit = _room_with_visit(personas)
    _store(vitals_message("v1", NOW - timedelta(seconds=3), heart_rate="88", spo2="95"))
    PumpReport.objects.create(
        message_id=_any_message_id(),
        device_eui64="00A0C9FFFE000099",
        room=room,
        visit=visit,
        event_code=1,
        event_name="MDC_EVT_PUMP_DELIV_START",
        at=NOW - timedelta(minutes=20),
        rate_ml_per_h=Decimal("38.20"),
        volume_delivered_ml=Decimal("12.700"),
        dose_delivered_mg=Decimal("12.700"),
    )
    text = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    assert 'data-box="hr"' in text
    assert '<div class="numeric-value" data-field="value">88</div>' in text
    assert '<div class="numeric-value" data-field="value">95</div>' in text
    assert '<span class="big" data-pump="rate_ml_per_h">38.2</span> mL/h' in text
    assert '<span class="big" data-pump="dose_delivered_mg">12.7</span> mg' in text
    assert '<dd data-pump="event">Infusing</dd>' in text
    assert f'data-socket="/ws/v1/monitoring/rooms/{room.pk}/"' in text
    first = _initial(text)
    assert first["room"] == room.pk
    assert first["pump"]["rate_ml_per_h"] == 38.2
    assert first["alarms"] == {"kind": "alarms", "room": room.pk, "active": []}
    assert first["trends"]["series"][str(mdc.HEART_RATE.code)]["points"] == [
        [int((NOW - timedelta(seconds=3)).timestamp()) // 60 * 60_000, 88.0]
    ]


def _any_message_id() -> int:
    from ketamine_clinic.monitoring.models import DeviceMessage

    message = DeviceMessage.objects.first()
    if message is None:
        _store(vitals_message("seed", NOW - timedelta(hours=3)))
        message = DeviceMessage.objects.get()
    return message.pk


def test_invalid_values_are_shown_as_invalid_never_zero(personas: dict[str, User]) -> None:
    room, _ = _room_with_visit(personas)
    # Mindray's -100 and Philips' -?-: invalid, stored empty (reference/devices.md).
    _store(vitals_message("v1", NOW - timedelta(seconds=2), heart_rate="-100", spo2="-?-"))
    text = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    hr_box = text.split('data-box="hr"', 1)[1].split('data-box="spo2"', 1)[0]
    assert '<span class="is-invalid-text" title="invalid">---</span>' in hr_box
    assert '<div class="numeric-status" data-field="status">invalid</div>' in hr_box
    assert ">0<" not in hr_box
    values = _initial(text)["numerics"]["values"]
    assert [v["value"] for v in values] == [None, None]
    station = _get(personas["nurse"], "/monitoring/").content.decode()
    hr = station.split('data-field="hr">', 1)[1].split("</dd>", 1)[0]
    assert hr == '<span class="is-invalid-text" title="invalid">---</span>'


def test_the_room_gives_the_last_ten_seconds_of_waveform(personas: dict[str, User]) -> None:
    room, visit = _room_with_visit(personas)
    message_id = _any_message_id()
    for start_s, samples in ((-30, [9.0]), (-8, [0.1, None, 0.3]), (-4, [0.4, 0.5])):
        WaveformChunk.objects.create(
            message_id=message_id,
            room=room,
            visit=visit,
            code=mdc.ECG_LEAD_II.code,
            name="MDC_ECG_ELEC_POTL_II",
            start_at=NOW + timedelta(seconds=start_s),
            sample_rate_hz=250,
            sample_count=len(samples),
            samples=encode_samples(samples),
        )
    text = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    waves = _initial(text)["waves"]
    assert [w["samples"] for w in waves] == [
        [pytest.approx(0.1), None, pytest.approx(0.3)],
        [pytest.approx(0.4), pytest.approx(0.5)],
    ]
    assert {w["label"] for w in waves} == {"ECG II"}


def test_opening_a_room_is_audited_as_a_read_of_its_visit(personas: dict[str, User]) -> None:
    room, visit = _room_with_visit(personas)
    _get(personas["prescriber"], f"/monitoring/rooms/{room.pk}/")
    entry = AuditEntry.objects.get(action="read", object_type="visit")
    assert entry.object_id == str(visit.pk)
    assert entry.patient_id == str(visit.patient_id)
    assert entry.detail == {"page": "monitoring_room", "room": room.pk}


def test_a_room_that_does_not_exist_is_404_and_reads_nothing(personas: dict[str, User]) -> None:
    assert _get(personas["nurse"], "/monitoring/rooms/9999/").status_code == 404
    assert not AuditEntry.objects.filter(action="read").exists()


def test_the_clinic_lead_sees_alarms_without_buttons(personas: dict[str, User]) -> None:
    room, visit = _room_with_visit(personas)
    _alarm(room, visit)
    lead = _get(personas["clinic_lead"], f"/monitoring/rooms/{room.pk}/").content.decode()
    nurse = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    assert "SpO2 low 84 &lt; 85" in lead and "Acknowledge</button>" not in lead
    assert "Acknowledge</button>" in nurse and "Pause audio 2 min</button>" in nurse


def test_what_a_patient_or_device_typed_is_escaped(personas: dict[str, User]) -> None:
    room = room_with_monitor("Room <i>9</i>")
    patient = make_patient("<b>Evil", "<script>x")
    visit = visit_in_room(room, personas["nurse"], checked_in=NOW - timedelta(minutes=5))
    Visit.objects.filter(pk=visit.pk).update(patient=patient)
    _alarm(room, visit, message='</script><script>alert("x")</script>')
    pages = [
        _get(personas["nurse"], "/monitoring/").content.decode(),
        _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode(),
        _get(personas["nurse"], "/monitoring/alarms/").content.decode(),
    ]
    for text in pages:
        assert "<script>alert" not in text
        assert "<i>9</i>" not in text
    assert "&lt;.&lt;." in pages[0]  # the initials of "<b>Evil" "<script>x"
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[1]
    # In the page's JSON the markup is escaped too (json_script).
    assert "\\u003C/script\\u003E" in pages[1]


# ---- alarm history and one alarm ----


def test_the_history_shows_who_responded_and_when_and_filters(personas: dict[str, User]) -> None:
    room, visit = _room_with_visit(personas)
    other = Room.objects.create(name="Room 8", display_order=8)
    alarm = _alarm(
        room,
        visit,
        state="ended",
        acknowledged_at=NOW - timedelta(minutes=4),
        acknowledged_by=personas["nurse"],
        ended_at=NOW - timedelta(minutes=1),
    )
    AlarmEvent.objects.create(alarm=alarm, kind="raised", at=alarm.raised_at)
    AlarmEvent.objects.create(
        alarm=alarm, kind="acknowledged", at=NOW - timedelta(minutes=4), by=personas["nurse"]
    )
    AlarmEvent.objects.create(alarm=alarm, kind="escalated", at=NOW - timedelta(minutes=3))
    _alarm(other, None, alarm_id="other-low", priority="low", message="RR low 7 < 8")
    text = _get(personas["clinic_lead"], "/monitoring/alarms/").content.decode()
    nurse_name = personas["nurse"].display_name
    assert f"Acknowledged 10:26:00 by {nurse_name}" in text
    assert "Escalated 10:27:00" in text  # clinic time (America/New_York)
    assert "84 · 85" in text and "10:29:00" in text
    assert f'href="/monitoring/alarms/{alarm.alarm_id}/"' in text
    assert "RR low 7 &lt; 8" in text
    only_room = _get(personas["nurse"], f"/monitoring/alarms/?room={room.pk}").content.decode()
    assert "RR low" not in only_room and "SpO2 low" in only_room
    only_low = _get(personas["nurse"], "/monitoring/alarms/?priority=low").content.decode()
    assert "RR low" in only_low and "SpO2 low" not in only_low
    other_day = _get(personas["nurse"], "/monitoring/alarms/?date=2026-11-25").content.decode()
    assert "No alarms match." in other_day
    entry = AuditEntry.objects.filter(action="read", object_type="alarm_history").first()
    assert entry is not None and entry.detail["patient_ids"] == [visit.patient_id]


def test_the_alarm_page_draws_its_strips_with_gaps_and_lists_its_events(
    personas: dict[str, User],
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    AlarmEvent.objects.create(
        alarm=alarm, kind="silenced", at=NOW - timedelta(minutes=4), by=personas["prescriber"]
    )
    samples: list[float | None] = [0.0, 0.5, 1.0, None, None, 0.2, 0.4, 0.6]
    AlarmStrip.objects.create(
        alarm=alarm,
        code=mdc.PLETH.code,
        name="MDC_PULS_OXIM_PLETH",
        start_at=alarm.raised_at - timedelta(seconds=4),
        sample_rate_hz=1,
        sample_count=len(samples),
        samples=encode_samples(samples),
    )
    text = _get(personas["nurse"], f"/monitoring/alarms/{alarm.alarm_id}/").content.decode()
    assert text.count("<polyline") == 2  # the invalid run is a gap
    assert "2 invalid samples (gaps)" in text
    assert f"Audio paused</td><td>{personas['prescriber'].display_name}" in text
    assert 'stroke="#d0021b"' in text  # the alarm's moment
    entry = AuditEntry.objects.get(action="read", object_type="alarm")
    assert entry.object_id == alarm.alarm_id and entry.patient_id == str(visit.patient_id)
    assert _get(personas["nurse"], "/monitoring/alarms/no/such/").status_code == 404


def test_a_strip_is_scaled_to_its_own_range_and_marks_the_alarm() -> None:
    from ketamine_clinic.monitoring.page_selectors import StripView

    start = NOW
    plot = strip_plot(
        StripView(mdc.PLETH.code, "Pleth", start, 2, [1.0, 3.0, None, 2.0, 3.0]),
        raised_at=start + timedelta(seconds=1),
    )
    # 5 samples across 1000 px: x every 250; y: 1.0 at the bottom (132), 3.0 at the top (8).
    assert plot.segments == ["0.0,132.0 250.0,8.0", "750.0,70.0 1000.0,8.0"]
    assert plot.alarm_x == pytest.approx(400.0)
    assert plot.seconds == 2.5 and plot.invalid_count == 1


# ---- trends ----


def test_trends_are_one_mean_a_minute_without_invalid_values(personas: dict[str, User]) -> None:
    _, visit = _room_with_visit(personas)
    minute = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    _store(
        vitals_message("a", minute + timedelta(seconds=5), heart_rate="70"),
        vitals_message("b", minute + timedelta(seconds=35), heart_rate="80"),
        vitals_message("c", minute + timedelta(seconds=50), heart_rate="-100"),
        vitals_message("d", minute + timedelta(minutes=2), heart_rate="90"),
        vitals_message("e", minute - timedelta(hours=3), heart_rate="60"),  # outside 2 h
    )
    trends = visit_trends(visit, now=NOW)
    points = trends["series"][str(mdc.HEART_RATE.code)]["points"]
    start_ms = int(minute.timestamp()) * 1000
    assert points == [[start_ms, 75.0], [start_ms + 120_000, 90.0]]
    assert trends["step_s"] == 60


# ---- responses ----


def _post(user: User, path: str, data: dict[str, str], *, fetch: bool) -> Any:
    headers = {"X-KC-Fetch": "1"} if fetch else {}
    with time_machine.travel(NOW, tick=False):
        return client_for(user).post(path, data, headers=headers)


def test_acknowledging_audits_and_sends_the_command_to_the_engine(
    personas: dict[str, User],
    layer: RecordingLayer,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    nurse = personas["nurse"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(
            nurse, "/monitoring/alarms/acknowledge", {"alarm": alarm.alarm_id}, fetch=True
        )
    assert answer.status_code == 202
    assert answer.json() == {"ok": True, "response": "acknowledge"}
    assert layer.sent == [
        (
            ENGINE_GROUP,
            {
                "type": "engine.command",
                "command": "acknowledge",
                "alarm_id": alarm.alarm_id,
                "room_id": room.pk,
                "by_id": nurse.pk,
                "by_username": nurse.username,
                "at": NOW.isoformat(),
                "seconds": None,
            },
        )
    ]
    entry = AuditEntry.objects.get(action="update", object_type="alarm")
    assert entry.object_id == alarm.alarm_id and entry.actor_username == nurse.username


def test_pausing_the_audio_asks_for_two_minutes(
    personas: dict[str, User],
    layer: RecordingLayer,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(
            personas["prescriber"],
            "/monitoring/alarms/silence",
            {"alarm": alarm.alarm_id, "next": f"/monitoring/rooms/{room.pk}/"},
            fetch=False,
        )
    assert answer.status_code == 302 and answer["Location"] == f"/monitoring/rooms/{room.pk}/"
    assert [(m["command"], m["seconds"]) for _, m in layer.sent] == [("silence", 120)]


def test_an_ended_alarm_is_refused_with_the_reason_and_nothing_sent(
    personas: dict[str, User],
    layer: RecordingLayer,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit, state="ended")
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(
            personas["nurse"],
            "/monitoring/alarms/acknowledge",
            {"alarm": alarm.alarm_id},
            fetch=True,
        )
        missing = _post(personas["nurse"], "/monitoring/alarms/acknowledge", {}, fetch=True)
    assert answer.status_code == 422
    assert answer.json() == {"ok": False, "errors": {"alarm": [ALARM_ENDED]}}
    assert missing.json() == {"ok": False, "errors": {"alarm": ["No such alarm."]}}
    assert layer.sent == []
    assert not AuditEntry.objects.filter(action="update", object_type="alarm").exists()


def test_a_next_address_on_another_site_is_not_followed(
    personas: dict[str, User], layer: RecordingLayer
) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    answer = _post(
        personas["nurse"],
        "/monitoring/alarms/acknowledge",
        {"alarm": alarm.alarm_id, "next": "https://evil.example/"},
        fetch=False,
    )
    assert answer["Location"] == f"/monitoring/rooms/{room.pk}/"


def test_the_clinic_lead_cannot_respond(personas: dict[str, User], layer: RecordingLayer) -> None:
    room, visit = _room_with_visit(personas)
    alarm = _alarm(room, visit)
    answer = _post(
        personas["clinic_lead"],
        "/monitoring/alarms/acknowledge",
        {"alarm": alarm.alarm_id},
        fetch=True,
    )
    assert answer.status_code == 403
    assert layer.sent == []


def test_a_device_we_do_not_know_is_not_shown_in_a_room(personas: dict[str, User]) -> None:
    room, _ = _room_with_visit(personas)
    _store(vitals_message("x", NOW - timedelta(seconds=2), device="00A0C9FFFE0000FF"))
    text = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    assert _initial(text)["numerics"] is None


def test_a_pump_event_name_the_clinic_does_not_know_is_shown_escaped(
    personas: dict[str, User],
) -> None:
    room, visit = _room_with_visit(personas)
    PumpReport.objects.create(
        message_id=_any_message_id(),
        room=room,
        visit=visit,
        event_code=9,
        event_name="<img src=x>VENDOR_EVT",
        at=NOW - timedelta(minutes=1),
        rate_ml_per_h=None,
    )
    text = _get(personas["nurse"], f"/monitoring/rooms/{room.pk}/").content.decode()
    assert '<dd data-pump="event">&lt;img src=x&gt;VENDOR_EVT</dd>' in text
    # A rate the pump reported as invalid is shown as such, never as 0.
    rate = text.split('data-pump="rate_ml_per_h">', 1)[1].split("</span> mL/h", 1)[0]
    assert rate == '<span class="is-invalid-text" title="invalid">---</span>'
