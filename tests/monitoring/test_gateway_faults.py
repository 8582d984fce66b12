"""Faults on PostgreSQL, with the real `ketamine-clinic gateway` process:

- SIGKILL mid-stream and a restart: every acknowledged message is stored exactly once,
  and the senders' resends fill the rest;
- the database unreachable (a proxy in front of PostgreSQL is cut): no AA is sent while
  it is away, and nothing is lost when it returns.

Each test gets a scratch database of its own (created, migrated, dropped), because the
gateway is another process and must see committed data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import pytest_asyncio

from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, frame
from tests.cli.conftest import STRONG_TEST_SECRET, operator_environment
from tests.monitoring.support import T0, vitals_message
from tests.support.services import TEST_POSTGRES_URL

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]


@dataclass
class ScratchDatabase:
    url: str
    name: str
    admin_url: str

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url.replace("postgres://", "postgresql://", 1))

    def stored(self) -> dict[str, int]:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT control_id, count(*) FROM monitoring_devicemessage GROUP BY control_id"
            ).fetchall()
        return {str(cid): int(n) for cid, n in rows}  # type: ignore[call-overload]


def _with_database(url: str, name: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if port is not None:
        netloc = re.sub(r":\d+$", "", netloc) + f":{port}"
    return urlunsplit((parts.scheme, netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture
def scratch_db(tmp_path: Path) -> Iterator[ScratchDatabase]:
    name = f"kc_fault_{uuid.uuid4().hex[:10]}"
    admin = TEST_POSTGRES_URL.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = ScratchDatabase(_with_database(TEST_POSTGRES_URL, name), name, admin)
    try:
        run_in(db, tmp_path, [sys.executable, "-m", "ketamine_clinic", "migrate"], timeout_s=300)
        yield db
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in(db: ScratchDatabase, tmp_path: Path, argv: list[str], *, timeout_s: float) -> str:
    """Run one of the project's commands on the scratch database; its output."""
    done = subprocess.run(  # noqa: S603 - the project's own commands
        argv,
        env=_env(db.url, tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return operator_environment(
        DATABASE_URL=database_url,
        KC_SECRET_KEY=STRONG_TEST_SECRET,
        KC_DATA_DIR=str(tmp_path),
        KC_CLINIC_PHONE="(555) 010-0100",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GatewayProcess:
    def __init__(self, database_url: str, port: int, tmp_path: Path, *options: str) -> None:
        self.port = port
        self._rest = ""
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "ketamine_clinic", "gateway", "--port", str(port), *options],
            env=_env(database_url, tmp_path),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        # Up to "listening": before it, at most the warning that without REDIS_URL the
        # live views will not see this gateway (these tests need no live view).
        before: list[str] = []
        while "listening" not in (line := self.process.stdout.readline()):
            before.append(line)
            assert line and len(before) <= 1, before

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stdout is not None:
            self._rest = self.process.stdout.read()
            self.process.stdout.close()

    def output(self) -> str:
        """What the gateway printed after "listening" (read once it has stopped)."""
        return self._rest


@dataclass
class Sender:
    """A monitor: one message at a time, resent (same bytes) until it gets AA."""

    port: int
    messages: list[str]
    acked: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    connects: int = 0

    async def run(self, pause_s: float = 0.0) -> None:
        pending = list(self.messages)
        while pending:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            self.connects += 1
            decoder = MllpDecoder()
            try:
                while pending:
                    text = pending[0]
                    writer.write(frame(text.encode()))
                    await writer.drain()
                    replies: list[bytes] = []
                    while not replies:
                        data = await asyncio.wait_for(reader.read(65536), 5)
                        if not data:
                            raise ConnectionError("gateway closed")
                        replies = decoder.feed(data)
                    code = parse_message(replies[0].decode()).all("MSA")[0].field(1)
                    self.codes.append(code)
                    if code == "AA":
                        self.acked.append(parse_message(text).control_id)
                        pending.pop(0)
                        if pause_s:
                            await asyncio.sleep(pause_s)
                    else:
                        await asyncio.sleep(0.1)  # AE: the store failed; resend shortly
            except (OSError, TimeoutError):
                await asyncio.sleep(0.05)  # connection lost: reconnect, resend the same bytes
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()


def _messages(sender: int, count: int) -> list[str]:
    device = f"00A0C9FFFE{sender:06X}"
    return [
        vitals_message(f"S{sender}-{n}", T0 + timedelta(seconds=n), device=device)
        for n in range(count)
    ]


async def _wait_for(condition: object, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_sigkill_mid_stream_loses_no_acknowledged_message(
    scratch_db: ScratchDatabase, tmp_path: Path
) -> None:
    port = _free_port()
    gateway = GatewayProcess(scratch_db.url, port, tmp_path)
    senders = [Sender(port, _messages(n, 150)) for n in range(8)]
    tasks = [asyncio.create_task(s.run()) for s in senders]
    try:
        await _wait_for(lambda: sum(len(s.acked) for s in senders) >= 300, 60)
        acked_before_kill = {cid for s in senders for cid in s.acked}
        gateway.kill()
        # Everything acknowledged before the kill is already in the database.
        stored = scratch_db.stored()
        assert acked_before_kill <= set(stored)
        gateway = await asyncio.to_thread(GatewayProcess, scratch_db.url, port, tmp_path)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    finally:
        for task in tasks:
            task.cancel()
        gateway.stop()
    stored = scratch_db.stored()
    everything = {parse_message(m).control_id for s in senders for m in s.messages}
    assert set(stored) == everything
    assert set(stored.values()) == {1}  # exactly once, resends included
    assert any(s.connects > 1 for s in senders)  # they did reconnect and resend


class CuttableProxy:
    """A TCP proxy to PostgreSQL that can be cut (refuses and drops connections)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.port = _free_port()
        self.links: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.links.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest_asyncio.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    target = urlsplit(TEST_POSTGRES_URL).port or 5432
    p = CuttableProxy(target)
    await p.up()
    yield p
    await p.cut()


@pytest.mark.asyncio
async def test_no_aa_while_the_database_is_away_and_nothing_lost_when_it_returns(
    scratch_db: ScratchDatabase, tmp_path: Path, proxy: CuttableProxy
) -> None:
    port = _free_port()
    via_proxy = _with_database(TEST_POSTGRES_URL, scratch_db.name, proxy.port)
    gateway = await asyncio.to_thread(GatewayProcess, via_proxy, port, tmp_path)
    sender = Sender(port, _messages(1, 60))
    task = asyncio.create_task(sender.run(pause_s=0.02))
    try:
        await _wait_for(lambda: len(sender.acked) >= 10, 30)
        await proxy.cut()
        acked_at_cut = len(sender.acked)
        codes_at_cut = len(sender.codes)
        await asyncio.sleep(2.0)
        # While the database is away: answers come (AE), but never AA beyond what was
        # already committed (one in flight at the cut may still have made it).
        away = sender.codes[codes_at_cut:]
        assert "AE" in away
        assert len(sender.acked) <= acked_at_cut + 1
        stored_while_away = await asyncio.to_thread(scratch_db.stored)
        assert set(sender.acked) <= set(stored_while_away)
        await proxy.up()
        await asyncio.wait_for(task, 60)
    finally:
        task.cancel()
        await asyncio.to_thread(gateway.stop)
    stored = await asyncio.to_thread(scratch_db.stored)
    assert set(stored) == {parse_message(m).control_id for m in sender.messages}
    assert set(stored.values()) == {1}
    assert sender.acked == [parse_message(m).control_id for m in sender.messages]


def test_scratch_urls_keep_the_server_and_change_the_database() -> None:
    assert (
        _with_database("postgres://postgres@127.0.0.1:5432/test", "x", 6000)
        == "postgres://postgres@127.0.0.1:6000/x"
    )
    assert os.path.basename(_with_database("postgres://h/test", "y")) == "y"
