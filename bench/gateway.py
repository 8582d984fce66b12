"""Device gateway benchmark: parse rates against python-hl7 and hl7apy, and the gateway
end to end (durable commit before ACK) on SQLite and PostgreSQL, side by side in one run.

    make bench-gateway                        # = .venv/bin/python bench/gateway.py --write
    .venv/bin/python bench/gateway.py         # print the report, leave docs/ alone
    .venv/bin/python bench/gateway.py --quick # smoke run (about three minutes)
    .venv/bin/python bench/gateway.py --only parse --only sqlite

What one run does (the issue's benchmark):

1. Parse-only rates on the same messages (the 15-OBX monitor numerics, a waveform
   message, a pump message; ``gateway_messages``): ours (``hl7_codec.parse_message``, and
   with ``pcd.interpret``), python-hl7 (``hl7.parse``) and hl7apy (``parse_message``),
   in alternating blocks in this process.
2. End to end, per database: a scratch database (SQLite file in a temp dir; PostgreSQL
   database created and dropped on 127.0.0.1:5432 as user postgres), migrated, set up
   (``gateway_setup``: rooms with a registered monitor and pump and an infusing visit,
   so every message takes the whole path: storage attached to the visit, live views,
   alarm engine), ``ketamine-clinic gateway`` as a subprocess, and the load generator
   (``gateway_load``) in another: unpaced with 50 and with 200 connections, then 200
   connections paced at the simulators' rate. Afterwards the messages stored are counted
   against the ACKs (every AA must mean stored).
3. Alarm-to-browser, per database: ``ketamine-clinic serve --gateway-port`` on the same
   database, a nurse's WebSocket on a room (``gateway_alarm``), repeated pump occlusions;
   then again under the paced background load.

Not a test; asserts nothing. Writes only its own ``gateway-bench`` region of
``docs/benchmarks.md`` and keeps the hand-written ``gateway-reading`` inside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from importlib import metadata
from pathlib import Path
from typing import Any, Final

BENCH_DIR: Final = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import gateway_alarm  # noqa: E402
from gateway_messages import mix_rate_per_s, obx_count, sample_texts  # noqa: E402
from gateway_setup import pump_eui64  # noqa: E402

REPO_ROOT: Final = BENCH_DIR.parent
DOC_PATH: Final = REPO_ROOT / "docs" / "benchmarks.md"
COMMAND: Final = "make bench-gateway   # = .venv/bin/python bench/gateway.py --write"
BLOCK_START: Final = "<!-- gateway-bench:start (bench/gateway.py --write rewrites this region) -->"
BLOCK_END: Final = "<!-- gateway-bench:end -->"
READING_START: Final = (
    "<!-- gateway-reading:start (hand-written; bench/gateway.py --write keeps it) -->"
)
READING_END: Final = "<!-- gateway-reading:end -->"

PG_HOST: Final = "127.0.0.1"
PG_PORT: Final = 5432
PG_USER: Final = "postgres"

# The floors.
FLOOR_PG_MSGS_PER_S: Final = 3000.0
FLOOR_PARSE_RATIO: Final = 10.0
FLOOR_ACK_P99_MS: Final = 100.0
FLOOR_ALARM_P99_MS: Final = 250.0
FLOOR_CONNECTIONS: Final = 200
# How long the first alarm run lasts after the server starts: past the silent rooms'
# no-data alarms (10 s) and their strips (10 s after each).
BURST_S: Final = 26.0

PY: Final = sys.executable
CLI: Final = str(Path(sys.executable).with_name("ketamine-clinic"))


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------
# 1. Parse-only
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseTiming:
    implementation: str
    seconds_per_message: float  # median over rounds

    @property
    def per_s(self) -> float:
        return 1.0 / self.seconds_per_message


def parse_implementations() -> list[tuple[str, Callable[[str], object]]]:
    import hl7
    from hl7apy.parser import parse_message as hl7apy_parse

    from ketamine_clinic.devices.hl7_codec import parse_message
    from ketamine_clinic.devices.pcd import interpret

    return [
        ("ours: `hl7_codec.parse_message`", parse_message),
        ("ours: `parse_message` + `pcd.interpret`", lambda t: interpret(parse_message(t), UTC)),
        (f"python-hl7 {metadata.version('hl7')}: `hl7.parse`", hl7.parse),
        (f"hl7apy {metadata.version('hl7apy')}: `parser.parse_message` (defaults)", hl7apy_parse),
    ]


def check_parsers(texts: dict[str, str]) -> None:
    """Every implementation reads every message, with all its OBX rows (not a timing)."""
    import hl7
    from hl7apy.parser import parse_message as hl7apy_parse

    from ketamine_clinic.devices.hl7_codec import parse_message

    for label, text in texts.items():
        want = obx_count(text)
        ours = sum(1 for s in parse_message(text).segments if s.id == "OBX")
        peer = len(hl7.parse(text).segments("OBX"))
        apy = sum(1 for s in hl7apy_parse(text, find_groups=False).children if s.name == "OBX")
        if not want == ours == peer == apy:
            raise SystemExit(f"{label}: OBX rows differ: {want} {ours} {peer} {apy}")


def time_block(fn: Callable[[str], object], text: str, block_s: float) -> float:
    """Seconds per call: calls in a loop for about ``block_s``."""
    n = 1
    while True:
        began = time.perf_counter()
        for _ in range(n):
            fn(text)
        elapsed = time.perf_counter() - began
        if elapsed >= block_s:
            return elapsed / n
        n = max(n * 2, int(n * block_s / max(elapsed, 1e-6) * 1.1))


def parse_bench(rounds: int, block_s: float) -> dict[str, list[ParseTiming]]:
    texts = sample_texts()
    check_parsers(texts)
    implementations = parse_implementations()
    out: dict[str, list[ParseTiming]] = {}
    for label, text in texts.items():
        samples: dict[str, list[float]] = {name: [] for name, _ in implementations}
        for _name, fn in implementations:
            time_block(fn, text, block_s / 4)  # warm-up, untimed
        for _ in range(rounds):  # alternating blocks: other work falls on all alike
            for name, fn in implementations:
                samples[name].append(time_block(fn, text, block_s))
        out[label] = [
            ParseTiming(name, statistics.median(samples[name])) for name, _ in implementations
        ]
        log(
            f"parse {label}: "
            + ", ".join(f"{t.implementation.split(':')[0]} {t.per_s:,.0f}/s" for t in out[label])
        )
    return out


# ----------------------------------------------------------------------------------------
# 2-3. End to end
# ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc/<pid>/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in children.read_text().split()]
    return found


def database_cpu_s(scratch: Scratch) -> float | None:
    """CPU seconds so far of the PostgreSQL server processes serving the scratch database
    (its connections' backends; the server's shared WAL writer and checkpointer are not
    counted). None on SQLite, which works inside the gateway's process."""
    if not scratch.backend.startswith("PostgreSQL"):
        return None
    import psycopg

    name = scratch.url.rsplit("/", 1)[1]
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchall()
        ]
    return sum(process_cpu_s(pid) for pid in pids)


@dataclass
class Server:
    """A ``ketamine-clinic`` subprocess, its output in a file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(
        cls, argv: list[str], env: dict[str, str], log_path: Path, ready: Sequence[str]
    ) -> Server:
        out = log_path.open("wb")
        process = subprocess.Popen(  # noqa: S603 - the project's own commands
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
        server = cls(process, log_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if all(word in text for word in ready):
                return server
            if process.poll() is not None:
                raise SystemExit(f"{argv[1]} exited: {text[-2000:]}")
            time.sleep(0.1)
        server.stop()
        raise SystemExit(f"{argv[1]} did not start: {log_path.read_text()[-2000:]}")

    def cpu_s(self) -> float:
        """User + system CPU seconds so far of the server and the processes it started
        (the gateway's worker processes), alive now."""
        return sum(process_cpu_s(pid) for pid in descendants(self.process.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Scratch:
    """A scratch database: its URL, its label and facts."""

    backend: str  # "SQLite" or "PostgreSQL"
    url: str
    facts: list[tuple[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def sqlite_scratch(workdir: Path) -> Iterator[Scratch]:
    path = workdir / "gateway-bench.sqlite3"
    yield Scratch(
        "SQLite",
        f"sqlite:///{path}",
        [("SQLite", f"{sqlite3.sqlite_version}; WAL, synchronous=NORMAL (the clinic's settings)")],
    )


@contextlib.contextmanager
def postgres_scratch() -> Iterator[Scratch]:
    import psycopg

    name = f"kc_gateway_bench_{os.getpid()}"
    admin = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        settings = {
            key: str(conn.execute(f"SHOW {key}").fetchone()[0])  # type: ignore[index]
            for key in ("synchronous_commit", "fsync", "shared_buffers", "max_connections")
        }
    try:
        yield Scratch(
            "PostgreSQL",
            f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}",
            [
                ("PostgreSQL", version),
                ("PostgreSQL settings", ", ".join(f"{k}={v}" for k, v in settings.items())),
            ],
        )
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def env_for(url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=url,
        KC_SECRET_KEY="gateway-bench-only-not-a-secret",  # noqa: S106 - scratch server
        KC_DATA_DIR=str(workdir),
        PYTHONPATH=str(REPO_ROOT / "src"),
    )
    return env


def run_json(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - the project's own commands
        argv, env=env, capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load_argv(
    port: int, connections: int, seconds: float, warmup: float, rate: float, tag: str
) -> list[str]:
    return [
        PY, str(BENCH_DIR / "gateway_load.py"), "--port", str(port),
        "--connections", str(connections), "--seconds", str(seconds),
        "--warmup", str(warmup), "--rate", str(rate), "--tag", tag,
    ]  # fmt: skip


@dataclass
class LoadPhase:
    label: str
    result: dict[str, Any]
    gateway_cpu_s: float
    load_average: float  # 1 min, when the phase started: what else ran
    database_cpu_s: float | None = None

    @property
    def database_cores(self) -> float | None:
        if self.database_cpu_s is None:
            return None
        return self.database_cpu_s / float(self.result["wall_s"])

    @property
    def cpu_us_per_message(self) -> float:
        """Gateway plus database CPU per stored message (the load generator's aside)."""
        rate = float(self.result["msgs_per_s"])
        cores = self.gateway_cores + (self.database_cores or 0.0)
        return cores / rate * 1e6 if rate else float("nan")

    @property
    def gateway_cores(self) -> float:
        return self.gateway_cpu_s / float(self.result["wall_s"])

    @property
    def load_cores(self) -> float:
        return float(self.result["cpu_s"]) / float(self.result["wall_s"])


@dataclass
class AlarmRun:
    label: str
    times: gateway_alarm.AlarmTimes
    background: dict[str, Any] | None = None
    load_average: float = field(default_factory=lambda: os.getloadavg()[0])


@dataclass
class BackendResult:
    scratch: Scratch
    phases: list[LoadPhase] = field(default_factory=list)
    acknowledged: int = 0
    stored: int = 0
    on_a_visit: int = 0
    alarms: list[AlarmRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_backend(
    scratch: Scratch, workdir: Path, args: argparse.Namespace, run_tag: str
) -> BackendResult:
    result = BackendResult(scratch)
    env = env_for(scratch.url, workdir)
    rooms = max(args.connections)
    log(f"{scratch.backend}: migrate and set up {rooms} rooms ...")
    done = subprocess.run(  # noqa: S603 - the project's own command
        [CLI, "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"migrate failed: {done.stderr[-3000:]}")
    setup = run_json([PY, str(BENCH_DIR / "gateway_setup.py"), "setup", "--rooms", str(rooms)], env)
    tag = f"{run_tag}{scratch.backend[0]}"
    port = free_port()
    gateway = Server.start(
        [CLI, "gateway", "--port", str(port), *args.gateway_option], env,
        workdir / f"gateway-{scratch.backend}.log",
        ["listening"],
    )  # fmt: skip
    try:
        plan = [(f"unpaced, {m} connections", m, 0.0) for m in args.connections]
        plan.append((f"paced {args.rate:g} msg/s each, {rooms} connections", rooms, args.rate))
        if scratch.backend == "PostgreSQL":
            # Both floors at once: the sustained rate, offered by the floor's connections
            # at their own pace (not faster as ACKs come back), with its ACK tail.
            each = FLOOR_PG_MSGS_PER_S / FLOOR_CONNECTIONS
            plan.append((
                f"paced {each:g} msg/s each, {FLOOR_CONNECTIONS} connections "
                f"({FLOOR_PG_MSGS_PER_S:,.0f} msg/s offered)", FLOOR_CONNECTIONS, each,
            ))  # fmt: skip
        for n, (label, m, rate) in enumerate(plan):
            log(f"{scratch.backend}: {label}, {args.seconds:g} s ...")
            cpu0, db0 = gateway.cpu_s(), database_cpu_s(scratch)
            load_average = os.getloadavg()[0]
            load = run_json(load_argv(port, m, args.seconds, args.warmup, rate, f"{tag}{n}"))
            db1 = database_cpu_s(scratch)
            phase = LoadPhase(
                label, load, gateway.cpu_s() - cpu0, load_average,
                None if db0 is None or db1 is None else db1 - db0,
            )  # fmt: skip
            result.phases.append(phase)
            result.acknowledged += int(load["codes"].get("AA", 0))
            log(
                f"{scratch.backend}:   {load['msgs_per_s']:,.0f} msg/s, p50 {load['ack_p50_ms']:.1f} ms, "
                f"p99 {load['ack_p99_ms']:.1f} ms, {load['codes']}, gateway {phase.gateway_cores:.2f} "
                f"cores, database {phase.database_cores or 0:.2f} "
                f"cores, load generator {phase.load_cores:.2f}"
            )
    finally:
        gateway.stop()
    counted = run_json([PY, str(BENCH_DIR / "gateway_setup.py"), "count"], env)
    result.stored = int(counted["device_messages"])
    result.on_a_visit = int(counted["on_a_visit"])
    log(f"{scratch.backend}: {result.acknowledged} acknowledged (AA), {result.stored} stored")
    if args.alarms > 0:
        measure_alarms(result, env, workdir, args, setup, tag)
    return result


def measure_alarms(
    result: BackendResult, env: dict[str, str], workdir: Path, args: argparse.Namespace,
    setup: dict[str, Any], tag: str,
) -> None:  # fmt: skip
    """Alarm to browser with web, gateway and engine in one process (`serve
    --gateway-port`, in-memory layer), and on PostgreSQL also as a clinic deploys it: the
    gateway's processes and a web server apart, sharing a Redis channel layer."""
    web_port, gw_port = free_port(), free_port()
    name = result.scratch.backend
    server = Server.start(
        [CLI, "serve", "--port", str(web_port), "--gateway-port", str(gw_port)], env,
        workdir / f"serve-{name}.log", ["listening", "Serving on"],
    )  # fmt: skip
    try:
        alarm_phases(result, args, setup, tag, web_port, gw_port, "")
    finally:
        server.stop()
    if not name.startswith("PostgreSQL") or not REDIS_FOR_BENCH:
        return
    split_env = {**env, "REDIS_URL": REDIS_FOR_BENCH}
    web_port, gw_port = free_port(), free_port()
    gateway = Server.start(
        [CLI, "gateway", "--port", str(gw_port), *args.gateway_option], split_env,
        workdir / f"gateway-split-{name}.log", ["listening"],
    )  # fmt: skip
    try:
        web = Server.start(
            [CLI, "serve", "--port", str(web_port)], split_env,
            workdir / f"web-split-{name}.log", ["Serving on"],
        )  # fmt: skip
        try:
            alarm_phases(result, args, setup, f"{tag}s", web_port, gw_port, SPLIT_PREFIX)
        finally:
            web.stop()
    finally:
        gateway.stop()


# A Redis database of the bench's own, so its groups never meet a test run's or a demo's.
REDIS_FOR_BENCH: Final = os.environ.get("KC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
SPLIT_PREFIX: Final = "`gateway` processes + `serve`, Redis layer: "


def alarm_phases(
    result: BackendResult, args: argparse.Namespace, setup: dict[str, Any], tag: str,
    web_port: int, gw_port: int, prefix: str,
) -> None:  # fmt: skip
    room_id = int(setup["room_ids"][0])

    def occlusions(repeats: int, tag: str, until: float = 0.0) -> gateway_alarm.AlarmTimes:
        return asyncio.run(
            gateway_alarm.measure(
                web_port=web_port,
                gateway_port=gw_port,
                room_id=room_id,
                pump_eui64=pump_eui64(1),
                cookie=str(setup["cookie"]),
                repeats=repeats,
                tag=tag,
                until=until,
            )
        )

    # Every other room has an infusing visit and a silent monitor: 10 s after the
    # engine starts watching them, each raises "no data" (heart rate and SpO2), and
    # 10 s later each alarm's strip is copied, all on the alarm runtime's one writer.
    # The first run spans that burst on purpose; the next starts after it.
    time.sleep(3.5)  # the alarm runtime's room refresh (3 s) has seen the visits
    name = result.scratch.backend
    log(f"{name}: {prefix}alarm-to-browser during the silent rooms' no-data burst ...")
    burst = occlusions(1, f"{tag}u", time.perf_counter() + BURST_S)
    silent = len(setup["room_ids"]) - 1
    result.alarms.append(
        AlarmRun(f"{prefix}during a burst: {silent} silent rooms raise no-data alarms", burst)
    )
    log(f"{name}:   {summary_ms(burst.raised_s, burst.raised_at_s)}")
    log(f"{name}: {prefix}alarm-to-browser, {args.alarms} occlusions, no other traffic ...")
    began = time.perf_counter()
    idle = occlusions(args.alarms, f"{tag}i")
    idle_wall = time.perf_counter() - began
    result.alarms.append(AlarmRun(f"{prefix}no other traffic (alarms settled)", idle))
    log(f"{name}:   {summary_ms(idle.raised_s, idle.raised_at_s)}")
    rooms = max(args.connections)
    label = f"{prefix}under {rooms} connections paced at {args.rate:g} msg/s each"
    log(f"{name}: alarm-to-browser {label} ...")
    warmup = 8.0  # the no-data alarms clear as data comes: let that settle first
    load = subprocess.Popen(  # noqa: S603 - the bench's own load generator
        load_argv(gw_port, rooms, idle_wall * 1.5 + 5, warmup, args.rate, f"{tag}b"),
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    time.sleep(warmup)
    busy = occlusions(args.alarms, f"{tag}l")
    out, _ = load.communicate(timeout=600)
    background = json.loads(out.strip().splitlines()[-1]) if load.returncode == 0 else None
    result.alarms.append(AlarmRun(label, busy, background))
    log(f"{name}:   {summary_ms(busy.raised_s, busy.raised_at_s)}")


def summary_ms(values: Sequence[float], sent_at: Sequence[float] = ()) -> str:
    """Percentiles, and the slowest five with when they were sent (s into the run)."""
    if not values:
        return "no samples"
    slowest = sorted(range(len(values)), key=lambda i: -values[i])[:5]
    at = [t - sent_at[0] for t in sent_at] if len(sent_at) == len(values) else []
    return (
        f"p50 {1000 * pct(values, 0.5):.1f} ms, p99 {1000 * pct(values, 0.99):.1f} ms "
        f"(n={len(values)}); slowest: "
        + ", ".join(
            f"#{i} {1000 * values[i]:.0f} ms" + (f" at {at[i]:.1f} s" if at else "")
            for i in slowest
        )
    )


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile, as the load generator computes it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


# ----------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------


def machine_facts(backends: Sequence[BackendResult]) -> list[tuple[str, str]]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    facts = [
        ("cores (os.cpu_count)", str(os.cpu_count())),
        ("CPU (/proc/cpuinfo)", cpu),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("clinic (git)", commit),
        ("Python", platform.python_version()),
    ]
    for backend in backends:
        facts += backend.scratch.facts
    for package in (
        "hl7",
        "hl7apy",
        "Django",
        "channels",
        "uvicorn",
        "websockets",
        "uvloop",
        "psycopg",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            facts.append((package, metadata.version(package)))
    return facts


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**NOT met**")


def floors(
    parse: dict[str, list[ParseTiming]], backends: Sequence[BackendResult]
) -> list[list[str]]:
    rows: list[list[str]] = []
    pg = next((b for b in backends if b.scratch.backend == "PostgreSQL"), None)
    unpaced = [p for p in pg.phases if p.result["rate_per_connection"] == 0] if pg else []
    best = max(unpaced, key=lambda p: p.result["msgs_per_s"], default=None)
    rows.append([
        f"end to end on PostgreSQL, load generator on the same machine: >= {FLOOR_PG_MSGS_PER_S:,.0f} msg/s sustained",
        f"{best.result['msgs_per_s']:,.0f} msg/s ({best.label})" if best else "-",
        verdict(None if best is None else best.result["msgs_per_s"] >= FLOOR_PG_MSGS_PER_S),
    ])  # fmt: skip
    main_label = next(iter(parse), None)
    if main_label is not None:
        timings = {t.implementation.split(":")[0]: t for t in parse[main_label]}
        ours = parse[main_label][0]
        with_interpret = parse[main_label][1]
        peer = next(t for t in parse[main_label] if t.implementation.startswith("python-hl7"))
        ratio = ours.per_s / peer.per_s
        rows.append([
            f"codec parse-only rate >= {FLOOR_PARSE_RATIO:g}x python-hl7's ({main_label})",
            f"{ratio:.1f}x ({ours.per_s:,.0f}/s against {peer.per_s:,.0f}/s); with "
            f"`pcd.interpret` {with_interpret.per_s / peer.per_s:.1f}x",
            verdict(ratio >= FLOOR_PARSE_RATIO),
        ])  # fmt: skip
        del timings
    for backend in backends:
        paced = [p for p in backend.phases if p.result["rate_per_connection"] > 0]
        unp200 = [
            p for p in backend.phases
            if p.result["rate_per_connection"] == 0 and p.result["connections"] == FLOOR_CONNECTIONS
        ]  # fmt: skip
        for phase in paced + unp200:
            p99 = phase.result["ack_p99_ms"]
            rows.append([
                f"p99 ACK < {FLOOR_ACK_P99_MS:g} ms with {FLOOR_CONNECTIONS} connections "
                f"({backend.scratch.backend}, {phase.label.split(',')[0]})",
                f"{p99:.1f} ms (p50 {phase.result['ack_p50_ms']:.1f} ms)",
                verdict(p99 < FLOOR_ACK_P99_MS),
            ])  # fmt: skip
    for backend in backends:
        for run in backend.alarms:
            values = run.times.raised_s
            p99 = 1000 * pct(values, 0.99)
            rows.append([
                f"p99 alarm-to-browser < {FLOOR_ALARM_P99_MS:g} ms ({backend.scratch.backend}, {run.label})",
                f"{p99:.1f} ms (n={len(values)}, missed {run.times.missed})",
                verdict(bool(values) and run.times.missed == 0 and p99 < FLOOR_ALARM_P99_MS),
            ])  # fmt: skip
    return rows


def render(
    parse: dict[str, list[ParseTiming]],
    backends: Sequence[BackendResult],
    args: argparse.Namespace,
    load: tuple[float, float],
    started: str,
    reading: str,
    command: str,
) -> str:
    lines = [
        BLOCK_START,
        "",
        "## Device gateway: parse rates and end to end on SQLite and PostgreSQL",
        "",
        "Generated by `bench/gateway.py` (only its reading is written by hand). Reproduce with:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        f"This run: `{command}`.",
        "",
        "Everything runs on this one machine: the gateway (or `serve`) as a subprocess, the "
        "load generator in another process (asyncio, uvloop when installed), the database "
        "server beside them. Times are `time.perf_counter` in the measuring process. The "
        "bench asserts nothing and is not part of the test suite.",
        "",
        "### Machine",
        "",
        *md_table(
            ["", ""],
            [
                *machine_facts(backends),
                ("load average at start / end", f"{load[0]:.2f} / {load[1]:.2f} (1 min)"),
                ("run", started),
            ],
        ),
        "",
    ]
    if load[0] > 0.5 * (os.cpu_count() or 1):
        lines += [
            f"**The machine was busy at the start (load average {load[0]:.2f} on "
            f"{os.cpu_count()} cores): other work shares the CPU with the gateway, the "
            "load generator and the database, so these numbers are low; rerun on a quiet "
            "machine.**",
            "",
        ]
    lines += [
        "### Floors (from the issue)",
        "",
        *md_table(["floor", "measured", "verdict"], floors(parse, backends)),
        "",
    ]
    lines += [
        "### Messages",
        "",
        "Built by the clinic's own builders (`devices/pcd_build`) from a virtual patient "
        "(`bench/gateway_messages.py`); every one reads back through `pcd.interpret` and "
        "passes hl7apy's strict parse.",
        "",
        *md_table(
            ["message", "bytes", "OBX rows"],
            [
                [label, f"{len(text):,}", str(obx_count(text))]
                for label, text in sample_texts().items()
            ],
        ),
        "",
        f"A room's link sends the simulators' mix: every second the monitor's numerics and "
        f"a waveform message, every 5 s the pump's numerics ({mix_rate_per_s():g} messages/s "
        "per room). Each send is a distinct message (fresh MSH-10), so each must be stored.",
        "",
    ]
    if parse:
        lines += [
            "### 1. Parse-only rates, same messages, same process",
            "",
            f"Median over {args.parse_rounds} alternating blocks of about "
            f"{args.parse_block_s:g} s per implementation and message, after an untimed "
            "warm-up. hl7apy runs with its defaults (tolerant validation, groups found), "
            "python-hl7 splits segments, fields, repetitions and components.",
            "",
        ]
        for label, timings in parse.items():
            ours, ours_full = timings[0], timings[1]
            rows = [
                [
                    t.implementation,
                    f"{1e6 * t.seconds_per_message:,.1f} us",
                    f"{t.per_s:,.0f}",
                    "-" if i < 2 else f"{ours.per_s / t.per_s:,.1f}x",
                    "-" if i < 2 else f"{ours_full.per_s / t.per_s:,.1f}x",
                ]
                for i, t in enumerate(timings)
            ]
            lines += [f"**{label}**", "", *md_table(
                ["implementation", "per message", "messages/s", "ours (parse) is", "ours (parse + interpret) is"],
                rows,
            ), ""]  # fmt: skip
    for backend in backends:
        lines += end_to_end_section(backend, args)
    lines += ["### Reading", "", READING_START, reading.strip(), READING_END, "", BLOCK_END]
    return "\n".join(lines)


def end_to_end_section(backend: BackendResult, args: argparse.Namespace) -> list[str]:
    name = backend.scratch.backend
    rows = []
    for phase in backend.phases:
        r = phase.result
        codes = r["codes"]
        rows.append([
            phase.label,
            f"{r['msgs_per_s']:,.0f}",
            f"{r['ack_p50_ms']:.1f}", f"{r['ack_p90_ms']:.1f}", f"{r['ack_p99_ms']:.1f}", f"{r['ack_max_ms']:.1f}",
            f"{codes.get('AA', 0):,} / {codes.get('AE', 0)} / {codes.get('AR', 0)} / {r['timeouts']}",
            f"{phase.gateway_cores:.2f}",
            "-" if phase.database_cores is None else f"{phase.database_cores:.2f}",
            f"{phase.cpu_us_per_message:,.0f}", f"{phase.load_cores:.2f}",
            "-" if not r["rate_per_connection"] else f"{r['late_sends']} (p99 {r['late_p99_ms']:.0f} ms)",
            f"{phase.load_average:.2f}",
        ])  # fmt: skip
    same = backend.stored == backend.acknowledged
    lines = [
        f"### 2. End to end on {name}: `ketamine-clinic gateway`, durable commit before ACK",
        "",
        f"{max(args.connections)} rooms, each with a registered monitor and pump and an "
        "infusing visit, so each message takes the whole path (stored and attached to the "
        "visit, published to the live views, numerics through the alarm engine). Each "
        f"phase: {args.warmup:g} s warm-up, then a {args.seconds:g} s window; rate = ACKs of "
        "messages sent in the window / window; latency from the write of a message to the "
        "end of its ACK. Gateway (all its processes), database (the PostgreSQL backends "
        "serving the bench's database) and load-generator CPU in cores (CPU seconds / "
        "wall); CPU us/msg = (gateway + database) CPU per acknowledged message.",
        "",
        *md_table(
            [
                "phase",
                "msg/s",
                "ACK p50 ms",
                "p90",
                "p99",
                "max",
                "AA / AE / AR / timeouts",
                "gateway CPU",
                "database CPU",
                "CPU us/msg",
                "load gen. CPU",
                "late sends",
                "load avg. at start",
            ],
            rows,
        ),
        "",
        f"Every ACK means stored: {backend.acknowledged:,} AA over the run, "
        f"{backend.stored:,} messages in the database afterwards: "
        f"**{'equal' if same else 'DIFFERENT'}**; {backend.on_a_visit:,} of them placed on "
        "the visit running in their device's room.",
        "",
    ]
    if backend.alarms:
        arows = []
        for run in backend.alarms:
            t = run.times
            bg = run.background
            arows.append([
                run.label,
                str(len(t.raised_s)),
                f"{1000 * pct(t.raised_s, 0.5):.1f}", f"{1000 * pct(t.raised_s, 0.99):.1f}",
                f"{1000 * max(t.raised_s):.1f}" if t.raised_s else "-",
                str(t.missed),
                f"{1000 * pct(t.cleared_s, 0.5):.1f} / {1000 * pct(t.cleared_s, 0.99):.1f}",
                f"{1000 * pct(t.ack_s, 0.5):.1f} / {1000 * pct(t.ack_s, 0.99):.1f}",
                "-" if bg is None else f"{bg['msgs_per_s']:,.0f} msg/s, ACK p99 {bg['ack_p99_ms']:.1f} ms",
                f"{run.load_average:.2f}",
            ])  # fmt: skip
        lines += [
            f"### 3. Alarm to browser on {name}",
            "",
            "A nurse's WebSocket on room 1 (session cookie, the page's Origin); the pump's "
            "link sends a PCD-04 occlusion start (ST, `MDC_EVT_PUMP_OCCL`), the time runs "
            "from writing it to the `alarms` payload listing the occlusion; then its end, "
            "and the time to the list without it. First `ketamine-clinic serve "
            "--gateway-port`: web, gateway and alarm engine in one process (in-memory "
            "channel layer), as `make demo` runs them. On PostgreSQL then as a clinic "
            "deploys them (rows marked): `ketamine-clinic gateway` (its processes; the pump's "
            "connection lands on any of them, and a worker hands the occlusion to the "
            "primary's engine over its pipe) and `ketamine-clinic serve` apart, the alarm "
            "going from the engine to the page through Redis. The other rooms have "
            "infusing visits and silent monitors: the first run of each spans their "
            "no-data alarms (raised 10 s after the engine starts watching, each alarm's "
            "strip copied 10 s later, all on the alarm runtime's one writer thread); the "
            "next two start after that burst.",
            "",
            *md_table(
                [
                    "traffic",
                    "n",
                    "raised p50 ms",
                    "p99",
                    "max",
                    "missed",
                    "cleared p50 / p99 ms",
                    "PCD-04 ACK p50 / p99 ms",
                    "background load",
                    "load avg. at end",
                ],
                arows,
            ),
            "",
        ]
    for note in backend.notes:
        lines += [f"- {note}"]
    return lines


def existing_reading(text: str) -> str:
    start, end = text.find(READING_START), text.find(READING_END)
    if start < 0 or end < 0:
        return "(Write the reading here after the first full run.)"
    return text[start + len(READING_START) : end]


def write_block(text: str, block: str) -> str:
    """Put ``block`` in place of the old one, or at the end; other regions are kept."""
    start, end = text.find(BLOCK_START), text.find(BLOCK_END)
    if start >= 0 and end >= 0:
        return text[:start] + block + text[end + len(BLOCK_END) :]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write into {DOC_PATH.name}")
    parser.add_argument("--quick", action="store_true", help="smoke run (about three minutes)")
    parser.add_argument(
        "--only", action="append", choices=["parse", "sqlite", "postgres"],
        help="run only these parts (repeatable)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=None, help="measured window per phase")
    parser.add_argument(
        "--alarms", type=int, default=None, help="occlusions per alarm run (0: none)"
    )
    parser.add_argument(
        "--gateway-option", action="append", default=[], metavar="OPTION",
        help="an option for `ketamine-clinic gateway`, e.g. --gateway-option=--processes=1 "
        "(repeatable; the report names them)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    quick = args.quick
    args.seconds = args.seconds if args.seconds is not None else (5.0 if quick else 20.0)
    args.warmup = 2.0 if quick else 3.0
    args.alarms = args.alarms if args.alarms is not None else (20 if quick else 100)
    args.parse_rounds = 3 if quick else 7
    args.parse_block_s = 0.2 if quick else 0.5
    args.connections = [50, FLOOR_CONNECTIONS]
    args.rate = mix_rate_per_s()
    parts = set(args.only or ["parse", "sqlite", "postgres"])
    command = " ".join([".venv/bin/python bench/gateway.py", *argv])
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run_tag = format(int(time.time()) % 0xFFFFFF, "x")
    load_start = os.getloadavg()[0]
    if load_start > 0.5 * (os.cpu_count() or 1):
        log(f"load average is {load_start:.2f}: other work will disturb the timings")
    parse = parse_bench(args.parse_rounds, args.parse_block_s) if "parse" in parts else {}
    backends: list[BackendResult] = []
    workdir = Path(tempfile.mkdtemp(prefix="kc-gateway-bench-"))
    try:
        if "sqlite" in parts:
            with sqlite_scratch(workdir) as scratch:
                backends.append(measure_backend(scratch, workdir, args, run_tag))
        if "postgres" in parts:
            try:
                context = postgres_scratch()
                scratch = context.__enter__()
            except Exception as error:  # the server is not there: say so in the report
                log(f"PostgreSQL not measured: {error}")
            else:
                try:
                    backends.append(measure_backend(scratch, workdir, args, run_tag))
                finally:
                    context.__exit__(None, None, None)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_end = os.getloadavg()[0]
    current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    block = render(
        parse, backends, args, (load_start, load_end), started, existing_reading(current), command
    )
    print(block)
    if load_start > 0.5 * (os.cpu_count() or 1):
        log(f"load average was {load_start:.2f} at the start: consider a rerun on a quiet machine")
    if args.write:
        DOC_PATH.write_text(write_block(current, block))
        log(f"wrote {DOC_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
