"""Page benchmark: every staff page of the generated clinic, through the real server.

For SQLite and then PostgreSQL in one run: migrate an empty database, fill it with
``ketamine-clinic generate --patients 6000 --infusions 19000`` (the issue's scale), start
``ketamine-clinic serve``, sign in one account per role (a session made directly in the
session store, second factor marked verified as a real sign-in leaves it), and request
every GET view the URL patterns declare (``access.matrix.endpoints``) as every role its
policy admits, with sample parameters taken from the generated data (several patients
and visits for the patient-specific pages), from concurrent clients. Reports each
page's p50 / p95 / max and the overall p95 against the issue's floor (p95 < 500 ms) in
``docs/benchmarks.md`` between ``<!-- pages:begin -->`` and ``<!-- pages:end -->``.
Not a test; asserts nothing.

    make bench-pages                          # = .venv/bin/python bench/pages.py --write
    .venv/bin/python bench/pages.py --backends sqlite --patients 600 --infusions 1900  # smoke
    .venv/bin/python bench/pages.py --backends sqlite --clients 2 --pages chart,dispensing
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
BIN: Final = ROOT / ".venv" / "bin"
DOCS: Final = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- pages:begin -->", "<!-- pages:end -->"
READING_START: Final = (
    "<!-- pages-reading:start (hand-written; bench/pages.py --write keeps it) -->"
)
READING_END: Final = "<!-- pages-reading:end -->"
# Where the kept reading goes in a new report (replaced on --write; printed as is).
READING_PLACE: Final = "(the hand-written reading, kept from the last report)"
FLOOR_MS: Final = 500.0
TIMEOUT_S: Final = 120
POSTGRES_ADMIN_URL: Final = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_DB: Final = "kc_bench_pages"
WORKERS: Final = 2  # server processes, on both backends (see main)
# Sample objects per parameter: (app.Model, how many). Patient-specific pages get several.
SAMPLE_MODELS: Final = {
    "patient_id": ("patients.Patient", 5), "visit_id": ("visits.Visit", 5),
    "course_id": ("courses.Course", 3), "user_id": ("accounts.User", 1),
    "room_id": ("booking.Room", 1), "container_id": ("inventory.Container", 2),
    "receipt_id": ("inventory.Receipt", 2), "weight_id": ("patients.WeightMeasurement", 1),
    "diagnosis_id": ("patients.Diagnosis", 1), "flag_id": ("assessments.RiskFlag", 2),
    "supplier_id": ("inventory.Supplier", 1), "entry_id": ("inventory.StockEntry", 1),
    "assessment_id": ("screening.ScreeningAssessment", 1), "count_id": ("inventory.Count", 1),
    "discrepancy_id": ("inventory.Discrepancy", 1), "document_id": ("consent.ConsentDocument", 1),
    "signature_id": ("consent.ConsentSignature", 1), "shift_id": ("booking.StaffShift", 1),
    "device_id": ("monitoring.Device", 1), "alarm_id": ("monitoring.Alarm", 1),
    "allergy_id": ("patients.Allergy", 1), "medication_id": ("patients.Medication", 1),
}  # fmt: skip


# ---- inside the server's environment (a subprocess): sessions and the pages ---------


def prepare() -> None:
    """Print JSON: a session cookie per role and every page to request (with its roles)."""
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketamine_clinic.access.matrix import allowed_personas, endpoints
    from ketamine_clinic.accounts.enums import Role
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.accounts.selectors import second_factor_required
    from ketamine_clinic.accounts.services.users import user_set_roles

    personas: dict[str, User] = {}
    cookies: dict[str, str] = {}
    for role in Role:
        user, created = User.objects.get_or_create(
            username=f"bench-{role.value}", defaults={"first_name": "Bench"}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user_set_roles(user=user, roles=(role,), by=None)
        personas[role.value] = user
        client = Client()
        client.force_login(user)
        if second_factor_required(user):
            device = TOTPDevice.objects.filter(
                user=user, confirmed=True
            ).first() or TOTPDevice.objects.create(
                user=user, name="Bench authenticator", confirmed=True
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        cookies[role.value] = client.cookies[settings.SESSION_COOKIE_NAME].value
    samples: dict[str, list[object]] = {}
    for name, (label, count) in SAMPLE_MODELS.items():
        model = apps.get_model(label)
        query = model.objects.order_by("pk")
        if label == "visits.Visit":
            query = query.filter(state="discharged")
        if label == "patients.Patient":
            query = query.filter(visits__state="discharged").distinct()
        ids = list(
            query.values_list("pk", flat=True)[: count * 50 : 50]
            or query.values_list("pk", flat=True)[:count]
        )
        samples[name] = ids
    pages = []
    for endpoint in endpoints():
        if (
            endpoint.is_api
            or endpoint.method != "GET"
            or endpoint.policy is None
            or endpoint.url_name is None
        ):
            continue
        roles = sorted(allowed_personas(endpoint.policy, personas))
        if not roles:
            continue
        variants = max((len(samples.get(p, [])) for p in endpoint.params), default=1) or 1
        missing = [p for p in endpoint.params if not samples.get(p)]
        if missing:
            pages.append({"key": endpoint.key, "url": None, "roles": roles, "missing": missing})
            continue
        for n in range(variants):
            kwargs = {p: samples[p][n % len(samples[p])] for p in endpoint.params}
            pages.append(
                {
                    "key": endpoint.key,
                    "url": reverse(endpoint.url_name, kwargs=kwargs),
                    "roles": roles,
                }
            )
    print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": cookies, "pages": pages}))


# ---- the orchestrating process -------------------------------------------------------


@dataclass
class Backend:
    name: str
    database_url: str
    workers: int


REDIS_FOR_BENCH: Final = os.environ.get("KC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def _env(backend: Backend, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KC_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=backend.database_url,
        KC_DATA_DIR=str(data_dir),
        KC_SECRET_KEY="bench-only-" + "x7Qp2Lm9Zr4Tv8Kw3Nd6Hs1Jf5Bg0Yc-" * 2,
        KC_SECURE_COOKIES="0",
        KC_ALLOWED_HOSTS="127.0.0.1,localhost",
        KC_CLINIC_PHONE="(555) 010-0142",
        DJANGO_SETTINGS_MODULE="ketamine_clinic.config.django.base",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _fresh_postgres() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DB}")
        connection.execute(f"CREATE DATABASE {POSTGRES_DB}")


def _get(url: str, cookie: str) -> tuple[float, int]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - our own server
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except OSError:  # a timeout: reported as status 0 with the time waited
        status = 0
    return (time.perf_counter() - started) * 1000, status


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_backend(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"kc-bench-{backend.name}-"))
    env = _env(backend, data_dir)
    cli = str(BIN / "ketamine-clinic")
    if backend.name == "postgresql":
        _fresh_postgres()
    _run([cli, "migrate"], env)
    out = _run([cli, "generate", "--patients", str(args.patients), "--infusions", str(args.infusions),
                "--seed", str(args.seed), "--force"], env)  # fmt: skip
    generated = out.splitlines()[0]
    print(f"[{backend.name}] {generated}", flush=True)
    plan = json.loads(_run([str(BIN / "python"), __file__, "--prepare"], env))
    port = args.port
    # `serve` refuses several workers without a shared channel layer; the pages measured
    # here make no WebSocket, so Redis is named, and barely touched.
    server = subprocess.Popen(  # noqa: S603
        [cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(backend.workers)],
        env={**env, "REDIS_URL": REDIS_FOR_BENCH}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.5)
        jobs = [
            (page["key"], base + page["url"], f"{plan['cookie']}={plan['sessions'][role]}")
            for page in plan["pages"]
            if page["url"]
            and (not args.pages or any(p in page["key"] for p in args.pages.split(",")))
            for role in page["roles"]
            if role in plan["sessions"]
        ]  # fmt: skip (public pages: not staff pages)
        # Warm-up, untimed: each request once per pass. Every worker process keeps its own
        # caches (compiled templates, the outcome dashboard's count), and the kernel hands
        # each connection to either worker, so one pass leaves some first requests to the
        # timed run; workers + 1 passes leave almost none.
        with ThreadPoolExecutor(args.clients) as pool:
            for _ in range(backend.workers + 1):
                warm = list(pool.map(lambda job: _get(job[1], job[2]), jobs))
        # A POST-only action (405 to a GET) is not a page: left out, and listed.
        actions = sorted(
            {job[0] for job, (_, status) in zip(jobs, warm, strict=True) if status == 405}
        )
        jobs = [job for job, (_, status) in zip(jobs, warm, strict=True) if status != 405]
        # A page with few roles and no patient in its address gets few requests at
        # ``--rounds`` (a dashboard two roles may see: 6), and the p95 of 6 is their
        # slowest; each page is repeated until it has at least ``--min-requests``.
        per_key = Counter(job[0] for job in jobs)
        timed = [
            job
            for job in jobs
            for _ in range(max(args.rounds, math.ceil(args.min_requests / per_key[job[0]])))
        ]
        random.Random(args.seed).shuffle(timed)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(lambda job: (job[0], *_get(job[1], job[2])), timed))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    per_page: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, set[int]] = defaultdict(set)
    for key, ms, status in results:
        per_page[key].append(ms)
        statuses[key].add(status)
    every = [ms for _, ms, _ in results]
    return {
        "backend": backend.name, "workers": backend.workers, "generated": generated,
        "requests": len(results), "seconds": elapsed,
        "p50": _percentile(every, 0.5), "p95": _percentile(every, 0.95), "max": max(every),
        "pages": {key: {"n": len(v), "p50": _percentile(v, 0.5), "p95": _percentile(v, 0.95),
                        "max": max(v), "statuses": sorted(statuses[key])} for key, v in per_page.items()},
        "actions": actions,
        "skipped": sorted({(p["key"], ", ".join(p["missing"])) for p in plan["pages"] if not p["url"]}),
    }  # fmt: skip


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    command = " ".join(["make bench-pages" if args.write and args.backends == "sqlite,postgresql" else
                        f".venv/bin/python bench/pages.py {' '.join(sys.argv[1:])}"])  # fmt: skip
    lines = [
        "## Staff pages on the generated clinic (issue 8)", "",
        f"Command: `{command}`. Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.clients} concurrent clients, each page requested "
        f"{args.rounds} times per role its policy admits and at least {args.min_requests} times "
        "in all (after untimed warm-up passes, one more than the server's workers); "
        "patient-specific pages for 5 patients and 5 visits; status 0 is a request that got no "
        f"answer within {TIMEOUT_S} s. The issue's floor: p95 < 500 ms.", "",
        "| backend | server workers | requests | p50 ms | p95 ms | max ms | p95 < 500 ms |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for r in results:
        verdict = "yes" if r["p95"] < FLOOR_MS else "**no**"
        lines.append(f"| {r['backend']} | {r['workers']} | {r['requests']} | {r['p50']:.0f} | "
                     f"{r['p95']:.0f} | {r['max']:.0f} | {verdict} |")  # fmt: skip
    lines += ["", READING_PLACE]
    for r in results:
        lines += ["", f"### {r['backend']}: {r['generated']}", "",
                  "| page | requests | p50 ms | p95 ms | max ms | status |", "|---|---|---|---|---|---|"]  # fmt: skip
        for key, page in sorted(r["pages"].items(), key=lambda item: -item[1]["p95"]):
            flag = " **over the floor**" if page["p95"] >= FLOOR_MS else ""
            lines.append(f"| `{key}`{flag} | {page['n']} | {page['p50']:.0f} | {page['p95']:.0f} | "
                         f"{page['max']:.0f} | {', '.join(map(str, page['statuses']))} |")  # fmt: skip
        lines += ["", f"POST-only actions (405 to a GET, not pages): {len(r['actions'])}."]
        if r["skipped"]:
            lines += ["", "Not requested (no such object in a generated clinic): " +
                      "; ".join(f"`{key}` ({missing})" for key, missing in r["skipped"]) + "."]  # fmt: skip
    return "\n".join(lines) + "\n"


def existing_reading(text: str) -> str:
    """The hand-written reading of the last report, which a rerun keeps."""
    if READING_START not in text or READING_END not in text:
        return "(Write the reading here after a full run.)"
    return text.split(READING_START, 1)[1].split(READING_END, 1)[0].strip()


def write(text: str) -> None:
    current = DOCS.read_text(encoding="utf-8")
    reading = f"{READING_START}\n{existing_reading(current)}\n{READING_END}"
    block = f"{BEGIN}\n{text.replace(READING_PLACE, reading)}{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    DOCS.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--patients", type=int, default=6000)
    parser.add_argument("--infusions", type=int, default=19000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--min-requests", type=int, default=20, help="timed requests per page, at least"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--pages", default="", help="only pages whose key contains one of these (comma-separated)"
    )
    parser.add_argument("--workers", type=int, default=WORKERS, help="server processes")
    parser.add_argument(
        "--write", action="store_true", help="write the report into docs/benchmarks.md"
    )
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return
    # The same server on both backends: two worker processes, one per core of the
    # bench machine. SQLite serves two as well as PostgreSQL does (WAL: readers never
    # wait; BEGIN IMMEDIATE with a 20 s busy timeout: the workers' session and audit
    # writes queue, none fails as "database is locked"; checked with two clients on the
    # generated clinic, every answer a 200 and the audit chain whole). With one worker
    # SQLite's server used at most one of the two cores, and its p95 was mostly queueing.
    backends = {
        "sqlite": Backend("sqlite", "", args.workers),
        "postgresql": Backend(
            "postgresql", f"postgres://postgres@127.0.0.1:5432/{POSTGRES_DB}", args.workers
        ),
    }
    results = []
    for name in args.backends.split(","):
        backend = backends[name]
        if name == "sqlite":
            backend = Backend(
                "sqlite",
                f"sqlite:///{tempfile.mkdtemp(prefix='kc-bench-db-')}/db.sqlite3",
                backend.workers,
            )
        results.append(bench_backend(backend, args))
        print(
            f"[{name}] p50 {results[-1]['p50']:.0f} ms, p95 {results[-1]['p95']:.0f} ms", flush=True
        )
    text = report(results, args)
    print(text)
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
