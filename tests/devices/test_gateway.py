"""The gateway over real TCP with an in-memory storage: store before ACK, AE when storage
fails, AR with a reason for what can never be stored, resends stored once, a reused
control id stored and counted, batches shared between connections, bad senders cut off
without disturbing others."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from ketamine_clinic.devices.gateway import Gateway, Inbound, Outcome, StoreResult
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from tests.devices.test_hl7_codec import IHE_BP, VITALS_15

pytestmark = pytest.mark.asyncio
ZONE = ZoneInfo("America/New_York")


class MemoryStorage:
    """A storage that keeps messages by (sender, control id, content) like the database."""

    def __init__(self) -> None:
        self.rows: list[Inbound] = []
        self.keys: set[tuple[str, str, str]] = set()
        self.batches: list[int] = []
        self.fail = False
        self.poison: set[str] = set()  # control ids whose storage always fails
        self.gate: threading.Event | None = None  # when set, commits wait for it
        self.lock = threading.Lock()

    def _store(self, item: Inbound) -> StoreResult:
        if item.report.control_id in self.poison:
            raise ValueError("poisoned")
        key = (item.report.sender, item.report.control_id, item.content_sha256)
        if key in self.keys:
            return StoreResult(Outcome.DUPLICATE)
        reused = any((k[0], k[1]) == key[:2] for k in self.keys)
        self.keys.add(key)
        self.rows.append(item)
        return StoreResult(Outcome.STORED, control_id_reused=reused)

    def store_batch(self, batch: Sequence[Inbound]) -> list[StoreResult]:
        if self.gate is not None:
            self.gate.wait(5)
        with self.lock:
            if self.fail:
                raise ConnectionError("database is down")
            if any(item.report.control_id in self.poison for item in batch):
                raise ValueError("poisoned batch")
            self.batches.append(len(batch))
            return [self._store(item) for item in batch]

    def store_one(self, item: Inbound) -> StoreResult:
        with self.lock:
            if self.fail:
                raise ConnectionError("database is down")
            return self._store(item)


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, MemoryStorage]]:
    storage = MemoryStorage()
    gw = Gateway(storage, local_zone=ZONE)
    await gw.start("127.0.0.1", 0)
    yield gw, storage
    await gw.close()


class Sender:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.decoder = MllpDecoder()
        self.replies: list[str] = []

    @classmethod
    async def connect(cls, port: int) -> Sender:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, text: str) -> str:
        self.writer.write(frame(text.encode()))
        await self.writer.drain()
        return await self.reply()

    async def reply(self) -> str:
        while not self.replies:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                raise ConnectionError("closed")
            self.replies.extend(f.decode() for f in self.decoder.feed(data))
        return self.replies.pop(0)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def msa(reply: str) -> tuple[str, str]:
    message = parse_message(reply)
    segment = message.all("MSA")[0]
    return segment.field(1), segment.field(2)


def err_text(reply: str) -> str:
    return parse_message(reply).all("ERR")[0].field(8)


def with_control_id(text: str, control_id: str) -> str:
    msh, rest = text.split("\r", 1)
    fields = msh.split("|")
    fields[9] = control_id
    return "|".join(fields) + "\r" + rest


async def test_aa_after_the_message_is_stored(gateway: tuple[Gateway, MemoryStorage]) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    reply = await sender.send(VITALS_15)
    assert msa(reply) == ("AA", "M-000042")
    assert [row.report.control_id for row in storage.rows] == ["M-000042"]
    assert len(storage.rows[0].report.numerics) == 15
    ack = parse_message(reply)
    assert ack.message_type == "ACK^R01"
    # Sender and receiver swapped: the ACK goes back to the monitor's application.
    assert ack.msh.field(5) == "Monitor^0123456789ABCDEF^EUI-64"
    await sender.close()


async def test_many_messages_on_one_connection(gateway: tuple[Gateway, MemoryStorage]) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    for n in range(20):
        assert msa(await sender.send(with_control_id(VITALS_15, f"C{n}"))) == ("AA", f"C{n}")
    assert len(storage.rows) == 20
    await sender.close()


async def test_resend_is_acknowledged_and_not_stored_twice(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    first = await Sender.connect(gw.port)
    assert msa(await first.send(VITALS_15))[0] == "AA"
    await first.close()
    # The ACK was "lost": the monitor reconnects and resends the same bytes.
    second = await Sender.connect(gw.port)
    assert msa(await second.send(VITALS_15)) == ("AA", "M-000042")
    assert len(storage.rows) == 1
    assert gw.stats.duplicates == 1
    await second.close()


async def test_reused_control_id_with_other_content_is_stored_and_counted(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    await sender.send(VITALS_15)
    other = VITALS_15.replace("|72|", "|73|")
    assert msa(await sender.send(other)) == ("AA", "M-000042")
    assert len(storage.rows) == 2
    assert gw.stats.reused_control_ids == 1
    await sender.close()


async def test_ae_when_storage_fails_then_aa_when_it_returns(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    storage.fail = True
    sender = await Sender.connect(gw.port)
    reply = await sender.send(VITALS_15)
    assert msa(reply) == ("AE", "M-000042")
    assert "resend" in err_text(reply)
    assert storage.rows == []
    storage.fail = False
    assert msa(await sender.send(VITALS_15))[0] == "AA"
    assert len(storage.rows) == 1
    await sender.close()


async def test_one_poisoned_message_does_not_hold_back_its_batch(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    storage.poison = {"BAD"}
    storage.gate = threading.Event()  # hold the first commit so the others queue up
    senders = [await Sender.connect(gw.port) for _ in range(5)]
    ids = ["A", "B", "BAD", "C", "D"]
    for sender, control_id in zip(senders, ids, strict=True):
        sender.writer.write(frame(with_control_id(VITALS_15, control_id).encode()))
        await sender.writer.drain()
    await asyncio.sleep(0.2)
    storage.gate.set()
    codes = {cid: msa(await s.reply())[0] for s, cid in zip(senders, ids, strict=True)}
    assert codes == {"A": "AA", "B": "AA", "BAD": "AE", "C": "AA", "D": "AA"}
    assert sorted(r.report.control_id for r in storage.rows) == ["A", "B", "C", "D"]
    for sender in senders:
        await sender.close()


async def test_messages_from_many_connections_share_a_commit(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    storage.gate = threading.Event()
    senders = [await Sender.connect(gw.port) for _ in range(30)]
    for n, sender in enumerate(senders):
        sender.writer.write(frame(with_control_id(VITALS_15, f"S{n}").encode()))
        await sender.writer.drain()
    await asyncio.sleep(0.3)
    storage.gate.set()
    replies = [msa(await s.reply())[0] for s in senders]
    assert replies == ["AA"] * 30
    # The first commit held everyone else in the queue: they went in together.
    assert len(storage.batches) < 30
    assert max(storage.batches) > 1
    for sender in senders:
        await sender.close()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"hello", "does not start with an MSH segment"),
        (b"MSH|^~\\&|A\r\xff\xfe", "not UTF-8"),
    ],
)
async def test_unreadable_frames_get_ar_and_the_connection_lives(
    gateway: tuple[Gateway, MemoryStorage], payload: bytes, reason: str
) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    sender.writer.write(frame(payload))
    reply = await sender.reply()
    assert msa(reply)[0] == "AR"
    assert reason in err_text(reply)
    assert msa(await sender.send(VITALS_15))[0] == "AA"
    assert len(storage.rows) == 1
    await sender.close()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda t: t.replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"), "MSH-9"),
        (lambda t: with_control_id(t, ""), "MSH-10"),
        (lambda t: t.replace("20261126093000-0500||ORU", "2026112X||ORU"), "MSH-7"),
    ],
)
async def test_messages_that_can_never_be_stored_get_ar_with_the_field(
    gateway: tuple[Gateway, MemoryStorage], edit: object, reason: str
) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    reply = await sender.send(edit(VITALS_15))  # type: ignore[operator]
    assert msa(reply)[0] == "AR"
    assert reason in err_text(reply)
    assert storage.rows == []
    await sender.close()


async def test_an_oversized_frame_closes_only_that_connection(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    good = await Sender.connect(gw.port)
    bad = await Sender.connect(gw.port)
    bad.writer.write(b"\x0b" + b"x" * (2 << 20))
    await bad.writer.drain()
    # Closed; with our bytes unread the close arrives as a reset, which is closing too.
    with contextlib.suppress(ConnectionResetError):
        assert await asyncio.wait_for(bad.reader.read(), 5) == b""
    assert msa(await good.send(IHE_BP))[0] == "AA"
    assert len(storage.rows) == 1
    await good.close()


async def test_after_commit_sees_each_stored_batch(gateway: tuple[Gateway, MemoryStorage]) -> None:
    gw, _storage = gateway
    seen: list[str] = []

    async def hook(items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        seen.extend(item.report.control_id for item in items)

    gw.after_commit = hook
    sender = await Sender.connect(gw.port)
    await sender.send(VITALS_15)
    await sender.send(IHE_BP)
    await asyncio.sleep(0.05)
    assert seen == ["M-000042", "MSGID1234"]
    await sender.close()


async def test_received_time_is_the_gateways_clock_in_utc(
    gateway: tuple[Gateway, MemoryStorage],
) -> None:
    gw, storage = gateway
    sender = await Sender.connect(gw.port)
    await sender.send(VITALS_15)
    assert storage.rows[0].received_at.tzinfo is UTC
    assert storage.rows[0].peer.startswith("127.0.0.1:")
    await sender.close()
