"""The gateway benchmark's load generator: M device connections in original mode.

Run by ``bench/gateway.py`` in a process of its own (so its work is not the gateway's,
and the gateway's is not its), it prints one JSON object on stdout:

    python bench/gateway_load.py --port 2575 --connections 200 --seconds 20 --tag run1
    python bench/gateway_load.py --port 2575 --connections 200 --rate 2.2 --seconds 20 ...

Each connection is one room's link (its monitor and pump, each with its own EUI-64,
``gateway_messages.MIX``): it sends one message, waits for its ACK, then sends the next,
as a device in original mode does. Unpaced (``--rate 0``) it sends the next at once;
paced, at ``--rate`` messages a second from a random phase, the next due time kept on a
fixed grid (a late ACK makes the next send late, never skipped, and the lateness is
reported). Messages are pre-built and stamped with a fresh control id per send
(``Stamper``), so every send is a distinct message the gateway must store.

Times: ``time.perf_counter`` in this process. The ACK latency of a message is from just
before its bytes are written to when its ACK's end block is read. Only messages sent in
the window after ``--warmup`` seconds count for the rate and the latencies; every
message's ACK code counts in the totals, including those in flight at the end (each
connection finishes its last message before closing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_messages import Stamper, room_mix
from gateway_setup import monitor_eui64, pump_eui64

from ketamine_clinic.devices.mllp import END_BLOCK

ACK_TIMEOUT_S: Final = 30.0


@dataclass
class Tally:
    sent: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    timeouts: int = 0
    connect_failures: int = 0
    in_window: int = 0
    latencies_s: list[float] = field(default_factory=list)
    lateness_s: list[float] = field(default_factory=list)


def ack_code(reply: bytes) -> str:
    at = reply.find(b"\rMSA|")
    return reply[at + 5 : at + 7].decode("ascii", "replace") if at >= 0 else "??"


async def one_connection(
    index: int,
    args: argparse.Namespace,
    mix: Sequence[Stamper],
    window: tuple[float, float],
    tally: Tally,
) -> None:
    start_s, end_s = window
    try:
        reader, writer = await asyncio.open_connection(args.host, args.port)
    except OSError:
        tally.connect_failures += 1
        return
    rng = random.Random(index)
    period_s = 1.0 / args.rate if args.rate > 0 else 0.0
    due = time.perf_counter() + (rng.random() * period_s if period_s else 0.0)
    seq = rng.randrange(len(mix))  # rooms out of step with each other
    tag = f"{args.tag}-{index}"
    try:
        while True:
            if period_s:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            began = time.perf_counter()
            if began >= end_s:
                break
            if period_s and began - due > 0.001 and start_s <= began:
                tally.lateness_s.append(began - due)
            payload = mix[seq % len(mix)].framed(f"{tag}-{seq}")
            seq += 1
            writer.write(payload)
            tally.sent += 1
            try:
                reply = await asyncio.wait_for(reader.readuntil(END_BLOCK), ACK_TIMEOUT_S)
            except TimeoutError:
                tally.timeouts += 1
                break
            done = time.perf_counter()
            code = ack_code(reply)
            tally.codes[code] = tally.codes.get(code, 0) + 1
            if start_s <= began:
                tally.in_window += 1
                tally.latencies_s.append(done - began)
            if period_s:
                due += period_s
    except (ConnectionError, asyncio.IncompleteReadError):
        tally.connect_failures += 1
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0-1) by the nearest-rank method; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mixes = [
        room_mix(monitor_eui64(n), pump_eui64(n))
        for n in range(args.first_room, args.first_room + args.connections)
    ]
    tally = Tally()
    began = time.perf_counter()
    window = (began + args.warmup, began + args.warmup + args.seconds)
    await asyncio.gather(
        *(one_connection(i, args, mixes[i], window, tally) for i in range(args.connections))
    )
    finished = time.perf_counter()
    lat = tally.latencies_s
    return {
        "connections": args.connections,
        "rate_per_connection": args.rate,
        "window_s": args.seconds,
        "sent": tally.sent,
        "codes": tally.codes,
        "timeouts": tally.timeouts,
        "connect_failures": tally.connect_failures,
        "acked_in_window": tally.in_window,
        "msgs_per_s": tally.in_window / args.seconds,
        "ack_p50_ms": 1000 * percentile(lat, 0.50),
        "ack_p90_ms": 1000 * percentile(lat, 0.90),
        "ack_p99_ms": 1000 * percentile(lat, 0.99),
        "ack_max_ms": 1000 * max(lat) if lat else float("nan"),
        "late_sends": len(tally.lateness_s),
        "late_p99_ms": 1000 * percentile(tally.lateness_s, 0.99),
        "wall_s": finished - began,
        "cpu_s": time.process_time(),
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="measured window, s")
    parser.add_argument("--warmup", type=float, default=3.0, help="before the window, s")
    parser.add_argument("--rate", type=float, default=0.0, help="msg/s per connection; 0 unpaced")
    parser.add_argument("--first-room", type=int, default=1)
    parser.add_argument("--tag", required=True, help="control-id session tag (unique per run)")
    parser.add_argument("--no-uvloop", action="store_true", help="the default asyncio loop")
    args = parser.parse_args(argv)
    runner: Any = asyncio.run
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run
    print(json.dumps(runner(run(args))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
