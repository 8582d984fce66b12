"""`ketamine-clinic serve`: what it hands the ASGI server, and what it refuses."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.cli.conftest import run_main
from tests.support.services import sqlite_pass_only


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Calls that would have started uvicorn."""
    calls: list[dict[str, object]] = []

    def fake_run(app: str, **options: object) -> None:
        calls.append({"app": app, **options})

    monkeypatch.setattr("uvicorn.run", fake_run)
    return calls


def test_it_serves_the_asgi_app_on_this_machine_by_default(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, object]]
) -> None:
    with override_settings(KC_WEB_WORKERS=1):
        code, out, _ = run_main(capsys, "serve")
    assert code == 0
    assert out == "Serving on http://127.0.0.1:8000/\n"
    [call] = served
    assert call["app"] == "ketamine_clinic.config.asgi:application"
    assert (call["host"], call["port"], call["workers"]) == ("127.0.0.1", 8000, 1)
    # No proxy headers trusted and no server banner, unless configured otherwise.
    assert call["proxy_headers"] is False
    assert call["server_header"] is False


def test_host_and_port_are_passed_through(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, object]]
) -> None:
    code, out, _ = run_main(capsys, "serve", "--host", "0.0.0.0", "--port", "8443")  # noqa: S104
    assert code == 0
    assert out == "Serving on http://0.0.0.0:8443/\n"
    assert (served[0]["host"], served[0]["port"]) == ("0.0.0.0", 8443)  # noqa: S104


@sqlite_pass_only("the workers share the SQLite file")
def test_several_workers_are_served_on_sqlite_too(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, object]]
) -> None:
    # WAL and BEGIN IMMEDIATE with a busy timeout: two processes' writes queue
    # (bench/pages.py serves the generated clinic with two).
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0"):
        code, _, err = run_main(capsys, "serve", "--workers", "2")
    assert (code, err) == (0, "")
    assert served[0]["workers"] == 2


def test_several_workers_without_redis_are_refused(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, object]]
) -> None:
    # Each worker would have its own in-memory layer: an alarm acknowledged through one
    # would still sound on the room views served by the other.
    with override_settings(REDIS_URL=""):
        code, out, err = run_main(capsys, "serve", "--workers", "2")
    assert (code, out, served) == (2, "", [])
    assert "--workers: 2 web workers with the in-memory channel layer" in err
    assert "set REDIS_URL" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--gateway-port", "70000"), "--gateway-port: 70000 is not a TCP port (0-65535)"),
        (
            ("--gateway-port", "2575", "--workers", "2"),
            "--gateway-port: runs in one process; use --workers 1",
        ),
    ],
)
def test_gateway_port_refusals(
    capsys: pytest.CaptureFixture[str],
    served: list[dict[str, object]],
    args: tuple[str, ...],
    message: str,
) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:6379/0"):
        code, out, err = run_main(capsys, "serve", *args)
    assert (code, out) == (2, "")
    assert message in err
    assert served == []
