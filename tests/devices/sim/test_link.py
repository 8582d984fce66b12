"""The device link against a scripted in-test MLLP server: ACK-wait, identical resends
on AE and on timeout, 3 tries then drop, AR drops, reconnects that keep the message."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.pcd_build import (
    ControlIds,
    NumericValue,
    Sender,
    build_observation,
)
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.link import MllpLink
from tests.devices.sim.fake_gateway import FakeGateway

pytestmark = pytest.mark.asyncio

SENDER = Sender("KC_SIM_MONITOR", "02C0FFEE00000301")
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _messages(count: int) -> list[str]:
    ids = ControlIds(SENDER.eui64, session="t")
    return [
        build_observation(
            SENDER, ids.next(), START, numerics=[NumericValue(mdc.HEART_RATE, Decimal(70 + n))]
        )
        for n in range(count)
    ]


def _id(n: int) -> str:
    return f"{SENDER.eui64}-t-{n}"


async def _deliver(
    gateway: FakeGateway, messages: list[str], *, ack_timeout_s: float = 200.0
) -> MllpLink:
    # 1000x: a 200 s ACK timeout is 0.2 s of wall time, long enough for a loaded machine
    # to answer, short enough for the timeout tests.
    clock = SimClock(scale=1000, start=START)
    link = MllpLink("127.0.0.1", gateway.port, clock=clock, ack_timeout_s=ack_timeout_s)
    task = asyncio.create_task(link.run())
    for text in messages:
        link.send(text)
    await asyncio.wait_for(link.drained(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return link


async def test_each_message_waits_for_the_ack_of_the_one_before() -> None:
    gateway = FakeGateway(reply_delay_s=0.02)
    await gateway.start()
    link = await _deliver(gateway, _messages(5), ack_timeout_s=5000.0)
    await gateway.stop()
    assert gateway.control_ids() == [_id(n) for n in range(1, 6)]
    assert gateway.overlapping == 0
    assert (link.stats.acked, link.stats.transmissions, link.stats.retried) == (5, 5, 0)


async def test_an_ae_is_answered_by_a_resend_of_the_same_bytes() -> None:
    gateway = FakeGateway(script=lambda cid, n: "AE" if cid == _id(2) and n == 1 else "AA")
    await gateway.start()
    messages = _messages(3)
    link = await _deliver(gateway, messages)
    await gateway.stop()
    assert gateway.arrivals(_id(2)) == [messages[1].encode()] * 2
    assert gateway.control_ids() == [_id(1), _id(2), _id(3)]
    assert (link.stats.acked, link.stats.errors, link.stats.retried) == (3, 1, 1)


async def test_no_ack_in_time_is_answered_by_a_resend_of_the_same_bytes() -> None:
    gateway = FakeGateway(script=lambda cid, n: "silent" if cid == _id(1) and n == 1 else "AA")
    await gateway.start()
    messages = _messages(2)
    link = await _deliver(gateway, messages)
    await gateway.stop()
    assert gateway.arrivals(_id(1)) == [messages[0].encode()] * 2
    assert (link.stats.acked, link.stats.timeouts, link.stats.retried) == (2, 1, 1)


async def test_three_tries_in_all_then_the_message_is_dropped_and_the_next_goes() -> None:
    gateway = FakeGateway(script=lambda cid, n: "AE" if cid == _id(1) else "AA")
    await gateway.start()
    link = await _deliver(gateway, _messages(2))
    await gateway.stop()
    assert len(gateway.arrivals(_id(1))) == 3
    assert len(gateway.arrivals(_id(2))) == 1
    assert (link.stats.dropped, link.stats.acked, link.stats.retried) == (1, 1, 2)


async def test_timeouts_count_as_tries_too() -> None:
    gateway = FakeGateway(script=lambda cid, n: "silent" if cid == _id(1) else "AA")
    await gateway.start()
    link = await _deliver(gateway, _messages(2))
    await gateway.stop()
    assert len(gateway.arrivals(_id(1))) == 3
    assert (link.stats.dropped, link.stats.timeouts, link.stats.acked) == (1, 3, 1)


async def test_an_ar_drops_the_message_at_once_and_the_connection_with_it() -> None:
    gateway = FakeGateway(script=lambda cid, n: "AR" if cid == _id(1) else "AA")
    await gateway.start()
    link = await _deliver(gateway, _messages(2))
    await gateway.stop()
    assert len(gateway.arrivals(_id(1))) == 1
    assert (link.stats.rejected, link.stats.dropped, link.stats.retried) == (1, 1, 0)
    assert [r.connection for r in gateway.received] == [1, 2]  # reconnected for the next


async def test_a_lost_connection_is_not_a_try_and_the_unacked_message_is_resent() -> None:
    # The gateway drops the link on message 2 three times: still delivered, nothing dropped.
    gateway = FakeGateway(script=lambda cid, n: "close" if cid == _id(2) and n <= 3 else "AA")
    await gateway.start()
    messages = _messages(3)
    link = await _deliver(gateway, messages)
    await gateway.stop()
    assert gateway.arrivals(_id(2)) == [messages[1].encode()] * 4
    assert (link.stats.acked, link.stats.dropped, link.stats.connection_losses) == (3, 0, 3)
    assert link.stats.connects == 4


async def test_after_a_gateway_restart_the_resend_fills_the_gap() -> None:
    gateway = FakeGateway(script=lambda cid, n: "silent" if cid == _id(3) else "AA")
    port = await gateway.start()
    clock = SimClock(scale=1000, start=START)
    link = MllpLink("127.0.0.1", port, clock=clock, ack_timeout_s=1000.0)
    task = asyncio.create_task(link.run())
    messages = _messages(5)
    for text in messages[:3]:
        link.send(text)
    while len(gateway.received) < 3:
        await asyncio.sleep(0.005)
    await gateway.stop()  # the gateway goes down with message 3 unacknowledged
    for text in messages[3:]:
        link.send(text)  # the monitor keeps measuring meanwhile
    await asyncio.sleep(0.05)
    restarted = FakeGateway()
    await restarted.start(port)
    await asyncio.wait_for(link.drained(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await restarted.stop()
    assert restarted.control_ids() == [_id(3), _id(4), _id(5)]
    assert restarted.arrivals(_id(3)) == [messages[2].encode()]
    assert (link.stats.acked, link.stats.dropped, link.stats.timeouts) == (5, 0, 0)
    assert link.stats.connection_losses == 1


async def test_a_full_outbox_lets_the_oldest_go_and_counts_them() -> None:
    clock = SimClock(scale=1000, start=START)
    link = MllpLink("127.0.0.1", 9, clock=clock, outbox_limit=3)  # nothing listens
    for text in _messages(5):
        link.send(text)
    assert (link.pending, link.stats.queued, link.stats.overflowed) == (3, 5, 2)
