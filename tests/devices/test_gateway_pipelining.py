"""A sender that does not wait for each ACK: its frames are answered in order, one at a
time, however many it writes at once, on the default loop and on uvloop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from ketamine_clinic.devices.gateway import MAX_FRAMES_AHEAD, Gateway
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from tests.devices.test_gateway import ZONE, MemoryStorage, msa, with_control_id
from tests.devices.test_hl7_codec import VITALS_15

Runner = Callable[[Coroutine[Any, Any, None]], None]
LOOPS: dict[str, Runner] = {"asyncio": asyncio.run, "uvloop": uvloop.run}


async def _pipelined(count: int) -> None:
    storage = MemoryStorage()
    gateway = Gateway(storage, local_zone=ZONE)
    await gateway.start("127.0.0.1", 0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        texts = [with_control_id(VITALS_15, f"P{n}") for n in range(count)]
        texts[count // 2] = "not HL7 at all"  # answered AR in its place, not skipped
        writer.write(b"".join(frame(text.encode()) for text in texts))  # all at once
        await writer.drain()
        decoder, replies = MllpDecoder(), list[bytes]()
        while len(replies) < count:
            data = await asyncio.wait_for(reader.read(65536), 10)
            assert data, "the gateway closed the connection"
            replies += decoder.feed(data)
        codes = [msa(reply.decode()) for reply in replies]
        expected = [("AA", f"P{n}") for n in range(count)]
        expected[count // 2] = ("AR", "")
        assert codes == expected
        assert [row.report.control_id for row in storage.rows] == [
            f"P{n}" for n in range(count) if n != count // 2
        ]
        writer.close()
        await writer.wait_closed()
    finally:
        await gateway.close()


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_frames_written_at_once_are_answered_in_order(loop: str) -> None:
    # More frames than the gateway reads ahead, so reading pauses and resumes.
    LOOPS[loop](_pipelined(MAX_FRAMES_AHEAD * 3 + 1))
