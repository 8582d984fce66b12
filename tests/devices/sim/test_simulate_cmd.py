"""`ketamine-clinic simulate room`: a run against an in-test gateway, one line a minute,
and one-line errors for what a user can fix."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC

import pytest

from ketamine_clinic.cli import main
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret
from tests.devices.sim.fake_gateway import FakeGateway

RUN = "import sys; from ketamine_clinic.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.asyncio
async def test_a_room_runs_by_hand_and_prints_a_line_a_minute() -> None:
    gateway = FakeGateway()
    await gateway.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, "simulate", "room", "--room", "3",
        "--gateway", f"127.0.0.1:{gateway.port}", "--for-seconds", "180", "--speed", "60",
        "--no-random-events", "--no-waveforms", "--event", "hypertension@30+120",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    await gateway.stop()
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    minute_lines = [line for line in lines if line.startswith("room 3 ")]
    # A line at each simulated minute (and a last one when the run ends). At 60x (three
    # seconds of wall time, few enough for a test, slow enough that a busy machine's
    # scheduling delays stay under a simulated second or two) the seconds may read 01.
    assert [line.split()[2].split(":")[0] for line in minute_lines[:2]] == ["1", "2"]
    assert all(line.split()[2].split(":")[1] in {"00", "01", "02"} for line in minute_lines[:2])
    assert len(minute_lines) >= 3
    assert "ILLUSTRATIVE" in out.decode()
    assert "pump running 52.5 mL/h" in minute_lines[0]
    devices = {interpret(parse_message(r.payload.decode()), UTC).device for r in gateway.received}
    assert devices == {"024B430100000003", "024B430200000003"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gateway", "localhost"], "--gateway: expected HOST:PORT"),
        (["--gateway", "localhost:http"], "--gateway: the port must be a whole number"),
        (["--gateway", "127.0.0.1:70000"], "--gateway: the port must be 1-65535"),
        (["--gateway", "127.0.0.1:2575", "--weight-kg", "400"], "--weight-kg:"),
    ],
)
def test_what_a_user_can_fix_is_one_line_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "room", "--room", "3", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ketamine-clinic: error: {message}")
    assert "\n" not in err


def test_a_bad_event_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "room", "--room", "3", "--gateway", "h:1", "--event", "sneeze@1"])
    assert exited.value.code == 2
    assert "the kind must be one of" in capsys.readouterr().err
