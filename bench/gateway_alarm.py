"""Alarm-to-browser latency: a pump's occlusion sent over MLLP, seen on the room's socket.

The measuring client is what a nurse's room page is: a WebSocket on
``/ws/v1/monitoring/rooms/<room>/`` with a signed-in nurse's session cookie and the
page's Origin. In the same process (one ``time.perf_counter``), the pump's link sends a
PCD-04 occlusion start (source ST, ``MDC_EVT_PUMP_OCCL``); the latency is from just
before its bytes are written to the first ``alarms`` payload whose active list holds the
occlusion alarm. Then the pump sends the alarm's end and the client waits for the list
without it, so each repeat starts from a room with no occlusion.

The path measured: MLLP read, parse, interpret, durable commit, ACK and the after-commit
hook, the alarm engine (a technical alarm is raised at once), the alarm's record written,
the room's list published on the channel layer, the consumer, the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from gateway_messages import occlusion_message, pump_sender

from ketamine_clinic.devices.mllp import END_BLOCK, frame

OCCLUSION_WORDS: Final = "occlusion"
WAIT_S: Final = 10.0


@dataclass
class AlarmTimes:
    raised_s: list[float] = field(default_factory=list)
    raised_at_s: list[float] = field(default_factory=list)  # when each was sent (perf_counter)
    cleared_s: list[float] = field(default_factory=list)
    ack_s: list[float] = field(default_factory=list)
    missed: int = 0
    not_cleared: int = 0
    codes: dict[str, int] = field(default_factory=dict)


def _has_occlusion(payload: dict[str, Any]) -> bool:
    return any(
        OCCLUSION_WORDS in str(alarm.get("message", "")).lower()
        for alarm in payload.get("active", [])
    )


async def _until(socket: Any, want_occlusion: bool, deadline: float) -> float | None:
    """Read the socket until an ``alarms`` payload with (or without) the occlusion; the
    perf_counter time it arrived, or None at the deadline."""
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        try:
            raw = await asyncio.wait_for(socket.recv(), left)
        except TimeoutError:
            return None
        arrived = time.perf_counter()
        payload = json.loads(raw)
        if payload.get("kind") != "alarms":
            continue
        if _has_occlusion(payload) == want_occlusion:
            return arrived


async def _send(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: str, times: AlarmTimes
) -> float:
    began = time.perf_counter()
    writer.write(frame(text.encode("utf-8")))
    reply = await asyncio.wait_for(reader.readuntil(END_BLOCK), WAIT_S)
    times.ack_s.append(time.perf_counter() - began)
    at = reply.find(b"\rMSA|")
    code = reply[at + 5 : at + 7].decode() if at >= 0 else "??"
    times.codes[code] = times.codes.get(code, 0) + 1
    return began


async def measure(
    *,
    web_port: int,
    gateway_port: int,
    room_id: int,
    pump_eui64: str,
    cookie: str,
    repeats: int,
    tag: str,
    host: str = "127.0.0.1",
    until: float = 0.0,
) -> AlarmTimes:
    """``repeats`` occlusions started and ended in ``room_id`` (and more until the
    perf_counter time ``until``, if later); their times."""
    from websockets.asyncio.client import connect

    times = AlarmTimes()
    sender = pump_sender(pump_eui64)
    uri = f"ws://{host}:{web_port}/ws/v1/monitoring/rooms/{room_id}/"
    from websockets.typing import Origin

    origin = Origin(f"http://{host}:{web_port}")
    async with connect(uri, origin=origin, additional_headers={"Cookie": cookie}) as socket:
        reader, writer = await asyncio.open_connection(host, gateway_port)
        try:
            i = 0
            while i < repeats or time.perf_counter() < until:
                alarm_id = f"{tag}-A{i}"
                for phase in ("start", "end"):
                    text = occlusion_message(
                        sender, f"{tag}-{i}-{phase}", alarm_id, phase, datetime.now(UTC)
                    )
                    began = await _send(reader, writer, text, times)
                    seen = await _until(socket, phase == "start", began + WAIT_S)
                    if seen is None:
                        if phase == "start":
                            times.missed += 1
                        else:
                            times.not_cleared += 1
                        continue
                    if phase == "start":
                        times.raised_s.append(seen - began)
                        times.raised_at_s.append(began)
                    else:
                        times.cleared_s.append(seen - began)
                await asyncio.sleep(0.05)
                i += 1
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
    return times
