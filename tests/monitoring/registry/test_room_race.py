"""On PostgreSQL, two administrators placing two monitors in one room at once: one wins,
the other is refused naming the room.

As in tests/visits/test_transition_race.py (whose helpers this reuses): the registrations
run in threads on their own connections and really commit; the first holds its
transaction open until the second is seen waiting for the room's row lock. Without that
lock the second would not see the first's uncommitted monitor and both would succeed,
and the room's data would then come from two monitors. The committed rows are removed
after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import RoleGrant, User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import Device
from ketamine_clinic.monitoring.registry import services
from tests.audit.test_audit_concurrency import (
    TIMEOUT_S,
    Worker,
    backend_pid,
    on_own_connection,
    waiting_for_a_lock,
    wipe_committed_trail,
)

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FIRST, SECOND = "00A0C9FFFE00E001", "00A0C9FFFE00E002"


def _committed_setup() -> tuple[int, int, int]:
    with transaction.atomic():
        room = Room.objects.create(name="Race room", display_order=77)
        admins = []
        for name in ("race_admin_a", "race_admin_b"):
            admin = User.objects.create(username=name, first_name="Race", last_name="Admin")
            RoleGrant.objects.create(user=admin, role=Role.ADMINISTRATOR, granted_at=AT)
            admins.append(admin.pk)
    return room.pk, admins[0], admins[1]


def _remove_committed() -> None:
    wipe_committed_trail()
    with transaction.atomic():
        Device.objects.filter(eui64__in=[FIRST, SECOND]).delete()
        Room.objects.filter(name="Race room").delete()
        RoleGrant.objects.filter(user__username__startswith="race_admin_").delete()
        User.objects.filter(username__startswith="race_admin_").delete()


@pytest.fixture
def committed() -> Iterator[tuple[int, int, int]]:
    ids = on_own_connection(_committed_setup)
    yield ids
    on_own_connection(_remove_committed)


@pytest.mark.postgres
def test_two_monitors_registered_to_one_room_at_once_leave_one(
    committed: tuple[int, int, int],
) -> None:
    room_id, admin_a, admin_b = committed
    a_done, release_a, b_ready = threading.Event(), threading.Event(), threading.Event()
    b_pid: list[int] = []

    def register_a() -> str:
        with transaction.atomic():
            device = services.device_register(
                eui64=FIRST, kind="monitor", model="Acme VS-900",
                room=Room.objects.get(pk=room_id), by=User.objects.get(pk=admin_a),
            )  # fmt: skip
            a_done.set()
            assert release_a.wait(TIMEOUT_S)
        return device.eui64

    def register_b() -> str:
        room = Room.objects.get(pk=room_id)
        admin = User.objects.get(pk=admin_b)
        b_pid.append(backend_pid())
        b_ready.set()
        return services.device_register(
            eui64=SECOND, kind="monitor", model="Acme VS-900", room=room, by=admin
        ).eui64

    a, b = Worker(register_a), Worker(register_b)
    a.start()
    assert a_done.wait(TIMEOUT_S)
    b.start()
    assert b_ready.wait(TIMEOUT_S)
    deadline = time.monotonic() + TIMEOUT_S
    while not waiting_for_a_lock(b_pid[0]):
        assert time.monotonic() < deadline, "the second registration never waited for the first"
        assert b.is_alive(), "the second registration finished while the first held the room"
        time.sleep(0.02)
    release_a.set()

    assert a.outcome() == FIRST
    with pytest.raises(ValidationError) as refused:
        b.outcome()
    assert refused.value.message_dict == {
        "room": [services.ROOM_HAS_MONITOR.format(room="Race room", device=FIRST)]
    }
    in_room = on_own_connection(
        lambda: list(Device.objects.filter(room_id=room_id).values_list("eui64", flat=True))
    )
    assert in_room == [FIRST]
