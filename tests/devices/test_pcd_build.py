"""The PCD message builders: every message strictly valid for hl7apy and read back by
``pcd.interpret`` (PCD-01/04/10) or ``read_program`` (PCD-03) to the values put in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret
from ketamine_clinic.devices.pcd_build import (
    PUMP_DELIVERY_START,
    PUMP_OCCLUSION,
    Alarm,
    ControlIds,
    InfusionProgram,
    NibpReading,
    NumericValue,
    ProgramRejected,
    PumpTotals,
    Sender,
    WaveformChunk,
    build_alert,
    build_observation,
    build_program,
    build_program_accept,
    build_program_reject,
    build_pump_event,
    build_pump_numerics,
    decimal_of,
    hl7_time,
    read_acknowledgement,
    read_program,
)
from tests.devices.sim.hl7apy_strict import assert_strictly_valid

MONITOR = Sender("KC_SIM_MONITOR", "02C0FFEE00000301")
PUMP = Sender("KC_SIM_PUMP", "02C0FFEE00000302")
CLINIC = Sender("KC_CLINIC", "02C0FFEE00000000")
AT = datetime(2026, 11, 26, 9, 30, 0, 250000, tzinfo=UTC)
ZONE = timezone(timedelta(hours=-5))


def test_an_observation_with_numerics_nibp_and_waveforms_round_trips() -> None:
    nibp_at = AT - timedelta(seconds=40)
    text = build_observation(
        MONITOR,
        "c-1",
        AT,
        numerics=[
            NumericValue(mdc.HEART_RATE, Decimal("72")),
            NumericValue(mdc.SPO2, None),
            NumericValue(mdc.TEMPERATURE, Decimal("36.8")),
        ],
        nibp=NibpReading(Decimal("124"), Decimal("78"), Decimal("93"), nibp_at),
        waveforms=[
            WaveformChunk(mdc.ECG_LEAD_II, 250, AT, [0.125, None, -0.25]),
            WaveformChunk(mdc.PLETH, 125, AT, [0.5, 0.75]),
        ],
        patient_id="KC000005",
    )
    assert_strictly_valid(text, "ORU_R01")
    report = interpret(parse_message(text), ZONE)
    assert report.kind == "observation"
    assert report.control_id == "c-1"
    assert report.device == MONITOR.eui64
    assert report.patient_id == "KC000005"
    assert report.sent_at == AT
    values = {(n.code, n.value) for n in report.numerics}
    assert values == {
        (mdc.HEART_RATE.code, Decimal("72")),
        (mdc.SPO2.code, None),
        (mdc.TEMPERATURE.code, Decimal("36.8")),
        (mdc.NIBP_SYSTOLIC.code, Decimal("124")),
        (mdc.NIBP_DIASTOLIC.code, Decimal("78")),
        (mdc.NIBP_MEAN.code, Decimal("93")),
    }
    spo2 = next(n for n in report.numerics if n.code == mdc.SPO2.code)
    assert spo2.status == "X"
    assert spo2.raw_value == ""
    systolic = next(n for n in report.numerics if n.code == mdc.NIBP_SYSTOLIC.code)
    assert systolic.observed_at == nibp_at  # inherited from the 150020 parent row
    ecg, pleth = report.waveforms
    assert (ecg.code, ecg.sample_rate_hz, ecg.samples) == (
        mdc.ECG_LEAD_II.code,
        250,
        (0.125, None, -0.25),
    )
    assert (pleth.code, pleth.sample_rate_hz, pleth.samples) == (mdc.PLETH.code, 125, (0.5, 0.75))
    assert ecg.start_at == AT
    assert ecg.device == MONITOR.eui64


def test_the_waveform_sample_rate_is_read_from_its_facet_not_the_default() -> None:
    text = build_observation(
        MONITOR, "c-2", AT, waveforms=[WaveformChunk(mdc.PLETH, 100, AT, [0.1] * 50)]
    )
    assert_strictly_valid(text, "ORU_R01")
    (wave,) = interpret(parse_message(text), UTC).waveforms
    assert wave.sample_rate_hz == 100  # the default for pleth is 125
    assert wave.duration_s == 0.5


def test_an_alert_round_trips_with_its_five_facets() -> None:
    alarm = Alarm(
        alarm_id="A-17",
        source=mdc.NIBP_SYSTOLIC,
        event=mdc.EVT_HI,
        priority="PH",
        kind="SP",
        phase="start",
        state="active",
        inactivation="enabled",
        at=AT,
        value=Decimal("182"),
        abnormal_flag="H",
    )
    text = build_alert(MONITOR, "c-3", AT, alarm)
    assert_strictly_valid(text, "ORU_R01")
    assert "|H~PH~SP|" in text
    (alert,) = interpret(parse_message(text), UTC).alerts
    assert alert.alert_id == "A-17"
    assert (alert.source_code, alert.event_code, alert.event_name) == (
        150021,
        196648,
        "MDC_EVT_HI",
    )
    assert (alert.priority, alert.source) == ("high", "physiological")
    assert (alert.phase, alert.state, alert.inactivation) == ("start", "active", "enabled")
    assert alert.value == Decimal("182")
    assert alert.unit == "MDC_DIM_MMHG"
    assert alert.device == MONITOR.eui64


def test_a_technical_pump_alarm_has_no_value_and_reads_as_technical() -> None:
    alarm = Alarm(
        "OCC-1", mdc.PUMP_CHANNEL, PUMP_OCCLUSION, "PH", "ST", "end", "inactive", "enabled", AT
    )
    text = build_alert(PUMP, "c-4", AT, alarm, mds=mdc.PUMP_MDS)
    assert_strictly_valid(text, "ORU_R01")
    (alert,) = interpret(parse_message(text), UTC).alerts
    assert (alert.source, alert.priority, alert.phase, alert.value) == (
        "technical",
        "high",
        "end",
        None,
    )
    assert alert.event_name == "MDC_EVT_PUMP_OCCL"


def test_a_pump_event_round_trips_with_its_totals_and_program() -> None:
    totals = PumpTotals(Decimal("52.5"), Decimal("3.25"), Decimal("31.75"), Decimal("3.25"))
    text = build_pump_event(
        PUMP, "c-5", AT, event=PUMP_DELIVERY_START, program_id="PRG-9", at=AT, totals=totals
    )
    assert_strictly_valid(text, "ORU_R01")
    report = interpret(parse_message(text), UTC)
    assert report.message_type == "ORU^R42"
    (event,) = report.pump_events
    assert (event.event_code, event.event_name, event.program_id) == (
        PUMP_DELIVERY_START.code,
        "MDC_EVT_PUMP_DELIV_START",
        "PRG-9",
    )
    assert (
        event.rate_ml_per_h,
        event.volume_delivered_ml,
        event.volume_remaining_ml,
        event.dose_delivered_mg,
    ) == (Decimal("52.5"), Decimal("3.25"), Decimal("31.75"), Decimal("3.25"))
    assert event.device == PUMP.eui64


def test_pump_numerics_are_an_observation_with_rate_volumes_and_dose() -> None:
    totals = PumpTotals(Decimal("10"), Decimal("1.5"), None, Decimal("1.5"))
    text = build_pump_numerics(PUMP, "c-6", AT, totals)
    assert_strictly_valid(text, "ORU_R01")
    values = {n.code: n.value for n in interpret(parse_message(text), UTC).numerics}
    assert values == {
        mdc.PUMP_RATE.code: Decimal("10"),
        mdc.PUMP_VOLUME_DELIVERED.code: Decimal("1.5"),
        mdc.PUMP_VOLUME_REMAINING.code: None,
        mdc.PUMP_DOSE_DELIVERED.code: Decimal("1.5"),
    }


PROGRAM = InfusionProgram(
    program_id="PRG-9",
    drug="KETAMINE",
    concentration_mg_per_ml=Decimal("1"),
    rate_ml_per_h=Decimal("52.5"),
    volume_to_infuse_ml=Decimal("35"),
    patient_weight_kg=Decimal("70"),
    patient_id="KC000005",
)


def test_a_program_is_a_strict_rgv_o15_and_the_pump_reads_it_back() -> None:
    text = build_program(CLINIC, "p-1", AT, PROGRAM, drug_name="Ketamine", room="Room 3")
    assert_strictly_valid(text, "RGV_O15")
    assert "RXG|1|||KETAMINE^Ketamine^KC_DRUG|35||263762^MDC_DIM_MILLI_L^MDC|" in text
    assert "RXR|IV^" in text
    assert read_program(parse_message(text)) == PROGRAM


def test_a_titration_is_an_xo_for_the_same_program_without_weight() -> None:
    titration = InfusionProgram(
        "PRG-9", "KETAMINE", Decimal("2"), Decimal("60"), Decimal("20"), order_control="XO"
    )
    text = build_program(CLINIC, "p-2", AT, titration)
    assert_strictly_valid(text, "RGV_O15")
    assert read_program(parse_message(text)) == titration


@pytest.mark.parametrize(
    ("old", "new", "field_name"),
    [
        ("RXG|1|||KETAMINE^KETAMINE^KC_DRUG|", "RXG|1||||", "RXG-4"),
        ("|52.5|265266", "|fast|265266", "RXG-15"),
        ("|52.5|265266", "|52.5|264864", "RXG-16"),
        ("ORC|NW|PRG-9^KC_CLINIC", "ORC|NW|", "ORC-2"),
        ("|35||263762", "|35||264864", "RXG-7"),
    ],
)
def test_a_malformed_program_is_refused_naming_the_field(
    old: str, new: str, field_name: str
) -> None:
    text = build_program(CLINIC, "p-3", AT, PROGRAM)
    assert old in text
    with pytest.raises(ProgramRejected) as caught:
        read_program(parse_message(text.replace(old, new)))
    assert caught.value.field == field_name


def test_the_pumps_replies_are_strict_and_echo_the_programs_control_id() -> None:
    request = parse_message(build_program(CLINIC, "p-4", AT, PROGRAM))
    accept = build_program_accept(request, PUMP, "r-1", AT)
    reject = build_program_reject(
        request, PUMP, "r-2", AT, reason="rate 900 mL/h over the pump's maximum 500 mL/h"
    )
    assert_strictly_valid(accept, "ACK")
    assert_strictly_valid(reject, "RRG_O16")
    ok = read_acknowledgement(parse_message(accept))
    no = read_acknowledgement(parse_message(reject))
    assert (ok.code, ok.acknowledged_control_id, ok.message_type) == ("AA", "p-4", "ACK^O15")
    assert (no.code, no.acknowledged_control_id, no.message_type) == ("AE", "p-4", "RRG^O16")
    assert no.text == "rate 900 mL/h over the pump's maximum 500 mL/h"


def test_control_ids_count_up_per_sender_and_differ_between_sessions() -> None:
    ids = ControlIds(MONITOR.eui64, session="a1")
    assert [ids.next() for _ in range(3)] == [
        "02C0FFEE00000301-a1-1",
        "02C0FFEE00000301-a1-2",
        "02C0FFEE00000301-a1-3",
    ]
    assert ControlIds(MONITOR.eui64, session="b2").next() != "02C0FFEE00000301-a1-1"


def test_times_carry_milliseconds_and_the_offset_and_naive_ones_are_refused() -> None:
    assert hl7_time(AT.astimezone(ZONE)) == "20261126043000.250-0500"
    with pytest.raises(ValueError, match="timezone-aware"):
        hl7_time(datetime(2026, 11, 26, 9, 30))  # noqa: DTZ001 - the refusal is the point


def test_a_sender_needs_a_16_hex_digit_eui64_and_a_short_application_name() -> None:
    with pytest.raises(ValueError, match="eui64"):
        Sender("KC_SIM_MONITOR", "1234")
    with pytest.raises(ValueError, match="application"):
        Sender("A" * 21, MONITOR.eui64)


_values = st.one_of(
    st.none(), st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
)
_samples = st.lists(
    st.one_of(st.none(), st.integers(-5000, 5000).map(lambda n: n / 1000)), min_size=1, max_size=300
)


@settings(max_examples=25, deadline=None)
@given(
    hr=_values,
    spo2=_values,
    samples=_samples,
    rate=st.sampled_from([125, 250, 500]),
    millis=st.integers(0, 999),
    text=st.text(alphabet="ab|^~\\&", min_size=1, max_size=5),
)
def test_any_observation_round_trips_and_is_strictly_valid(
    hr: Decimal | None,
    spo2: Decimal | None,
    samples: list[float | None],
    rate: int,
    millis: int,
    text: str,
) -> None:
    at = AT.replace(microsecond=millis * 1000)
    sender = Sender(f"S{text}", MONITOR.eui64)
    message = build_observation(
        sender,
        f"id{text}",
        at,
        numerics=[NumericValue(mdc.HEART_RATE, hr), NumericValue(mdc.SPO2, spo2)],
        waveforms=[WaveformChunk(mdc.ECG_LEAD_II, rate, at, samples)],
    )
    assert_strictly_valid(message, "ORU_R01")
    report = interpret(parse_message(message), UTC)
    assert report.control_id == f"id{text}"
    assert [n.value for n in report.numerics] == [hr, spo2]
    (wave,) = report.waveforms
    assert wave.samples == tuple(samples)
    assert (wave.sample_rate_hz, wave.start_at) == (rate, at)


def test_decimal_of_rounds_to_the_displayed_places_and_keeps_none() -> None:
    assert decimal_of(72.49, 0) == Decimal("72")
    assert decimal_of(36.84, 1) == Decimal("36.8")
    assert decimal_of(None, 1) is None
