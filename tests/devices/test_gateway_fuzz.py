"""Fuzzing the codec, the PCD reader and the gateway (hypothesis): whatever arrives, the
reader returns a report or refuses with a reason, and the gateway answers or closes that
one connection cleanly while it keeps serving everyone else."""

from __future__ import annotations

import asyncio
import contextlib
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.devices.gateway import Gateway
from ketamine_clinic.devices.hl7_codec import Hl7ParseError, parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from ketamine_clinic.devices.pcd import PcdRejected, interpret
from tests.devices.test_gateway import MemoryStorage, msa, with_control_id
from tests.devices.test_hl7_codec import IHE_BP, VITALS_15

ZONE = ZoneInfo("America/New_York")
# What breaks readers: the delimiters, the escape character, digits, signs, CR/LF.
NASTY = st.text(alphabet="|^~\\&\r\n0123456789.+-EX? abcMDC_", max_size=30)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real PCD message with a few of its fields replaced by hostile text."""
    text = draw(st.sampled_from([VITALS_15, IHE_BP]))
    segments = text.split("\r")
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(segments) - 1))
        fields = segments[index].split("|")
        position = draw(st.integers(0, len(fields)))
        replacement = draw(NASTY)
        if position < len(fields):
            fields[position] = replacement
        else:
            fields.append(replacement)
        segments[index] = "|".join(fields)
    return "\r".join(segments)


@given(mutated())
@settings(max_examples=400)
def test_the_reader_returns_a_report_or_refuses_with_a_reason(text: str) -> None:
    try:
        report = interpret(parse_message(text), ZONE)
    except (Hl7ParseError, PcdRejected) as error:
        assert str(error)  # a reason, not an empty refusal
        return
    for numeric in report.numerics:
        assert numeric.value is None or numeric.value.is_finite()
    assert report.control_id


FUZZ_FRAME = st.one_of(
    st.binary(max_size=400),
    mutated().map(lambda t: t.encode("utf-8", errors="surrogatepass")),
)


async def _exchange(port: int, payloads: list[bytes], raw_noise: bytes) -> list[str]:
    """Send the fuzz frames on one connection; the replies it got before it ended."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = MllpDecoder()
    replies: list[str] = []
    try:
        writer.write(raw_noise)
        for payload in payloads:
            writer.write(frame(payload))
            await writer.drain()
            got: list[bytes] = []
            while not got:
                data = await asyncio.wait_for(reader.read(65536), 5)
                if not data:
                    return replies  # closed cleanly
                got = decoder.feed(data)
            replies.extend(g.decode("utf-8") for g in got)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return replies


async def _fuzz_round(payloads: list[bytes], raw_noise: bytes) -> None:
    storage = MemoryStorage()
    gateway = Gateway(storage, local_zone=ZONE)
    await gateway.start("127.0.0.1", 0)
    try:
        replies = await _exchange(gateway.port, payloads, raw_noise)
        for reply in replies:
            assert msa(reply)[0] in {"AA", "AE", "AR"}
        # Another sender is served as if nothing had happened.
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(frame(with_control_id(VITALS_15, "AFTER-FUZZ").encode()))
        await writer.drain()
        decoder = MllpDecoder()
        got: list[bytes] = []
        while not got:
            got = decoder.feed(await asyncio.wait_for(reader.read(65536), 5))
        assert msa(got[0].decode()) == ("AA", "AFTER-FUZZ")
        writer.close()
        await writer.wait_closed()
        stored = [row.report.control_id for row in storage.rows]
        assert stored.count("AFTER-FUZZ") == 1
    finally:
        await gateway.close()


@given(
    payloads=st.lists(FUZZ_FRAME, max_size=6),
    raw_noise=st.binary(max_size=64).filter(lambda b: b"\x0b" not in b),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_gateway_survives_any_frames_and_keeps_serving(
    payloads: list[bytes], raw_noise: bytes
) -> None:
    asyncio.run(_fuzz_round(payloads, raw_noise))
