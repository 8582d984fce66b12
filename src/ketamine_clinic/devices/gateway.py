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
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import Enum
from typing import Final, Protocol

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
READ_CHUNK_BYTES: Final = 64 * 1024
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
        self._connections: set[asyncio.Task[None]] = set()
        self._ack_counter = 0

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> asyncio.Server:
        """Listen on ``host:port`` (port 0 picks a free one; see ``port``).

        ``reuse_port``: several processes listen on the same port and the kernel spreads
        the connections among them (SO_REUSEPORT), each process with its own interpreter."""
        self._tasks = [asyncio.create_task(self._writer()) for _ in range(self._writers)]
        self._tasks.append(asyncio.create_task(self._hooks()))
        self._server = await asyncio.start_server(
            self._serve_connection, host, port, reuse_port=reuse_port or None
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
        for task in (*self._connections, *self._tasks):
            task.cancel()
        await asyncio.gather(*self._connections, *self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=True)

    # -- connections -------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername)
        self.stats.connections += 1
        decoder = MllpDecoder()
        try:
            while True:
                data = await reader.read(READ_CHUNK_BYTES)
                if not data:
                    break
                try:
                    frames = decoder.feed(data)
                except MllpFramingError as error:
                    log.warning("closing %s: %s", peer, error)
                    break
                for payload in frames:
                    reply, close = await self._handle(payload, peer)
                    writer.write(frame(reply.encode("utf-8")))
                    await writer.drain()
                    if close:
                        return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # Shutting down: end quietly (asyncio logs a connection task that ends cancelled).
            pass
        finally:
            self.stats.connections -= 1
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _handle(self, payload: bytes, peer: str) -> tuple[str, bool]:
        """The reply to one frame and whether to close the connection after it."""
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
            ), False
        try:
            message = parse_message(text)
        except Hl7ParseError as error:
            self.stats.rejected += 1
            return bare_reject(str(error), application=GATEWAY_APPLICATION, now=now), False
        try:
            report = interpret(message, self.local_zone)
        except (PcdRejected, Hl7ParseError) as error:
            self.stats.rejected += 1
            log.info("rejected %s from %s: %s", message.control_id, peer, error)
            return self._ack(message, "AR", now, str(error)), False
        item = Inbound(text, report, content_hash(text), now, peer)
        future: asyncio.Future[StoreResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(item, future))
        try:
            result = await future
        except StorageFailed as error:
            self.stats.errors += 1
            return self._ack(message, "AE", self.clock(), str(error)), False
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
        self.stats.by_peer[peer] = self.stats.by_peer.get(peer, 0) + 1
        return self._ack(message, "AA", self.clock()), False

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
