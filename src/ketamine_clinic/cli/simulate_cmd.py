"""`ketamine-clinic simulate room`: one room's simulated monitor and pump, by hand.

Pure simulator (``devices/sim``): no Django and no database; it only needs a gateway to
send to. The room's monitor and pump send to ``--gateway``; the pump listens for PCD-03
programs on ``--pump-port``; the room sends its own program a few seconds in (the pump
confirms it by itself) unless ``--no-program``. One line per simulated minute says what
is happening.
"""

from __future__ import annotations

import argparse
import asyncio
import math

from ketamine_clinic.cli.base import CliError, Subcommand
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.patient import EVENT_KINDS, LABEL, ScriptedEvent, parse_event
from ketamine_clinic.devices.sim.room import RoomConfig, RoomStatus, SimRoom, sim_eui64
from ketamine_clinic.pharmacology.errors import PharmacologyError


def _positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {raw!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be > 0; got {raw}")
    return value


def _event(raw: str) -> ScriptedEvent:
    try:
        return parse_event(raw)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["room"], help="what to simulate")
    parser.add_argument(
        "--room", type=int, required=True, help="room number (device ids follow it)"
    )
    parser.add_argument(
        "--gateway",
        required=True,
        metavar="HOST:PORT",
        help="the device gateway, e.g. 127.0.0.1:2575",
    )
    parser.add_argument(
        "--weight-kg", type=_positive, default=70.0, help="the virtual patient's weight (70)"
    )
    parser.add_argument(
        "--dose-mg-per-kg", type=_positive, default=0.5, help="the dose to infuse (0.5 mg/kg)"
    )
    parser.add_argument(
        "--infusion-min", type=_positive, default=40.0, help="over how many minutes (40)"
    )
    parser.add_argument(
        "--concentration-mg-per-ml",
        type=_positive,
        default=1.0,
        help="the syringe's ketamine concentration (1 mg/mL)",
    )
    parser.add_argument(
        "--pump-port", type=int, default=0, help="port for PCD-03 programs (0: any free port)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the patient's random seed")
    parser.add_argument(
        "--for-seconds", type=_positive, default=None, help="stop after this many simulated s"
    )
    parser.add_argument(
        "--event",
        type=_event,
        action="append",
        default=[],
        metavar="KIND@S[+DURATION]",
        help=f"make something happen at S simulated seconds ({', '.join(EVENT_KINDS)})",
    )
    parser.add_argument(
        "--speed", type=_positive, default=1.0, help="simulated seconds per second (default 1)"
    )
    parser.add_argument("--no-random-events", action="store_true", help="only the --event ones")
    parser.add_argument("--no-waveforms", action="store_true", help="numerics only")
    parser.add_argument("--no-program", action="store_true", help="wait for a program instead")
    parser.add_argument("--patient-id", default="", help="PID-3 the devices send (default none)")


def parse_gateway(raw: str) -> tuple[str, int]:
    host, sep, port_text = raw.rpartition(":")
    if not sep or not host:
        raise CliError(f"--gateway: expected HOST:PORT, e.g. 127.0.0.1:2575; got {raw!r}")
    try:
        port = int(port_text)
    except ValueError:
        raise CliError(f"--gateway: the port must be a whole number; got {port_text!r}") from None
    if not 0 < port < 65536:
        raise CliError(f"--gateway: the port must be 1-65535; got {port}")
    return host.strip("[]"), port


def config_from_args(args: argparse.Namespace) -> RoomConfig:
    host, port = parse_gateway(args.gateway)
    if args.room < 0:
        raise CliError(f"--room: must be 0 or more; got {args.room}")
    if not 0 <= args.pump_port < 65536:
        raise CliError(f"--pump-port: must be 0-65535; got {args.pump_port}")
    return RoomConfig(
        room_number=args.room,
        gateway_host=host,
        gateway_port=port,
        weight_kg=args.weight_kg,
        dose_mg_per_kg=args.dose_mg_per_kg,
        infusion_min=args.infusion_min,
        concentration_mg_per_ml=args.concentration_mg_per_ml,
        pump_port=args.pump_port,
        seed=args.seed,
        events=tuple(args.event),
        random_events=not args.no_random_events,
        start_program=not args.no_program,
        waveforms=not args.no_waveforms,
        patient_id=args.patient_id,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    try:
        room = SimRoom(config, clock=SimClock(scale=args.speed))
    except PharmacologyError as error:
        raise CliError(f"--weight-kg: {error}") from None
    program = config.program()
    print(
        f"room {config.room_number}: monitor {sim_eui64('monitor', config.room_number)}, "
        f"pump {sim_eui64('pump', config.room_number)} -> {config.gateway_host}:"
        f"{config.gateway_port}; program {program.rate_ml_per_h} mL/h to "
        f"{program.volume_to_infuse_ml} mL of {program.concentration_mg_per_ml} mg/mL",
        flush=True,
    )
    print(f"heart rate and BP response: {LABEL}", flush=True)

    def show(status: RoomStatus) -> None:
        print(status.line(), flush=True)

    def listening(port: int) -> None:
        print(f"room {config.room_number}: pump takes PCD-03 programs on port {port}", flush=True)

    try:
        asyncio.run(room.run(duration_s=args.for_seconds, on_status=show, on_listening=listening))
    except OSError as error:
        raise CliError(f"--pump-port: cannot listen on {args.pump_port}: {error}") from None
    show(room.status())
    return 0


COMMAND = Subcommand(
    name="simulate",
    help="Run simulated bedside devices (a monitor and a syringe pump) for one room.",
    configure=configure,
    run=run,
)
