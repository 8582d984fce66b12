"""A device's MLLP link to the gateway: original-mode ACKs, resends and reconnects.

What a real monitor does (reference/devices.md, GE B40) and the gateway relies on:

- one message at a time: the next goes only after the ACK of the last;
- ``AE`` or no ACK within ``ack_timeout_s``: resend the SAME bytes (same MSH-10), up to
  ``max_tries`` (3) tries in all, then drop it and go on;
- ``AR``: drop the message (no resend) and drop the connection;
- a lost connection is not a try: reconnect with backoff and resend the message that was
  not acknowledged, so after a gateway restart the resend fills the gap.

Messages wait in a bounded outbox while the gateway is away (the oldest go first when it
is full, counted as ``overflowed``). Times are the simulator clock's (``SimClock``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from typing import Final

from ketamine_clinic.devices.hl7_codec import Hl7ParseError, parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from ketamine_clinic.devices.pcd_build import read_acknowledgement
from ketamine_clinic.devices.sim.clock import Clock

log = logging.getLogger("ketamine_clinic.devices.sim.link")

MAX_TRIES: Final = 3  # GE B40: up to 3 tries in all (reference/devices.md)
DEFAULT_ACK_TIMEOUT_S: Final = 10.0
DEFAULT_OUTBOX_LIMIT: Final = 3600  # an hour of numerics at one a second
BACKOFF_START_S: Final = 0.5
BACKOFF_MAX_S: Final = 30.0


@dataclass
class LinkStats:
    """Counters for tests and the benchmark.

    ``queued`` messages handed in; ``transmissions`` frames written (tries and resends);
    ``acked`` messages answered ``AA``; ``retried`` resends (after AE, a timeout or a lost
    connection); ``errors`` AE replies; ``timeouts`` tries with no ACK in time;
    ``dropped`` messages given up after the last try; ``rejected`` messages answered AR
    (also dropped); ``overflowed`` messages pushed out of a full outbox; ``connects``
    connections made; ``connection_losses`` connections lost while waiting.
    """

    queued: int = 0
    transmissions: int = 0
    acked: int = 0
    retried: int = 0
    errors: int = 0
    timeouts: int = 0
    dropped: int = 0
    rejected: int = 0
    overflowed: int = 0
    connects: int = 0
    connection_losses: int = 0


class _ConnectionLost(Exception):
    pass


class MllpLink:
    """Sends queued messages to ``host:port`` one at a time, waiting for each ACK."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Clock,
        ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S,
        max_tries: int = MAX_TRIES,
        outbox_limit: int = DEFAULT_OUTBOX_LIMIT,
        name: str = "device",
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock
        self.ack_timeout_s = ack_timeout_s
        self.max_tries = max_tries
        self.name = name
        self.stats = LinkStats()
        self._outbox: deque[tuple[str, str]] = deque(maxlen=outbox_limit)
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._decoder = MllpDecoder()
        self._frames: deque[bytes] = deque()

    # --- the producer's side --------------------------------------------------------

    def send(self, text: str) -> None:
        """Queue ``text`` (one HL7 message, segments ending in CR) for delivery."""
        control_id = parse_message(text).control_id
        if len(self._outbox) == self._outbox.maxlen:
            self.stats.overflowed += 1
        self._outbox.append((control_id, text))
        self.stats.queued += 1
        self._idle.clear()
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._outbox)

    async def drained(self) -> None:
        """Wait until every queued message has been acknowledged or given up."""
        await self._idle.wait()

    # --- the delivery loop ----------------------------------------------------------

    async def run(self) -> None:
        """Deliver until cancelled."""
        try:
            while True:
                if not self._outbox:
                    self._idle.set()
                    self._ready.clear()
                    await self._ready.wait()
                    continue
                control_id, text = self._outbox[0]
                await self._deliver(control_id, text.encode("utf-8"))
                if self._outbox and self._outbox[0][0] == control_id:
                    self._outbox.popleft()
        finally:
            await self._close()

    async def _deliver(self, control_id: str, payload: bytes) -> None:
        tries = 0
        resend = False
        while True:
            await self._connect()
            if resend:
                self.stats.retried += 1
            resend = True
            try:
                tries += 1
                self._write(payload)
                self.stats.transmissions += 1
                code, text = await self._await_ack(control_id)
            except _ConnectionLost:
                self.stats.connection_losses += 1
                tries -= 1  # a lost connection is not a try
                await self._close()
                await self.clock.sleep(BACKOFF_START_S)  # no tight loop on a flapping link
                continue
            if code == "AA":
                self.stats.acked += 1
                return
            if code == "AR":
                self.stats.rejected += 1
                self.stats.dropped += 1
                log.warning("%s: %s rejected (AR): %s", self.name, control_id, text)
                await self._close()  # reference/devices.md: AR, the sender drops the link
                return
            if code == "AE":
                self.stats.errors += 1
            else:
                self.stats.timeouts += 1
            if tries >= self.max_tries:
                self.stats.dropped += 1
                log.warning("%s: %s dropped after %d tries", self.name, control_id, tries)
                return

    async def _connect(self) -> None:
        backoff = BACKOFF_START_S
        while self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await self.clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            self._decoder = MllpDecoder()
            self._frames.clear()
            self.stats.connects += 1

    def _write(self, payload: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            raise _ConnectionLost
        self._writer.write(frame(payload))

    async def _await_ack(self, control_id: str) -> tuple[str, str]:
        """The reply's code and text, or ``("", "")`` when none came in time; a reply to
        another message (a late ACK of an earlier try) is skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clock.real_s(self.ack_timeout_s)
        while True:
            while self._frames:
                raw = self._frames.popleft()
                try:
                    ack = read_acknowledgement(parse_message(raw.decode("utf-8", "replace")))
                except (Hl7ParseError, ValueError):
                    continue
                if ack.acknowledged_control_id == control_id:
                    return ack.code, ack.text
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "", ""
            if self._reader is None:
                raise _ConnectionLost
            try:
                data = await asyncio.wait_for(self._reader.read(65536), remaining)
            except TimeoutError:
                return "", ""
            except (ConnectionError, OSError):
                raise _ConnectionLost from None
            if not data:
                raise _ConnectionLost
            self._frames.extend(self._decoder.feed(data))

    async def _close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
