"""The live pages in Chromium: what the gateway publishes shows up, waveforms are drawn,
alarms show in their colour and sound, and acknowledging reaches ``alarm_respond``.

Payloads go through Redis (as from the gateway process in production) and are built
here by hand in the contract's shapes (monitoring/live.py). The alarm engine is not
running: the test stands in for it, recording the command the page's button sends and
publishing the alarm list the engine would publish next.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room
from ketamine_clinic.config.settings.channels import channel_layers_for
from ketamine_clinic.devices import mdc
from ketamine_clinic.monitoring.live import ENGINE_GROUP, STATION_GROUP, UPDATE_TYPE, room_group
from ketamine_clinic.monitoring.models import Alarm
from ketamine_clinic.visits.models import Visit
from tests.browser.conftest import BROWSER_TEST, in_a_thread
from tests.browser.conftest import Visit as Tab
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.monitoring.support import visit_in_room
from tests.support.services import TEST_REDIS_URL

pytestmark = BROWSER_TEST

# Whether a canvas has more than 300 non-blank pixels (alpha > 0): the trace was drawn.
DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { drawn += 1; } }
  return drawn > 300;
}"""


# Whether the page's ECG channel wants the next chunk: still filling its playback
# buffer, or playing with less than 0.3 s left.
WANTS_MORE = """(code) => {
  const channel = window.KCRoomLive.channels[code];
  return channel.rate > 0 && (!channel.playing || channel.buffered() < 0.3 * channel.rate);
}"""


class RecordingLayer:
    """Stands in for the channel layer of ``services.alarm_respond``: what it sends to
    the engine is recorded (the engine is not running here)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


@pytest.fixture
def redis_layer(redis_required: None) -> Iterator[None]:
    layers = channel_layers_for(TEST_REDIS_URL, prefix=f"kc-test-{uuid.uuid4().hex}")
    with override_settings(CHANNEL_LAYERS=layers):
        yield


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr("ketamine_clinic.monitoring.services.get_channel_layer", lambda: recording)
    return recording


def publish(group: str, data: dict[str, Any]) -> None:
    def send() -> None:
        async_to_sync(get_channel_layer().group_send)(group, {"type": UPDATE_TYPE, "data": data})

    in_a_thread(send)


def numerics(room_id: int, **values: float | None) -> dict[str, Any]:
    codes = {
        "hr": (mdc.HEART_RATE.code, "HR", "/min"),
        "spo2": (mdc.SPO2.code, "SpO2", "%"),
        "sys": (mdc.NIBP_SYSTOLIC.code, "NIBP sys", "mmHg"),
        "dia": (mdc.NIBP_DIASTOLIC.code, "NIBP dia", "mmHg"),
        "mean": (mdc.NIBP_MEAN.code, "NIBP mean", "mmHg"),
        "rr": (mdc.RESP_RATE.code, "RR", "/min"),
    }
    at = timezone.now().isoformat()
    return {
        "kind": "numerics",
        "room": room_id,
        "at": at,
        "values": [
            {"code": codes[k][0], "label": codes[k][1], "value": v, "unit": codes[k][2], "at": at}
            for k, v in values.items()
        ],
    }


def pump(room_id: int, rate: float, dose: float) -> dict[str, Any]:
    return {
        "kind": "pump",
        "room": room_id,
        "at": timezone.now().isoformat(),
        "event": "MDC_EVT_PUMP_DELIV_START",
        "rate_ml_per_h": rate,
        "volume_delivered_ml": dose,
        "volume_remaining_ml": 50.0 - dose,
        "dose_delivered_mg": dose,
    }


def wave(room_id: int, code: int, rate_hz: int, second: int) -> dict[str, Any]:
    """One second of a beat-like trace at 72/min, with an invalid run (a gap)."""
    samples: list[float | None] = []
    for i in range(rate_hz):
        t = second + i / rate_hz
        beat = (t * 1.2) % 1.0
        samples.append(None if 0.45 < beat < 0.5 else math.exp(-(((beat - 0.3) / 0.04) ** 2)))
    start = timezone.now() + timedelta(seconds=second)
    return {
        "kind": "wave",
        "room": room_id,
        "code": code,
        "label": "ECG II" if code == mdc.ECG_LEAD_II.code else "Pleth",
        "start": start.isoformat(),
        "rate_hz": rate_hz,
        "samples": samples,
    }


def alarm_view(alarm: Alarm, *, acknowledged: bool = False) -> dict[str, Any]:
    return {
        "id": alarm.alarm_id,
        "priority": alarm.priority,
        "kind": alarm.kind,
        "message": alarm.message,
        "since": alarm.raised_at.isoformat(),
        "audible": not acknowledged,
        "acknowledged": acknowledged,
        "silenced_until": None,
        "tier": 1,
    }


def make_alarm(room: Room, visit: Visit | None, priority: str, message: str) -> Alarm:
    return Alarm.objects.create(
        alarm_id=f"{room.pk}/{priority}/{uuid.uuid4().hex[:8]}",
        room=room,
        visit=visit,
        condition="spo2_low",
        priority=priority,
        kind="physiological",
        message=message,
        value=Decimal(84),
        limit=Decimal(85),
        raised_at=timezone.now(),
    )


def rooms_with_visits(nurse: User, count: int, occupied: int) -> list[tuple[Room, Visit | None]]:
    out: list[tuple[Room, Visit | None]] = []
    for number in range(1, count + 1):
        room = Room.objects.create(name=f"Room {number}", display_order=number)
        visit = (
            visit_in_room(room, nurse, checked_in=timezone.now() - timedelta(minutes=30))
            if number <= occupied
            else None
        )
        out.append((room, visit))
    return out


def open_live(tab: Tab, path: str) -> None:
    tab.goto(path)
    # "Live" means the socket joined its group: nothing published from now is missed.
    expect(tab.page.locator("#link-state")).to_have_attribute("data-state", "open")


@pytest.mark.usefixtures("redis_layer")
def test_the_room_shows_numerics_waves_and_an_alarm_a_nurse_acknowledges(
    visit: Tab, engine: RecordingLayer
) -> None:
    nurse = make_staff("okafor", Role.NURSE)
    (room, patient_visit), *_ = rooms_with_visits(nurse, 1, 1)
    sign_in_with_password(visit, "okafor")
    expect(visit.page.get_by_role("link", name="Monitoring")).to_be_visible()
    open_live(visit, f"/monitoring/rooms/{room.pk}/")
    page = visit.page

    publish(room_group(room.pk), numerics(room.pk, hr=72, spo2=None, sys=118, dia=76, mean=90))
    expect(page.locator("[data-box=hr] [data-field=value]")).to_have_text("72")
    expect(page.locator("[data-box=spo2] [data-field=value]")).to_have_text("---")
    expect(page.locator("[data-box=spo2] [data-field=status]")).to_have_text("invalid")
    expect(page.locator("[data-box=nibp] [data-field=value]")).to_have_text("118/76")
    expect(page.locator("[data-box=nibp] [data-field=status]")).to_have_text("mean 90")

    publish(room_group(room.pk), pump(room.pk, rate=38.2, dose=12.7))
    expect(page.locator("[data-pump=rate_ml_per_h]")).to_have_text("38.2")
    expect(page.locator("[data-pump=dose_delivered_mg]")).to_have_text("12.7")
    expect(page.locator("[data-pump=event]")).to_have_text("Infusing")

    # Chunks a second long, each sent once the page wants it, as a monitor sends them
    # every second: the sweep runs on without a gap.
    for second in range(5):
        publish(room_group(room.pk), wave(room.pk, mdc.ECG_LEAD_II.code, 250, second))
        publish(room_group(room.pk), wave(room.pk, mdc.PLETH.code, 125, second))
        page.wait_for_function(WANTS_MORE, arg=mdc.ECG_LEAD_II.code)
    page.wait_for_function(DRAWN, arg="wave-ecg")
    page.wait_for_function(DRAWN, arg="wave-pleth")

    alarm = make_alarm(room, patient_visit, "high", "SpO2 low 84 < 85")
    publish(room_group(room.pk), {"kind": "alarms", "room": room.pk, "active": [alarm_view(alarm)]})
    row = page.locator(f"li[data-alarm='{alarm.alarm_id}']")
    expect(row).to_have_class("alarm-item alarm-high alarm-unacknowledged")
    expect(row.locator(".alarm-text")).to_have_text("SpO2 low 84 < 85")
    assert row.evaluate("el => getComputedStyle(el).animationName") == "kc-flash-high"

    toggle = page.locator("#sound-toggle")
    expect(toggle).to_have_text("Alarm sounding but sound is off: turn on")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_attribute("data-sounding", "high")
    visit.screenshot("room-alarm")

    row.get_by_role("button", name="Acknowledge").click()
    expect(row.get_by_text("Acknowledgement sent")).to_be_visible()
    entry = AuditEntry.objects.get(action="update", object_type="alarm")
    assert entry.object_id == alarm.alarm_id and entry.actor_username == "okafor"
    assert entry.detail == {"response": "acknowledge", "seconds": None, "priority": "high"}
    assert [(group, m["command"], m["alarm_id"], m["by_id"]) for group, m in engine.sent] == [
        (ENGINE_GROUP, "acknowledge", alarm.alarm_id, nurse.pk)
    ]

    # The engine's next list: acknowledged, no longer audible; the page follows it.
    publish(
        room_group(room.pk),
        {"kind": "alarms", "room": room.pk, "active": [alarm_view(alarm, acknowledged=True)]},
    )
    expect(row).to_have_class("alarm-item alarm-high")
    expect(row.locator(".alarm-meta")).to_contain_text("acknowledged")
    expect(row.get_by_role("button", name="Acknowledge")).to_be_hidden()
    expect(row.get_by_role("button", name="Pause audio 2 min")).to_be_hidden()
    expect(toggle).to_have_attribute("data-sounding", "")
    visit.screenshot("room-acknowledged")

    publish(room_group(room.pk), {"kind": "alarms", "room": room.pk, "active": []})
    expect(page.locator("li[data-alarm]")).to_have_count(0)
    expect(page.get_by_text("No active alarms.")).to_be_visible()
    assert visit.console.errors == []


@pytest.mark.usefixtures("redis_layer")
def test_the_station_shows_twenty_rooms_updating_with_their_alarm_colours(visit: Tab) -> None:
    nurse = make_staff("okafor", Role.NURSE)
    rooms = rooms_with_visits(nurse, 20, 16)
    sign_in_with_password(visit, "okafor")
    open_live(visit, "/monitoring/")
    page = visit.page
    expect(page.locator(".tile")).to_have_count(20)

    # Every room updates several times, as twenty monitors each sending every second do.
    for round_ in range(3):
        for index, (room, occupied) in enumerate(rooms):
            if occupied is None:
                continue
            publish(
                STATION_GROUP,
                numerics(
                    room.pk, hr=60 + index + round_, spo2=99 - index % 5, sys=110 + index, dia=70
                ),
            )
    for index, (room, occupied) in enumerate(rooms):
        tile = page.locator(f".tile[data-room='{room.pk}']")
        if occupied is None:
            expect(tile.locator("[data-field=hr]")).to_have_text("no data")
            continue
        expect(tile.locator("[data-field=hr]")).to_have_text(str(60 + index + 2))
        expect(tile.locator("[data-field=nibp]")).to_have_text(f"{110 + index}/70")
    first = rooms[0][0].pk
    publish(STATION_GROUP, numerics(first, hr=None))
    expect(page.locator(f".tile[data-room='{first}'] [data-field=hr]")).to_have_text("---")
    second_room = rooms[1][0].pk
    expect(page.locator(f".tile[data-room='{second_room}'] [data-field=rate]")).to_have_text(
        "\u2013"
    )  # an en dash: no pump data yet
    publish(STATION_GROUP, pump(first, rate=41.5, dose=20.4))
    expect(page.locator(f".tile[data-room='{first}'] [data-field=rate]")).to_have_text("41.5")
    expect(page.locator(f".tile[data-room='{first}'] [data-field=dose]")).to_have_text("20.4")

    colours = {
        0: ("high", "SpO2 low 84 < 85"),
        1: ("medium", "HR high 131 > 120"),
        2: ("low", "RR low 7 < 8"),
    }
    for index, (priority, message) in colours.items():
        room, occupied = rooms[index]
        alarm = make_alarm(room, occupied, priority, message)
        publish(STATION_GROUP, {"kind": "alarms", "room": room.pk, "active": [alarm_view(alarm)]})
    for index, (priority, message) in colours.items():
        tile = page.locator(f".tile[data-room='{rooms[index][0].pk}']")
        expect(tile).to_have_class(f"tile has-{priority}")
        expect(tile.locator("[data-field=alarm]")).to_have_text(message)
        expect(tile.locator("[data-field=alarm]")).to_have_class(
            f"tile-alarm alarm-{priority}" + (" alarm-unacknowledged" if priority else "")
        )
    red = page.locator(f".tile[data-room='{first}'] [data-field=alarm]").evaluate(
        "el => getComputedStyle(el).animationName"
    )
    assert red == "kc-flash-high"
    expect(page.locator("#sound-toggle")).to_have_text("Alarm sounding but sound is off: turn on")
    visit.screenshot("station")
    assert visit.console.errors == []


@pytest.mark.usefixtures("redis_layer")
def test_a_value_nothing_refreshes_for_thirty_seconds_is_greyed(
    visit: Tab,
) -> None:
    nurse = make_staff("okafor", Role.NURSE)
    (room, _), *_ = rooms_with_visits(nurse, 1, 1)
    sign_in_with_password(visit, "okafor")
    visit.page.clock.install()
    open_live(visit, "/monitoring/")
    visit.page.clock.resume()  # the page's clock runs on, until the test moves it
    hr = visit.page.locator(f".tile[data-room='{room.pk}'] [data-field=hr]")
    publish(STATION_GROUP, numerics(room.pk, hr=64, spo2=97))
    expect(hr).to_have_text("64")
    expect(hr).not_to_have_class("is-stale")

    visit.page.clock.fast_forward("00:31")  # the monitor said nothing for 31 s
    expect(hr).to_have_class("is-stale")
    publish(STATION_GROUP, numerics(room.pk, hr=65))
    expect(hr).to_have_text("65")
    expect(hr).not_to_have_class("is-stale")
    # SpO2 was not in the last message: it stays stale until it is.
    expect(visit.page.locator(f".tile[data-room='{room.pk}'] [data-field=spo2]")).to_have_class(
        "is-stale"
    )
    assert visit.console.errors == []
