"""The clinic's side of PCD-03: send an infusion program (``RGV^O15``) to a pump and read
its answer (``ACK^O15`` accepted, or ``RRG^O16`` with the pump's reason).

One connection per program: programs are rare (a start, a titration, a pause), and a
pump's program port expects a short exchange. A pump that does not answer in time is
reported as such by the caller; the program is then not running, whatever the pump did.
"""

from __future__ import annotations

import asyncio
import contextlib

from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from ketamine_clinic.devices.pcd_build import Acknowledgement, read_acknowledgement


async def send_program(
    host: str, port: int, text: str, *, timeout_s: float = 10.0
) -> Acknowledgement:
    """Send one PCD-03 program to a pump and read its reply (the clinic's side: the program
    services, the demo and tests); wall-clock ``timeout_s``."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    try:
        writer.write(frame(text.encode("utf-8")))
        await writer.drain()
        decoder = MllpDecoder()
        while True:
            data = await asyncio.wait_for(reader.read(65536), timeout_s)
            if not data:
                raise ConnectionError("the pump closed the connection without a reply")
            frames = decoder.feed(data)
            if frames:
                return read_acknowledgement(parse_message(frames[0].decode("utf-8")))
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
