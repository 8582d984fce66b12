"""A monitor message's numerics stored as one row and read back with their own values,
validity and times: the CLI's list, the trends, the latest values, the pump's totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import (
    NumericSet,
    PackedNumeric,
    numeric_codes,
    pack_numerics,
)
from ketamine_clinic.monitoring.page_selectors import latest_numerics, latest_reading, visit_trends
from ketamine_clinic.monitoring.selectors import ObservationFilter, observations_list
from ketamine_clinic.monitoring.storage import DatabaseStorage
from ketamine_clinic.visits.models import Visit
from tests.monitoring.support import (
    MONITOR,
    T0,
    inbound,
    room_with_monitor,
    stamp,
    visit_in_room,
    vitals_message,
)

pytestmark = pytest.mark.django_db

NIBP_SYSTOLIC = 150021
HEART_RATE = 147842
SPO2 = 150456


def cuff(value: str, measured_at: datetime) -> tuple[str, ...]:
    """An NIBP systolic row with its own (earlier) observation time."""
    return (
        f"OBX|4|NM|{NIBP_SYSTOLIC}^MDC_PRESS_BLD_NONINV_SYS^MDC|1.3.1.1|{value}"
        f"|266016^MDC_DIM_MMHG^MDC|||||R|||{stamp(measured_at)}",
    )


@pytest.fixture
def stored(personas: dict[str, User]) -> tuple[Room, Visit]:
    """Two monitor messages a minute apart: the first with an invalid SpO2 and a cuff
    reading taken 3 min before it was sent; the second with a cuff reading older still
    (5 min before the first was sent), sent later."""
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=20))
    DatabaseStorage().store_batch(
        [
            inbound(
                vitals_message(
                    "m1", T0, spo2="-?-", extra_obx=cuff("131", T0 - timedelta(minutes=3))
                )
            ),
            inbound(
                vitals_message(
                    "m2",
                    T0 + timedelta(minutes=1),
                    heart_rate="80",
                    extra_obx=cuff("120", T0 - timedelta(minutes=5)),
                )
            ),
        ]
    )
    return room, visit


def test_each_message_is_one_row_keeping_each_numerics_own_time(
    stored: tuple[Room, Visit],
) -> None:
    first = NumericSet.objects.get(message__control_id="m1")
    assert (first.observed_at, first.first_observed_at) == (T0, T0 - timedelta(minutes=3))
    assert first.codes == numeric_codes([HEART_RATE, SPO2, NIBP_SYSTOLIC])
    assert [(r.code, r.value, r.raw_value, r.observed_at) for r in first.readings()] == [
        (HEART_RATE, Decimal("72.0000"), "72", T0),
        (SPO2, None, "-?-", T0),
        (NIBP_SYSTOLIC, Decimal("131.0000"), "131", T0 - timedelta(minutes=3)),
    ]


def test_the_observation_list_reads_every_numeric_in_time_order(
    stored: tuple[Room, Visit],
) -> None:
    room, visit = stored
    rows = observations_list(ObservationFilter(), by=None)
    assert [
        (r["code"], r["value"], r["valid"], r["raw_value"], r["observed_at"]) for r in rows
    ] == [
        (NIBP_SYSTOLIC, 120.0, True, "120", (T0 - timedelta(minutes=5)).isoformat()),
        (NIBP_SYSTOLIC, 131.0, True, "131", (T0 - timedelta(minutes=3)).isoformat()),
        (HEART_RATE, 72.0, True, "72", T0.isoformat()),
        (SPO2, None, False, "-?-", T0.isoformat()),
        (HEART_RATE, 80.0, True, "80", (T0 + timedelta(minutes=1)).isoformat()),
        (SPO2, 98.0, True, "98", (T0 + timedelta(minutes=1)).isoformat()),
    ]
    assert rows[3] == {
        "code": SPO2,
        "name": "MDC_PULS_OXIM_SAT_O2",
        "value": None,
        "valid": False,
        "raw_value": "-?-",
        "unit": "MDC_DIM_PERCENT",
        "device": MONITOR,
        "observed_at": T0.isoformat(),
        "visit": visit.pk,
        "room": room.name,
        "mapped_from": None,
    }


def test_the_observation_list_filters_by_each_numerics_own_time_and_limits(
    stored: tuple[Room, Visit],
) -> None:
    since = observations_list(ObservationFilter(since=T0 - timedelta(minutes=4)), by=None)
    assert [(r["code"], r["raw_value"]) for r in since] == [
        (NIBP_SYSTOLIC, "131"),
        (HEART_RATE, "72"),
        (SPO2, "-?-"),
        (HEART_RATE, "80"),
        (SPO2, "98"),
    ]
    first_two = observations_list(ObservationFilter(limit=2), by=None)
    assert [r["raw_value"] for r in first_two] == ["120", "131"]
    _room, visit = stored
    assert (
        len(observations_list(ObservationFilter(visit_id=visit.pk, device=MONITOR), by=None)) == 6
    )
    assert observations_list(ObservationFilter(device="FFEEDDCCBBAA9988"), by=None) == []


def test_trends_use_real_values_at_their_own_times_and_leave_out_invalid_ones(
    stored: tuple[Room, Visit],
) -> None:
    _room, visit = stored
    series = visit_trends(visit, now=T0 + timedelta(minutes=2))["series"]
    minute_ms = 60_000
    t0_ms = int(T0.timestamp() * 1000)
    assert series[str(HEART_RATE)]["points"] == [[t0_ms, 72.0], [t0_ms + minute_ms, 80.0]]
    assert series[str(SPO2)]["points"] == [[t0_ms + minute_ms, 98.0]]
    assert series[str(NIBP_SYSTOLIC)]["points"] == [
        [t0_ms - 5 * minute_ms, 120.0],
        [t0_ms - 3 * minute_ms, 131.0],
    ]
    # A window starting between the two cuff readings keeps only the later one.
    later = visit_trends(visit, now=T0 + timedelta(hours=2, minutes=-4))["series"]
    assert later[str(NIBP_SYSTOLIC)]["points"] == [[t0_ms - 3 * minute_ms, 131.0]]


def test_the_latest_value_is_the_newest_by_its_own_time(stored: tuple[Room, Visit]) -> None:
    room, visit = stored
    payload = latest_numerics(visit, room.pk)
    assert payload is not None
    values = {v["code"]: (v["value"], v["at"]) for v in payload["values"]}
    assert values[HEART_RATE] == (80.0, (T0 + timedelta(minutes=1)).isoformat())
    # The cuff reading sent last was measured earlier: the one sent first is the latest.
    assert values[NIBP_SYSTOLIC] == (131.0, (T0 - timedelta(minutes=3)).isoformat())
    assert values[SPO2] == (98.0, (T0 + timedelta(minutes=1)).isoformat())
    assert latest_reading(visit, 999999) is None


def test_a_long_history_is_read_in_time_order_up_to_the_limit(db: None) -> None:
    """Past the point where the list stops reading sets early (every 1,000 sets), each
    reading still comes in its own time's place: here every tenth set also carries a
    reading 30 s older than the set."""
    sets = []
    for n in range(2_500):
        at = T0 + timedelta(seconds=n)
        rows: list[PackedNumeric] = [(HEART_RATE, "HR", Decimal(n), str(n), "bpm", at, "R", "")]
        if n % 10 == 0:
            rows.append(
                (SPO2, "SpO2", Decimal(n), str(n), "%", at - timedelta(seconds=30), "R", "")
            )
        times = [row[5] for row in rows]
        sets.append(
            NumericSet(
                message_id=n + 1, device_eui64=MONITOR, observed_at=at,
                first_observed_at=min(times), codes=numeric_codes(r[0] for r in rows),
                numerics=pack_numerics(rows, at),
            )
        )  # fmt: skip
    NumericSet.objects.bulk_create(sets)
    every = [
        (T0 + timedelta(seconds=n - (30 if code == SPO2 else 0)), code, n)
        for n in range(2_500)
        for code in ((HEART_RATE, SPO2) if n % 10 == 0 else (HEART_RATE,))
    ]
    every.sort(key=lambda item: item[0])  # stable: at equal times, the earlier set first
    for limit in (5, 1_200, 2_600):
        got = observations_list(ObservationFilter(limit=limit), by=None)
        assert [(r["observed_at"], r["code"], r["raw_value"]) for r in got] == [
            (at.isoformat(), code, str(n)) for at, code, n in every[:limit]
        ]
