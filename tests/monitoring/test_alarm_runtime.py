"""The alarm engine at work on stored data: rooms monitored while a visit infuses, a
desaturation raised after its delay, recorded and published, acknowledged by a nurse
from a page, its strip kept, a pump's occlusion as a technical alarm, stale alarms ended
on start."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import InMemoryChannelLayer

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.gateway import Inbound, Outcome, StoreResult
from ketamine_clinic.monitoring import live
from ketamine_clinic.monitoring.alarm_runtime import AlarmRuntime, _keep_strip
from ketamine_clinic.monitoring.models import (
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    AlarmState,
    AlarmStrip,
)
from ketamine_clinic.monitoring.storage import DatabaseStorage, decode_samples
from ketamine_clinic.visits.models import Visit
from tests.monitoring.support import (
    MONITOR,
    T0,
    inbound,
    room_with_monitor,
    visit_in_room,
    vitals_message,
)

pytestmark = pytest.mark.django_db


class FixedDirectory:
    def __init__(self, rooms: dict[str, int]) -> None:
        self.rooms = rooms

    async def room_of(self, eui64: str) -> int | None:
        return self.rooms.get(eui64)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def run(coro_fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a scenario; its ORM calls (``orm``) and the runtime's inline writes come back to
    this thread, so they see the test's own transaction."""
    async_to_sync(coro_fn)()


def orm(fn: Callable[[], Any]) -> Coroutine[Any, Any, Any]:
    return sync_to_async(fn)()


def make_runtime(room: Room, clock: Clock, layer: InMemoryChannelLayer) -> AlarmRuntime:
    return AlarmRuntime(
        directory=FixedDirectory({MONITOR: room.pk}),  # type: ignore[arg-type]
        layer=layer,
        clock=clock,
        inline_writes=True,
        strip_delay_s=3600,  # strips are kept by calling _keep_strip in the test
    )


async def feed(runtime: AlarmRuntime, clock: Clock, spo2: str, seconds: int) -> None:
    storage = DatabaseStorage()
    for _ in range(seconds):
        clock.at += timedelta(seconds=1)
        sent = inbound(vitals_message(f"{spo2}-{clock.at.timestamp()}", clock.at, spo2=spo2))
        item = Inbound(sent.text, sent.report, sent.content_sha256, clock.at, sent.peer)
        result = await sync_to_async(storage.store_batch)([item])
        await runtime.after_commit([item], result)
        await runtime.tick()


async def drain(layer: InMemoryChannelLayer, channel: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), 0.05)
        except TimeoutError:
            return out
        out.append(message["data"])


def test_a_desaturation_is_raised_recorded_published_and_acknowledged(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    clock = Clock(T0)
    layer = InMemoryChannelLayer()

    async def scenario() -> None:
        runtime = make_runtime(room, clock, layer)
        channel = await layer.new_channel()
        await layer.group_add(live.room_group(room.pk), channel)
        await runtime.refresh_rooms()
        assert runtime.engine.rooms == (str(room.pk),)
        await feed(runtime, clock, "97", 3)
        assert not await orm(Alarm.objects.exists)
        # SpO2 84: below the high-priority desaturation limit (85) past its delay.
        await feed(runtime, clock, "84", 20)
        alarm = await orm(lambda: Alarm.objects.get(condition__startswith=str(mdc.SPO2.name)))
        assert (alarm.priority, alarm.kind, alarm.state, alarm.visit_id) == (
            "high",
            "physiological",
            AlarmState.ACTIVE,
            visit.pk,
        )
        published = await drain(layer, channel)
        shown = [p for p in published if p["kind"] == "alarms"][-1]
        mine = [a for a in shown["active"] if a["id"] == alarm.alarm_id]
        assert mine and mine[0]["audible"] is True and mine[0]["priority"] == "high"
        # A nurse acknowledges from the page (the command as services.alarm_respond sends it).
        nurse = personas["nurse"]
        await runtime.respond(
            {"command": "acknowledge", "alarm_id": alarm.alarm_id, "by_id": nurse.pk}
        )
        await orm(alarm.refresh_from_db)
        assert alarm.acknowledged_by_id == nurse.pk
        ack = await orm(
            lambda: AlarmEvent.objects.get(alarm=alarm, kind=AlarmEventKind.ACKNOWLEDGED)
        )
        assert ack.by_id == nurse.pk
        shown = [p for p in await drain(layer, channel) if p["kind"] == "alarms"][-1]
        mine = [a for a in shown["active"] if a["id"] == alarm.alarm_id]
        assert mine[0]["audible"] is False and mine[0]["acknowledged"] is True
        # Back to normal: the acknowledged alarm ends.
        await feed(runtime, clock, "97", 3)
        await orm(alarm.refresh_from_db)
        assert alarm.state == AlarmState.ENDED
        kinds = await orm(
            lambda: list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True))
        )
        assert kinds[0] == AlarmEventKind.RAISED and kinds[-1] == AlarmEventKind.ENDED

    run(scenario)


def test_no_alarms_for_a_room_without_a_monitored_visit(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    clock = Clock(T0)

    async def scenario() -> None:
        runtime = make_runtime(room, clock, InMemoryChannelLayer())
        await runtime.refresh_rooms()
        await feed(runtime, clock, "80", 30)

    run(scenario)
    assert not Alarm.objects.exists()


def test_a_visit_leaving_recovery_ends_its_rooms_alarms(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    clock = Clock(T0)

    async def scenario() -> None:
        runtime = make_runtime(room, clock, InMemoryChannelLayer())
        await runtime.refresh_rooms()
        await feed(runtime, clock, "84", 20)
        assert await orm(Alarm.objects.filter(state=AlarmState.ACTIVE).exists)
        await orm(lambda: Visit.objects.filter(pk=visit.pk).update(state="discharged"))
        await runtime.refresh_rooms()
        assert runtime.engine.rooms == ()

    run(scenario)
    assert set(Alarm.objects.values_list("state", flat=True)) == {AlarmState.ENDED}


def test_stale_alarms_are_ended_when_the_engine_starts(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    stale = Alarm.objects.create(
        alarm_id="old",
        room=room,
        condition="x",
        priority="high",
        kind="physiological",
        message="SpO2 80",
        raised_at=T0,
    )
    clock = Clock(T0 + timedelta(hours=1))

    async def scenario() -> None:
        runtime = make_runtime(room, clock, InMemoryChannelLayer())
        await runtime.start()
        await runtime.close()

    run(scenario)
    stale.refresh_from_db()
    assert stale.state == AlarmState.ENDED
    assert stale.events.get().detail == "the alarm engine restarted"


def test_a_strip_keeps_ten_seconds_either_side(db: None) -> None:
    room = room_with_monitor()
    alarm = Alarm.objects.create(
        alarm_id="a1",
        room=room,
        condition="x",
        priority="high",
        kind="physiological",
        message="SpO2 80",
        raised_at=T0,
    )
    items = []
    for second in range(-15, 15):  # one pleth chunk of 125 samples per second
        at = T0 + timedelta(seconds=second)
        samples = "^".join(str(second) for _ in range(125))
        pleth = (
            f"OBX|4|NA|150452^MDC_PULS_OXIM_PLETH^MDC|1.1.2.2|{samples}"
            "|262656^MDC_DIM_DIMLESS^MDC|||||R",
        )
        items.append(inbound(vitals_message(f"w{second}", at, extra_obx=pleth)))
    DatabaseStorage().store_batch(items)
    _keep_strip("a1", room.pk, T0)
    strip = AlarmStrip.objects.get(alarm=alarm)
    assert (strip.code, strip.sample_rate_hz, strip.sample_count) == (150452, 125, 20 * 125)
    assert strip.start_at == T0 - timedelta(seconds=10)
    values = decode_samples(strip.samples)
    assert values[0] == -10.0 and values[-1] == 9.0


def test_duplicates_are_not_fed_twice(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    seen: list[str] = []

    async def scenario() -> None:
        runtime = make_runtime(room, Clock(T0), InMemoryChannelLayer())
        await runtime.refresh_rooms()
        original = runtime.engine.observe

        def observe(*args: Any) -> Any:
            seen.append(str(args[1]))
            return original(*args)

        runtime.engine.observe = observe  # type: ignore[method-assign,assignment]
        item = inbound(vitals_message("d", T0))
        await runtime.after_commit([item], [StoreResult(Outcome.DUPLICATE)])
        await runtime.after_commit([item], [StoreResult(Outcome.STORED)])

    run(scenario)
    assert seen == [str(mdc.HEART_RATE.code), str(mdc.SPO2.code)]


def test_the_active_list_is_sent_again_for_pages_that_reconnect(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    clock = Clock(T0)
    layer = InMemoryChannelLayer()

    async def scenario() -> None:
        runtime = make_runtime(room, clock, layer)
        await runtime.refresh_rooms()
        await feed(runtime, clock, "84", 20)  # a high alarm, published when raised
        late = await layer.new_channel()  # a page that joins afterwards
        await layer.group_add(live.room_group(room.pk), late)
        for _ in range(5):
            await runtime.tick()
        shown = [p for p in await drain(layer, late) if p["kind"] == "alarms"]
        assert shown and shown[-1]["active"][0]["priority"] == "high"

    run(scenario)


def test_a_priority_rise_records_the_new_limit(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    clock = Clock(T0)

    async def scenario() -> None:
        runtime = make_runtime(room, clock, InMemoryChannelLayer())
        await runtime.refresh_rooms()
        await feed(runtime, clock, "88", 20)  # medium: below 90
        await feed(runtime, clock, "83", 20)  # rises to high: below 85

    run(scenario)
    alarm = Alarm.objects.get(kind="physiological")
    assert (alarm.priority, alarm.limit) == ("high", Decimal("85.0000"))
