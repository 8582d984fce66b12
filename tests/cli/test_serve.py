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


@sqlite_pass_only("the refusal is about SQLite")
def test_more_than_one_worker_on_sqlite_is_refused(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, object]]
) -> None:
    code, out, err = run_main(capsys, "serve", "--workers", "2")
    assert (code, out) == (2, "")
    assert err == (
        "ketamine-clinic: error: --workers: SQLite serves one worker only; "
        "set DATABASE_URL to PostgreSQL\n"
    )
    assert served == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--gateway-port", "70000"), "--gateway-port: 70000 is not a TCP port (0-65535)"),
        (("--gateway-port", "2575", "--workers", "2"), "--workers"),
    ],
)
def test_gateway_port_refusals(
    capsys: pytest.CaptureFixture[str],
    served: list[dict[str, object]],
    args: tuple[str, ...],
    message: str,
) -> None:
    code, out, err = run_main(capsys, "serve", *args)
    assert (code, out) == (2, "")
    assert message in err
    assert served == []
