"""A simulated room against the real gateway (devices/gateway.py) with an in-memory
storage that fails now and then: every message is read by the gateway, the failures come
back as AE, the simulators resend, and each message is stored exactly once."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from ketamine_clinic.devices.gateway import Gateway, Inbound, Outcome, StoreResult
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.room import RoomConfig, SimRoom

pytestmark = pytest.mark.asyncio
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FlakyStorage:
    """Stores by (sender, control id, content); a control id ending in 7 fails once."""

    def __init__(self) -> None:
        self.rows: list[Inbound] = []
        self.keys: set[tuple[str, str, str]] = set()
        self.failed: set[str] = set()
        self.lock = threading.Lock()

    def _store(self, item: Inbound) -> StoreResult:
        control_id = item.report.control_id
        if control_id.endswith("7") and control_id not in self.failed:
            self.failed.add(control_id)
            raise ConnectionError("database is busy")
        key = (item.report.sender, control_id, item.content_sha256)
        if key in self.keys:
            return StoreResult(Outcome.DUPLICATE)
        self.keys.add(key)
        self.rows.append(item)
        return StoreResult(Outcome.STORED)

    def store_batch(self, batch: Sequence[Inbound]) -> list[StoreResult]:
        with self.lock:
            if any(i.report.control_id.endswith("7") for i in batch):
                raise ConnectionError("the batch failed")  # the gateway retries one by one
            return [self._store(item) for item in batch]

    def store_one(self, item: Inbound) -> StoreResult:
        with self.lock:
            return self._store(item)


async def test_every_simulated_message_is_stored_once_through_aes_and_resends() -> None:
    storage = FlakyStorage()
    gateway = Gateway(storage, local_zone=UTC)
    await gateway.start("127.0.0.1", 0)
    config = RoomConfig(7, "127.0.0.1", gateway.port, random_events=False, ack_timeout_s=5000.0)
    room = SimRoom(config, clock=SimClock(scale=200, start=START))
    try:
        await asyncio.wait_for(room.run(duration_s=40), 60)
    finally:
        await gateway.close()
    assert room.pump.link is not None
    monitor, pump = room.monitor.link.stats, room.pump.link.stats
    assert gateway.stats.rejected == 0
    assert monitor.dropped == pump.dropped == 0
    sent = monitor.queued + pump.queued
    assert monitor.acked + pump.acked == sent == len(storage.rows)
    identities = Counter((r.report.sender, r.report.control_id) for r in storage.rows)
    assert max(identities.values()) == 1
    assert monitor.errors + pump.errors == len(storage.failed) > 0
    assert monitor.retried + pump.retried == len(storage.failed)
    kinds = Counter(r.report.kind for r in storage.rows)
    assert kinds["observation"] > 80  # 41 numerics + 40 waveform chunks + pump numerics
    assert kinds["pump_event"] >= 1
    assert any(w.sample_rate_hz == 250 for r in storage.rows for w in r.report.waveforms)
