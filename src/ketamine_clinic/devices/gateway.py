"""The device gateway: MLLP over TCP in, durable storage, original-mode ACK out.

Many monitors and pumps keep one connection each open for hours and send a message every
second or faster. The gateway reads each connection's frames in order, checks and reads
every message (``pcd.interpret``), and hands it to one writer task that commits whatever
has queued up from all connections in one transaction (so a commit's cost is shared
under load). Only when the commit returns does the connection get ``AA``:

- ``AA``: stored, or an identical resend of a stored message (not stored twice);
- ``AE``: storage failed (the database is down, a write error): nothing acknowledged,
  the sender resends;
- ``AR``: the message can never be accepted (not HL7, not a PCD message, no control
  id): the reason is in ERR-8; the sender should not resend.

Storage sits behind the ``Storage`` port: the clinic plugs in its database (``monitoring``),
tests plug in fakes. Nothing here imports Django.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import Enum
from typing import Final, Protocol, cast

from ketamine_clinic.devices.hl7_codec import (
    Hl7ParseError,
    Message,
    ack,
    bare_reject,
    parse_message,
)
from ketamine_clinic.devices.mllp import MllpDecoder, MllpFramingError, frame
from ketamine_clinic.devices.pcd import DeviceReport, PcdRejected, interpret

log = logging.getLogger("ketamine_clinic.devices.gateway")

# A batch this size or a queue drained, whichever comes first: large enough to share a
# commit between hundreds of connections, small enough to keep the ACK latency short.
DEFAULT_MAX_BATCH: Final = 500
GATEWAY_APPLICATION: Final = "KC"  # MSH-3 of the gateway's replies to unreadable frames
HOOK_BACKLOG_BATCHES: Final = 1000


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as received, read and ready to store."""

    text: str
    report: DeviceReport
    content_sha256: str
    received_at: datetime
    peer: str


class Outcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # an identical resend: acknowledged, not stored again


@dataclass(frozen=True, slots=True)
class StoreResult:
    outcome: Outcome
    control_id_reused: bool = False  # stored, but another message had the same MSH-10


class Storage(Protocol):
    """Where messages go. Called from a worker thread, one batch at a time per writer."""

    def store_batch(self, batch: Sequence[Inbound]) -> Sequence[StoreResult]:
        """Commit ``batch`` durably in one transaction and say what happened to each, in
        order; raise if the batch could not be committed (nothing of it is stored)."""
        ...

    def store_one(self, item: Inbound) -> StoreResult:
        """Commit one message on its own (after its batch failed); raise on failure."""
        ...


AfterCommit = Callable[[Sequence[Inbound], Sequence[StoreResult]], Awaitable[None]]


class StorageFailed(Exception):
    """Storage raised: the reason goes into the AE's ERR-8 (no patient data in it)."""


@dataclass
class GatewayStats:
    connections: int = 0
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    reused_control_ids: int = 0
    rejected: int = 0
    errors: int = 0
    batches: int = 0
    by_peer: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Pending:
    item: Inbound
    message: Message
    future: asyncio.Future[StoreResult]


# hashlib lets go of the GIL for any input longer than this, and the event loop then
# waits for a storage thread to hand it back (up to the interpreter's switch interval,
# 5 ms): a 3 kB waveform message cost the loop hundreds of microseconds that way.
_HASH_CHUNK_BYTES: Final = 2047


def content_hash(text: str) -> str:
    """The identity of a message's content: a resend has the same bytes.

    Hashed in pieces small enough that the event loop keeps the GIL (same digest)."""
    data = text.encode("utf-8")
    digest = hashlib.sha256()
    for start in range(0, len(data), _HASH_CHUNK_BYTES):
        digest.update(data[start : start + _HASH_CHUNK_BYTES])
    return digest.hexdigest()


class Gateway:
    """An asyncio MLLP server that stores before it acknowledges."""

    def __init__(
        self,
        storage: Storage,
        *,
        local_zone: tzinfo,
        writers: int = 1,
        max_batch: int = DEFAULT_MAX_BATCH,
        after_commit: AfterCommit | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if writers < 1:
            raise ValueError("writers must be at least 1")
        self.storage = storage
        self.local_zone = local_zone
        self.max_batch = max_batch
        self.after_commit = after_commit
        self.clock = clock
        self.stats = GatewayStats()
        self._writers = writers
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        # Stored batches waiting for the after-commit hook, in commit order. The writer
        # does not wait for the hook (live views, alarms) before the next commit; it waits
        # only when this many batches are behind, so a stuck hook cannot grow memory.
        self._committed: asyncio.Queue[tuple[Sequence[Inbound], Sequence[StoreResult]]] = (
            asyncio.Queue(maxsize=HOOK_BACKLOG_BATCHES)
        )
        self._executor = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="kc-store")
        self._tasks: list[asyncio.Task[None]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._ack_counter = 0

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> asyncio.Server:
        """Listen on ``host:port`` (port 0 picks a free one; see ``port``).

        ``reuse_port``: several processes listen on the same port and the kernel spreads
        the connections among them (SO_REUSEPORT), each process with its own interpreter."""
        self._tasks = [asyncio.create_task(self._writer()) for _ in range(self._writers)]
        self._tasks.append(asyncio.create_task(self._hooks()))
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Connection(self), host, port, reuse_port=reuse_port or None
        )
        return self._server

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the gateway is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for connection in list(self._connections):
            connection.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=True)

    # -- messages ----------------------------------------------------------------------

    def _accept(self, payload: bytes, peer: str) -> str | _Pending:
        """One frame: the reply at once (AR: it can never be stored), or the message on
        its way to the writer, whose future completes when its batch is committed."""
        self.stats.received += 1
        now = self.clock()
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            self.stats.rejected += 1
            return bare_reject(
                f"the message is not UTF-8 ({error.reason})",
                application=GATEWAY_APPLICATION,
                now=now,
            )
        try:
            message = parse_message(text)
        except Hl7ParseError as error:
            self.stats.rejected += 1
            return bare_reject(str(error), application=GATEWAY_APPLICATION, now=now)
        try:
            report = interpret(message, self.local_zone)
        except (PcdRejected, Hl7ParseError) as error:
            self.stats.rejected += 1
            log.info("rejected %s from %s: %s", message.control_id, peer, error)
            return self._ack(message, "AR", now, str(error))
        item = Inbound(text, report, content_hash(text), now, peer)
        pending = _Pending(item, message, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(pending)
        return pending

    def _reply(self, pending: _Pending) -> str:
        """The ACK for a message whose batch is done: AA if stored (or a resend), AE if not."""
        message, report = pending.message, pending.item.report
        error = pending.future.exception()
        if error is not None:
            self.stats.errors += 1
            return self._ack(message, "AE", self.clock(), str(error))
        result = pending.future.result()
        if result.outcome is Outcome.DUPLICATE:
            self.stats.duplicates += 1
        else:
            self.stats.stored += 1
            if result.control_id_reused:
                self.stats.reused_control_ids += 1
                log.warning(
                    "sender %s reused control id %s for a different message (stored)",
                    report.sender,
                    report.control_id,
                )
        peer = pending.item.peer
        self.stats.by_peer[peer] = self.stats.by_peer.get(peer, 0) + 1
        return self._ack(message, "AA", self.clock())

    def _ack(self, message: Message, code: str, now: datetime, text: str = "") -> str:
        self._ack_counter += 1
        return ack(message, code, text=text, control_id=f"KC{self._ack_counter}", now=now)

    # -- the writer --------------------------------------------------------------------

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            items = [pending.item for pending in batch]
            try:
                results = list(
                    await loop.run_in_executor(self._executor, self.storage.store_batch, items)
                )
                if len(results) != len(items):
                    raise RuntimeError("storage answered for a different number of messages")
            except Exception as error:
                log.warning("batch of %d not stored (%s); storing one by one", len(items), error)
                await self._store_singly(batch)
                continue
            self.stats.batches += 1
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)
            await self._after(items, results)

    async def _store_singly(self, batch: list[_Pending]) -> None:
        """After a failed batch: each message on its own, so one bad message cannot hold
        back the others, and a database that is down fails every one (all AE)."""
        loop = asyncio.get_running_loop()
        stored: list[tuple[Inbound, StoreResult]] = []
        for pending in batch:
            try:
                result = await loop.run_in_executor(
                    self._executor, self.storage.store_one, pending.item
                )
            except Exception as error:
                reason = f"storage failed: {type(error).__name__}; resend later"
                if not pending.future.done():
                    pending.future.set_exception(StorageFailed(reason))
                continue
            stored.append((pending.item, result))
            if not pending.future.done():
                pending.future.set_result(result)
        if stored:
            await self._after([item for item, _ in stored], [result for _, result in stored])

    async def _after(self, items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        if self.after_commit is not None:
            await self._committed.put((items, results))

    async def _hooks(self) -> None:
        while True:
            items, results = await self._committed.get()
            await self._run_hook(items, results)

    async def _run_hook(self, items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        if self.after_commit is None:
            return
        try:
            await self.after_commit(items, results)
        except Exception:
            log.exception("after-commit hook failed (the messages are stored)")


# Frames read ahead of the one being stored before the connection stops reading: a
# device sends one message and waits for its ACK; one that floods waits in TCP instead
# of in the gateway's memory.
MAX_FRAMES_AHEAD: Final = 64


class _Connection(asyncio.Protocol):
    """One device's connection: its frames in order, one message at a time with the
    writer, each ACK written before the next frame of the connection is handled.

    A protocol (callbacks) rather than a stream task per connection: with hundreds of
    connections each sending a message a second or faster, a task's read, drain and
    wake-ups per message were a tenth of the gateway's CPU at load."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._decoder = MllpDecoder()
        self._frames: deque[bytes] = deque()
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._in_flight = False  # a message is with the writer
        self._closed = False
        self._ahead = False  # reading paused: too many frames ahead
        self._writes_blocked = False  # reading paused: the peer does not read its ACKs

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A TCP transport (uvloop's is not a subclass of asyncio.Transport, but has its API).
        self._transport = cast(asyncio.Transport, transport)
        peername = transport.get_extra_info("peername")
        self._peer = (
            f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername)
        )
        self._gateway.stats.connections += 1
        self._gateway._connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        try:
            self._frames.extend(self._decoder.feed(data))
        except MllpFramingError as error:
            log.warning("closing %s: %s", self._peer, error)
            self.close()
            return
        self._advance()

    def eof_received(self) -> bool:
        return False  # the device closed its side: close ours (ACKs in flight are lost)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None and self in self._gateway._connections:
            self._gateway.stats.connections -= 1
            self._gateway._connections.discard(self)
        self._closed = True
        self._frames.clear()

    def pause_writing(self) -> None:
        self._writes_blocked = True
        self._set_reading()

    def resume_writing(self) -> None:
        self._writes_blocked = False
        self._set_reading()

    # -- the connection's messages -------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def _advance(self) -> None:
        """Handle frames until one goes to the writer (or none are left)."""
        gateway = self._gateway
        while self._frames and not self._in_flight and not self._closed:
            outcome = gateway._accept(self._frames.popleft(), self._peer)
            if isinstance(outcome, str):
                self._write(outcome)
                continue
            self._in_flight = True
            outcome.future.add_done_callback(functools.partial(self._stored, outcome))
        self._set_reading()

    def _stored(self, pending: _Pending, _future: asyncio.Future[StoreResult]) -> None:
        self._in_flight = False
        if pending.future.cancelled():
            return  # shutting down: the device resends what it did not get ACKed
        if self._closed:
            pending.future.exception()  # looked at: the device that gets no ACK resends
            return
        self._write(self._gateway._reply(pending))
        self._advance()

    def _write(self, reply: str) -> None:
        if self._transport is not None and not self._closed:
            self._transport.write(frame(reply.encode("utf-8")))

    def _set_reading(self) -> None:
        transport = self._transport
        if transport is None or self._closed:
            return
        self._ahead = len(self._frames) >= MAX_FRAMES_AHEAD
        pause = self._ahead or self._writes_blocked
        if pause and transport.is_reading():
            transport.pause_reading()
        elif not pause and not transport.is_reading():
            transport.resume_reading()
