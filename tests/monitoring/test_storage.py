"""The database storage behind the gateway: every message kept once, each observation on
the visit in its device's room at the time it was measured, unassigned data kept."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices.gateway import Outcome
from ketamine_clinic.monitoring.models import (
    Device,
    DeviceMessage,
    NumericSet,
    Reading,
    WaveformChunk,
)
from ketamine_clinic.monitoring.storage import (
    DatabaseStorage,
    decode_samples,
    encode_samples,
    storable,
    stored_hashes_query,
)
from ketamine_clinic.visits.models import Visit
from tests.monitoring.support import (
    MONITOR,
    T0,
    inbound,
    room_with_monitor,
    visit_in_room,
    vitals_message,
)

pytestmark = pytest.mark.django_db


def stored_numerics() -> list[tuple[NumericSet, Reading]]:
    """Every stored numeric with its set, in storage order."""
    return [(s, r) for s in NumericSet.objects.order_by("id") for r in s.readings()]


def numeric(code: int) -> Reading:
    (found,) = [r for _s, r in stored_numerics() if r.code == code]
    return found


def heart_rates_by_message() -> dict[str, int | None]:
    """The visit each message's heart rate was placed on, by control id."""
    return {s.message.control_id: s.visit_id for s, r in stored_numerics() if r.code == 147842}


def test_observations_attach_to_the_visit_in_the_devices_room(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=20))
    results = DatabaseStorage().store_batch([inbound(vitals_message("M1", T0))])
    assert [r.outcome for r in results] == [Outcome.STORED]
    rows = sorted((r.code, r.value, s.visit_id) for s, r in stored_numerics())
    assert rows == [(147842, Decimal("72.0000"), visit.pk), (150456, Decimal("98.0000"), visit.pk)]
    assert NumericSet.objects.count() == 1  # one row for the message's numerics
    message = DeviceMessage.objects.get()
    assert (message.visit_id, message.room_id, message.device_eui64) == (visit.pk, room.pk, MONITOR)
    assert message.raw.startswith("MSH|")


def test_data_before_check_in_or_after_discharge_is_kept_unassigned(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0, ended=T0 + timedelta(minutes=90))
    storage = DatabaseStorage()
    storage.store_batch(
        [
            inbound(vitals_message("early", T0 - timedelta(minutes=5))),
            inbound(vitals_message("during", T0 + timedelta(minutes=30))),
            inbound(vitals_message("late", T0 + timedelta(minutes=95))),
        ]
    )
    assert heart_rates_by_message() == {"early": None, "during": visit.pk, "late": None}


def test_the_next_visit_in_the_room_gets_its_own_data(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    first = visit_in_room(room, personas["nurse"], checked_in=T0, ended=T0 + timedelta(hours=1))
    second = visit_in_room(room, personas["nurse"], checked_in=T0 + timedelta(hours=2))
    DatabaseStorage().store_batch(
        [
            inbound(vitals_message("a", T0 + timedelta(minutes=30))),
            inbound(vitals_message("b", T0 + timedelta(hours=2, minutes=30))),
        ]
    )
    assert heart_rates_by_message() == {"a": first.pk, "b": second.pk}


def test_each_batch_sees_check_outs_and_device_moves_since_the_last(
    personas: dict[str, User],
) -> None:
    """Placement is read afresh every batch: a discharge or a device moved to another room
    between two batches places the next batch's data by the new state."""
    first_room = room_with_monitor()
    first = visit_in_room(first_room, personas["nurse"], checked_in=T0 - timedelta(minutes=20))
    second_room = Room.objects.create(name="Room 4", display_order=4)
    second = visit_in_room(second_room, personas["nurse"], checked_in=T0 - timedelta(minutes=5))
    storage = DatabaseStorage()
    storage.store_batch([inbound(vitals_message("a", T0 + timedelta(minutes=1)))])
    Visit.objects.filter(pk=first.pk).update(discharged_at=T0 + timedelta(minutes=2, seconds=0.5))
    storage.store_batch([inbound(vitals_message("b", T0 + timedelta(minutes=3)))])
    Device.objects.filter(eui64=MONITOR).update(room=second_room)
    storage.store_batch([inbound(vitals_message("c", T0 + timedelta(minutes=4)))])
    placed = {m.control_id: (m.room_id, m.visit_id) for m in DeviceMessage.objects.order_by("id")}
    assert placed == {
        "a": (first_room.pk, first.pk),
        "b": (first_room.pk, None),
        "c": (second_room.pk, second.pk),
    }


def test_a_stay_ending_within_the_second_is_compared_to_the_microsecond(
    personas: dict[str, User],
) -> None:
    room = room_with_monitor()
    ended = T0 + timedelta(seconds=0.25)
    visit = visit_in_room(
        room, personas["nurse"], checked_in=T0 - timedelta(minutes=5), ended=ended
    )
    DatabaseStorage().store_batch([inbound(vitals_message("at", T0))])
    assert DeviceMessage.objects.get().visit_id == visit.pk


def test_an_unregistered_device_is_stored_without_room_or_visit(db: None) -> None:
    DatabaseStorage().store_batch([inbound(vitals_message("u1", T0, device="FFEEDDCCBBAA9988"))])
    rows = [(s.device_eui64, s.room_id, s.visit_id) for s, _r in stored_numerics()]
    assert rows == [("FFEEDDCCBBAA9988", None, None)] * 2


def test_a_resend_is_not_stored_twice_and_a_reused_id_is_flagged(db: None) -> None:
    storage = DatabaseStorage()
    text = vitals_message("M7", T0)
    assert storage.store_batch([inbound(text)])[0].outcome is Outcome.STORED
    # The same bytes again (lost ACK), twice in one batch as well.
    again = storage.store_batch([inbound(text), inbound(text)])
    assert [r.outcome for r in again] == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    other = storage.store_one(inbound(vitals_message("M7", T0, heart_rate="75")))
    assert other == type(other)(Outcome.STORED, control_id_reused=True)
    assert DeviceMessage.objects.count() == 2
    assert list(DeviceMessage.objects.values_list("control_id_reused", flat=True)) == [
        False,
        True,
    ]
    assert [r.value for _s, r in stored_numerics() if r.code == 147842] == [
        Decimal("72.0000"),
        Decimal("75.0000"),
    ]


def test_a_resend_is_recognised_by_its_own_sender_and_control_id_not_a_mix(db: None) -> None:
    other = "FFEEDDCCBBAA9988"
    storage = DatabaseStorage()
    storage.store_batch(
        [inbound(vitals_message("A", T0)), inbound(vitals_message("B", T0, device=other))]
    )
    # Each control id is already taken, but by the other sender: both are new messages.
    crossed = storage.store_batch(
        [
            inbound(vitals_message("B", T0)),
            inbound(vitals_message("A", T0, device=other)),
            inbound(vitals_message("A", T0)),
        ]
    )
    assert [(r.outcome, r.control_id_reused) for r in crossed] == [
        (Outcome.STORED, False),
        (Outcome.STORED, False),
        (Outcome.DUPLICATE, False),
    ]
    assert DeviceMessage.objects.count() == 4


def test_the_resend_lookup_probes_the_unique_index_not_the_whole_table(db: None) -> None:
    keys = [(f"Monitor^{n:016X}^EUI-64|", f"c{n}") for n in range(50)]
    sql, params = stored_hashes_query(connection.vendor, keys)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH m USING COVERING INDEX" in plan, plan
            assert "SCAN m" not in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table is cheap to scan
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " / ".join(str(row[0]) for row in cursor.fetchall())
            assert "monitoring_message_once" in plan, plan


def test_a_visit_with_device_rows_cannot_be_deleted(personas: dict[str, User]) -> None:
    """The device rows have no foreign-key constraints in the database (each cost a check
    per row): PROTECT still refuses to delete what they point at."""
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=20))
    DatabaseStorage().store_batch([inbound(vitals_message("M1", T0))])
    with pytest.raises(ProtectedError) as refused:
        Visit.objects.filter(pk=visit.pk).delete()
    protected = {type(row) for row in refused.value.protected_objects}
    assert {DeviceMessage, NumericSet} <= protected
    with pytest.raises(ProtectedError) as refused:
        DeviceMessage.objects.all().delete()
    assert {type(row) for row in refused.value.protected_objects} == {NumericSet}
    assert NumericSet.objects.filter(visit=visit, message__room=room).count() == 1


@pytest.mark.parametrize("raw", ["-100", "-?-", ""])
def test_an_invalid_value_is_stored_as_invalid_never_zero(db: None, raw: str) -> None:
    DatabaseStorage().store_batch([inbound(vitals_message("i", T0, spo2=raw))])
    row = numeric(150456)
    assert row.value is None
    assert row.raw_value == raw


def test_a_vendor_variant_is_stored_under_the_clinics_code_with_what_was_mapped(
    db: None,
) -> None:
    cuff = ("OBX|4|NM|150301^MDC_PRESS_CUFF_SYS^MDC|1.2.1.1|131|266016^MDC_DIM_MMHG^MDC|||||R",)
    DatabaseStorage().store_batch([inbound(vitals_message("v", T0, extra_obx=cuff))])
    row = numeric(150021)
    assert (row.name, row.value, row.mapped_from) == (
        "MDC_PRESS_BLD_NONINV_SYS",
        Decimal("131.0000"),
        "150301 MDC_PRESS_CUFF_SYS",
    )
    assert "150301 MDC_PRESS_CUFF_SYS -> 150021" in DeviceMessage.objects.get().mappings


def test_a_waveform_is_stored_with_its_rate_and_invalid_samples(db: None) -> None:
    pleth = (
        "OBX|4|NA|150452^MDC_PULS_OXIM_PLETH^MDC|1.1.2.2|0.5^0.75^-?-^1|262656^MDC_DIM_DIMLESS^MDC"
        "|||||R",
        "OBX|5|NM|67975^MDC_ATTR_SAMP_RATE^MDC|1.1.2.2.1|125|2720^MDC_DIM_PER_SEC^MDC|||||R",
    )
    DatabaseStorage().store_batch([inbound(vitals_message("w", T0, extra_obx=pleth))])
    chunk = WaveformChunk.objects.get()
    assert (chunk.code, chunk.sample_rate_hz, chunk.sample_count) == (150452, 125, 4)
    assert decode_samples(chunk.samples) == [0.5, 0.75, None, 1.0]


def test_a_value_too_large_to_be_a_measurement_is_stored_as_invalid(db: None) -> None:
    DatabaseStorage().store_batch([inbound(vitals_message("big", T0, heart_rate="1E+30"))])
    row = numeric(147842)
    assert (row.value, row.raw_value) == (None, "1E+30")


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, width=32)), max_size=300))
def test_samples_round_trip(samples: list[float | None]) -> None:
    decoded = decode_samples(encode_samples(samples))
    assert len(decoded) == len(samples)
    for got, sent in zip(decoded, samples, strict=True):
        assert (got is None) == (sent is None or math.isnan(sent))
        if got is not None and sent is not None:
            assert got == sent


def test_storable_keeps_four_places_and_refuses_the_absurd() -> None:
    assert storable(Decimal("98.123456")) == Decimal("98.1235")
    assert storable(Decimal("9999999999.9999")) == Decimal("9999999999.9999")
    assert storable(Decimal("10000000000")) is None
    assert storable(Decimal("123456.7"), 8, 2) == Decimal("123456.70")
    assert storable(Decimal("1234567"), 8, 2) is None
