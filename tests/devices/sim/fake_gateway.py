"""A tiny in-test MLLP server whose replies a test scripts, recording what it received."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ketamine_clinic.devices.hl7_codec import ack, parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame

# What to do with the n-th arrival (1-based) of a control id: "AA", "AE", "AR",
# "silent" (no reply) or "close" (drop the connection without replying).
Script = Callable[[str, int], str]


def always_aa(_control_id: str, _arrival: int) -> str:
    return "AA"


@dataclass
class Received:
    control_id: str
    payload: bytes
    connection: int


@dataclass
class FakeGateway:
    script: Script = always_aa
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    overlapping: int = 0  # a message arrived while the previous one was unanswered
    reply_delay_s: float = 0.0
    _server: asyncio.Server | None = None
    port: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def arrivals(self, control_id: str) -> list[bytes]:
        return [r.payload for r in self.received if r.control_id == control_id]

    def control_ids(self) -> list[str]:
        return list(dict.fromkeys(r.control_id for r in self.received))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        connection = self.connections
        decoder = MllpDecoder()
        early = b""
        try:
            while True:
                data, early = (early, b"") if early else (await reader.read(65536), b"")
                if not data:
                    return
                for payload in decoder.feed(data):
                    message = parse_message(payload.decode())
                    control_id = message.control_id
                    self.received.append(Received(control_id, payload, connection))
                    action = self.script(control_id, len(self.arrivals(control_id)))
                    if action == "close":
                        writer.close()
                        return
                    if action == "silent":
                        continue  # the sender will time out and resend
                    if self.reply_delay_s:
                        # Anything arriving before the reply means the sender did not wait.
                        with contextlib.suppress(TimeoutError):
                            more = await asyncio.wait_for(reader.read(65536), self.reply_delay_s)
                            if more:
                                self.overlapping += 1
                                early += more
                    reply = ack(
                        message,
                        action,
                        text="scripted" if action != "AA" else "",
                        control_id=f"ACK-{control_id}",
                        now=datetime(2026, 11, 26, tzinfo=UTC),
                    )
                    writer.write(frame(reply.encode()))
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._tasks.discard(task)
            writer.close()
