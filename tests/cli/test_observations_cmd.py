"""`ketamine-clinic observations`: what devices sent, as JSON for scripts, and its errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.monitoring.storage import DatabaseStorage
from tests.cli.conftest import run_main
from tests.monitoring.support import (
    MONITOR,
    T0,
    inbound,
    room_with_monitor,
    visit_in_room,
    vitals_message,
)


@pytest.mark.django_db
def test_json_lists_each_observation_with_its_visit(
    capsys: pytest.CaptureFixture[str], personas: dict[str, User]
) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0)
    DatabaseStorage().store_batch(
        [
            inbound(vitals_message("a", T0 - timedelta(minutes=1))),  # before check-in
            inbound(vitals_message("b", T0 + timedelta(minutes=1), spo2="-?-")),
        ]
    )
    code, out, err = run_main(capsys, "observations", "--json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [(r["code"], r["value"], r["visit"]) for r in rows] == [
        (147842, 72.0, None),
        (150456, 98.0, None),
        (147842, 72.0, visit.pk),
        (150456, None, visit.pk),
    ]
    assert rows[0] == rows[0] | {
        "name": "MDC_ECG_HEART_RATE",
        "unit": "MDC_DIM_BEAT_PER_MIN",
        "device": MONITOR,
        "observed_at": "2026-11-26T14:59:00+00:00",
        "valid": True,
        "room": "Room 3",
    }
    assert rows[3]["raw_value"] == "-?-"
    entry = AuditEntry.objects.filter(object_type="device_observations").get()
    assert entry.channel == "cli:observations"
    assert entry.detail["visit_ids"] == [visit.pk]


@pytest.mark.django_db
def test_filters_by_device_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    other = "0011223344556677"
    DatabaseStorage().store_batch(
        [
            inbound(vitals_message("a", T0)),
            inbound(vitals_message("b", T0 + timedelta(minutes=5))),
            inbound(vitals_message("c", T0 + timedelta(minutes=5), device=other)),
        ]
    )
    since = (T0 + timedelta(minutes=1)).isoformat()
    code, out, _ = run_main(
        capsys, "observations", "--json", "--device", MONITOR.lower(), "--since", since
    )
    assert code == 0
    rows = json.loads(out)
    assert {(r["device"], r["observed_at"]) for r in rows} == {
        (MONITOR, "2026-11-26T15:05:00+00:00")
    }
    code, out, _ = run_main(capsys, "observations")
    assert out.strip().endswith("6 observation(s)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--device", "12345"), "--device: '12345' is not an EUI-64"),
        (("--since", "yesterday"), "--since: 'yesterday' is not an ISO 8601 time"),
        (("--since", "2026-11-26T09:00:00"), "has no UTC offset"),
        (("--limit", "0"), "--limit: must be at least 1"),
    ],
)
def test_bad_options_say_which_and_why(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run_main(capsys, "observations", *args)
    assert code == 2
    assert out == ""
    assert message in err


def test_gateway_refuses_a_port_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "gateway", "--port", "70000")
    assert code == 2
    assert "--port: 70000 is not a TCP port" in err
