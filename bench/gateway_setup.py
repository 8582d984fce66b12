"""The gateway benchmark's database set-up and count, run as a subprocess on a scratch DB.

``bench/gateway.py`` measures SQLite and PostgreSQL in one run, and Django can be set up
only once per process, so everything that needs the ORM runs here, in a child process
whose ``DATABASE_URL`` points at the scratch database (already migrated):

    python bench/gateway_setup.py setup --rooms 200     # prints JSON (rooms, devices, cookie)
    python bench/gateway_setup.py count                 # prints JSON (stored messages)

This is bench set-up, not clinical flow: the nurse, rooms, patients and infusing visits
are written directly (as the monitoring tests do), and the nurse's session is made the
way ``tests.conftest.client_for`` makes one (``force_login`` plus a confirmed
authenticator where the role needs a second factor). Synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

BENCH_NURSE: Final = "bench_nurse"
BENCH_PASSWORD: Final = "bench-only-correct-horse-battery-42"  # noqa: S105 - scratch DB


def monitor_eui64(room_number: int) -> str:
    """The bench's monitor in room ``room_number``: 16 upper-case hex digits."""
    return f"02BE01{room_number:010X}"


def pump_eui64(room_number: int) -> str:
    return f"02BE02{room_number:010X}"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketamine_clinic.config.django.base")
    import django

    django.setup()


def setup(rooms: int) -> dict[str, Any]:
    """``rooms`` rooms, each with a registered monitor and pump and an infusing visit; a
    nurse with a signed-in session. Returns what the load generator and the WebSocket
    client need."""
    _setup_django()
    from django.db import transaction
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from gateway_messages import SENT_AT  # this script's own directory

    from ketamine_clinic.accounts.enums import Role
    from ketamine_clinic.accounts.selectors import second_factor_required
    from ketamine_clinic.accounts.services.users import user_create
    from ketamine_clinic.audit.context import AuditContext, audit_context
    from ketamine_clinic.booking.models import Room
    from ketamine_clinic.monitoring.models import Device, DeviceKind
    from ketamine_clinic.patients.enums import SexAtBirth
    from ketamine_clinic.patients.services import patient_create
    from ketamine_clinic.visits.models import Visit
    from ketamine_clinic.visits.services import visit_schedule

    now = datetime.now(UTC)
    # Before the time the bench's messages carry (fixed, so every run sends the same
    # bytes): the storage places each row on the visit running at its device time, and a
    # check-in after that time would leave every message unassigned, skipping that work.
    checked_in = min(now, SENT_AT) - timedelta(minutes=20)
    room_ids: list[int] = []
    context = AuditContext(request_id="bench-gateway", client_address="", channel="bench")
    with audit_context(context), transaction.atomic():
        nurse = user_create(
            username=BENCH_NURSE,
            password=BENCH_PASSWORD,
            roles=[Role.NURSE],
            by=None,
            first_name="Bench",
            last_name="Nurse",
            validate=False,
        )
        for number in range(1, rooms + 1):
            room = Room.objects.create(name=f"Bench room {number:03d}", display_order=number)
            room_ids.append(room.pk)
            Device.objects.create(
                eui64=monitor_eui64(number),
                kind=DeviceKind.MONITOR,
                model="Bench monitor",
                room=room,
                registered_at=now,
            )
            Device.objects.create(
                eui64=pump_eui64(number),
                kind=DeviceKind.PUMP,
                model="Bench pump",
                room=room,
                registered_at=now,
            )
            patient = patient_create(
                legal_first_name="Bench",
                legal_last_name=f"Patient{number:03d}",
                preferred_name="",
                date_of_birth=date(1980, 1, 1) + timedelta(days=number),
                sex_at_birth=SexAtBirth.FEMALE,
                by=None,
            )
            visit = visit_schedule(
                patient=patient, scheduled_start=checked_in + timedelta(minutes=10), by=nurse,
                room=room,
            )  # fmt: skip
            # The state the alarm engine watches, set directly (see the module docstring).
            Visit.objects.filter(pk=visit.pk).update(checked_in_at=checked_in, state="infusing")
    client = Client()
    client.force_login(nurse)
    if second_factor_required(nurse):
        device = TOTPDevice.objects.create(user=nurse, name="Bench authenticator", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    from django.conf import settings

    return {
        "room_ids": room_ids,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
    }


def count() -> dict[str, Any]:
    """How many messages the database holds, and how many alarms it recorded."""
    _setup_django()
    from ketamine_clinic.monitoring.models import Alarm, DeviceMessage

    return {
        "device_messages": DeviceMessage.objects.count(),
        "on_a_visit": DeviceMessage.objects.filter(visit__isnull=False).count(),
        "alarms": Alarm.objects.count(),
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("setup")
    make.add_argument("--rooms", type=int, required=True)
    sub.add_parser("count")
    args = parser.parse_args(argv)
    result = setup(args.rooms) if args.command == "setup" else count()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
