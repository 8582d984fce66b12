"""The gateway in several processes, on PostgreSQL, with the real command:

- every process takes connections on the one port, and the alarm engine (in the primary)
  hears the data that reached the others;
- a worker that dies is started again, and the devices' resends are stored once.

Uses the fault tests' scratch database and process helpers; rooms, devices and infusing
visits are set up by the gateway benchmark's own set-up script (``bench/gateway_setup.py``)
in a child process, since this process's Django points at the test database.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ketamine_clinic.alarms.enums import TechnicalKind
from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from ketamine_clinic.devices.pcd_build import PUMP_OCCLUSION, Alarm, Sender, build_alert
from ketamine_clinic.monitoring.alarm_runtime import AlarmInput
from tests.monitoring.test_gateway_faults import (
    REPO,
    GatewayProcess,
    ScratchDatabase,
    _free_port,
    _messages,
    run_in,
    scratch_db,  # noqa: F401 - the fixture
)
from tests.monitoring.test_gateway_faults import (
    Sender as ResendingSender,
)

pytestmark = pytest.mark.postgres
ROOMS = 12


def _set_up_rooms(db: ScratchDatabase, tmp_path: Path) -> None:
    script = str(REPO / "bench" / "gateway_setup.py")
    out = run_in(
        db, tmp_path, [sys.executable, script, "setup", "--rooms", str(ROOMS)], timeout_s=120
    )
    assert len(json.loads(out)["room_ids"]) == ROOMS


def _occlusion(room_number: int) -> str:
    """Room ``room_number``'s pump (as the set-up registered it) reports an occlusion."""
    at = datetime.now(UTC)
    sender = Sender("TestPump", f"02BE02{room_number:010X}")
    alarm = Alarm(
        f"OCCL-{room_number}", mdc.PUMP_CHANNEL, PUMP_OCCLUSION, "PH", "ST", "start",
        "active", "enabled", at,
    )  # fmt: skip
    return build_alert(sender, f"OCC{room_number}", at, alarm, mds=mdc.PUMP_MDS)


async def _send_once(port: int, text: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(frame(text.encode()))
        await writer.drain()
        decoder = MllpDecoder()
        replies: list[bytes] = []
        while not replies:
            data = await asyncio.wait_for(reader.read(65536), 10)
            assert data, "the gateway closed the connection"
            replies = decoder.feed(data)
        return str(parse_message(replies[0].decode()).all("MSA")[0].field(1))
    finally:
        writer.close()
        await writer.wait_closed()


def _occlusion_alarms(db: ScratchDatabase) -> set[int]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT room_id FROM monitoring_alarm WHERE condition LIKE %s",
            ["%occlusion%"],
        ).fetchall()
    return {int(room) for (room,) in rows}  # type: ignore[call-overload]


def _children(pid: int) -> list[int]:
    return [
        int(child)
        for children in Path(f"/proc/{pid}/task").glob("*/children")
        for child in children.read_text().split()
    ]


def _worker_pids(gateway: GatewayProcess) -> list[int]:
    """The gateway's worker processes (multiprocessing may add a resource tracker)."""
    found = []
    for pid in _children(gateway.process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and b"resource_tracker" not in command:
            found.append(pid)
    return found


def test_every_process_takes_connections_and_the_engine_hears_them_all(
    scratch_db: ScratchDatabase,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    _set_up_rooms(scratch_db, tmp_path)
    port = _free_port()
    gateway = GatewayProcess(scratch_db.url, port, tmp_path, "--processes", "2")
    try:
        assert len(_worker_pids(gateway)) == 1

        async def send_all() -> list[str]:
            # One connection per room's pump: with 12 connections hashed over two
            # processes, both take some (all on one: 1 in 2,048).
            return list(
                await asyncio.gather(
                    *(_send_once(port, _occlusion(n)) for n in range(1, ROOMS + 1))
                )
            )

        assert asyncio.run(send_all()) == ["AA"] * ROOMS
        deadline = time.monotonic() + 20
        while len(_occlusion_alarms(scratch_db)) < ROOMS and time.monotonic() < deadline:
            time.sleep(0.2)
        # Every room's occlusion raised an alarm, whichever process stored its message.
        assert len(_occlusion_alarms(scratch_db)) == ROOMS
    finally:
        gateway.stop()
    output = gateway.output()
    worker_stored = [int(n) for n in re.findall(r"gateway worker 1: (\d+) stored", output)]
    assert worker_stored and 0 < worker_stored[0] < ROOMS, output


def test_a_worker_that_dies_is_started_again_and_nothing_acknowledged_is_lost(
    scratch_db: ScratchDatabase,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    port = _free_port()
    gateway = GatewayProcess(scratch_db.url, port, tmp_path, "--processes", "2")
    try:
        senders = [ResendingSender(port, _messages(n, 60)) for n in range(8)]

        async def run() -> None:
            tasks = [asyncio.create_task(s.run(pause_s=0.02)) for s in senders]
            await asyncio.sleep(0.5)
            (first,) = _worker_pids(gateway)
            os.kill(first, signal.SIGKILL)
            deadline = asyncio.get_running_loop().time() + 20
            while asyncio.get_running_loop().time() < deadline:
                fresh = _worker_pids(gateway)
                if fresh and fresh != [first]:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the worker was not started again")
            await asyncio.wait_for(asyncio.gather(*tasks), 60)

        asyncio.run(run())
        stored = scratch_db.stored()
        for sender in senders:
            for text in sender.messages:
                control_id = parse_message(text).control_id
                assert stored.get(control_id) == 1, control_id  # every one, exactly once
            assert len(sender.acked) == len(sender.messages)
    finally:
        gateway.stop()


def test_the_engine_inputs_cross_a_process_boundary_unchanged() -> None:
    entry = AlarmInput(
        "02BE02000000000C",
        datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(seconds=1),
        ((147842, Decimal("72")), (150456, None)),
        ((TechnicalKind.SENSOR_OFF, True, "02BE02000000000C"),),
    )
    assert pickle.loads(pickle.dumps([entry])) == [entry]  # noqa: S301 - our own bytes
