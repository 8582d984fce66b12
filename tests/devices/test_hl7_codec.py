"""The lean HL7 codec against hl7apy's strict parse of the same messages, plus escapes,
timestamps, invalid values and ACKs. Messages are the IHE PCD sample of
reference/devices.md and a 15-OBX vital-signs message in the same shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hl7apy.parser import parse_message as hl7apy_parse
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.devices.hl7_codec import (
    DEFAULT_DELIMITERS,
    Hl7ParseError,
    ack,
    escape,
    parse_message,
    parse_numeric,
    parse_timestamp,
    unescape,
)

IHE_BP = "\r".join(
    [
        "MSH|^~\\&|AcmeInc^ACDE48234567ABCD^EUI-64||||20090713090030+0500||ORU^R01^ORU_R01|"
        "MSGID1234|P|2.6|||NE|AL|||||IHE PCD ORU-R01 2006^HL7^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||789567^^^Imaginary Hospital^PI||Doe^John^Joseph^^^^L^A|||M",
        "OBR|1|AB12345^AcmeAHDInc^ACDE48234567ABCD^EUI-64|CD12345^AcmeAHDInc^ACDE48234567ABCD"
        "^EUI-64|528391^MDC_DEV_SPEC_PROFILE_BP^MDC|||20090813095715+0500",
        "OBX|1||528391^MDC_DEV_SPEC_PROFILE_BP^MDC|1|||||||R|||||||0123456789ABCDEF^EUI-64",
        "OBX|2||150020^MDC_PRESS_BLD_NONINV^MDC|1.0.1|||||||R|||20090813095715+0500",
        "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.1.1|120|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.0.1.2|80|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|5|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.0.1.3|100|266016^MDC_DIM_MMHG^MDC|||||R",
    ]
)


def _obx(n: int, code: str, name: str, value: str, unit: str) -> str:
    return (
        f"OBX|{n}|NM|{code}^{name}^MDC|1.1.1.{n}|{value}|{unit}^MDC|||||R|||20261126093000-0500"
        "||||0123456789ABCDEF^EUI-64"
    )


VITALS_15 = "\r".join(
    [
        "MSH|^~\\&|Monitor^0123456789ABCDEF^EUI-64|Room3|KC|Clinic|20261126093000-0500||"
        "ORU^R01^ORU_R01|M-000042|P|2.6|||NE|AL|||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||KC000005^^^KC^MR||Mockford^Quinn",
        "OBR|1|1^Monitor|1^Monitor|182777000^monitoring of patient^SNOMED-CT|||20261126093000-0500",
        *(
            _obx(n, code, name, value, unit)
            for n, (code, name, value, unit) in enumerate(
                [
                    ("147842", "MDC_ECG_HEART_RATE", "72", "264864^MDC_DIM_BEAT_PER_MIN"),
                    ("150456", "MDC_PULS_OXIM_SAT_O2", "98", "262688^MDC_DIM_PERCENT"),
                    ("149530", "MDC_PULS_OXIM_PULS_RATE", "73", "264864^MDC_DIM_BEAT_PER_MIN"),
                    ("150021", "MDC_PRESS_BLD_NONINV_SYS", "124", "266016^MDC_DIM_MMHG"),
                    ("150022", "MDC_PRESS_BLD_NONINV_DIA", "78", "266016^MDC_DIM_MMHG"),
                    ("150023", "MDC_PRESS_BLD_NONINV_MEAN", "93", "266016^MDC_DIM_MMHG"),
                    ("151562", "MDC_RESP_RATE", "14", "264928^MDC_DIM_RESP_PER_MIN"),
                    ("150344", "MDC_TEMP", "36.8", "268192^MDC_DIM_DEGC"),
                    ("149546", "MDC_PULS_RATE_NON_INV", "71", "264864^MDC_DIM_BEAT_PER_MIN"),
                    ("147842", "MDC_ECG_HEART_RATE", "-100", "264864^MDC_DIM_BEAT_PER_MIN"),
                    ("150456", "MDC_PULS_OXIM_SAT_O2", "-?-", "262688^MDC_DIM_PERCENT"),
                    ("151562", "MDC_RESP_RATE", "", "264928^MDC_DIM_RESP_PER_MIN"),
                    ("150344", "MDC_TEMP", "37.0", "268192^MDC_DIM_DEGC"),
                    ("149530", "MDC_PULS_OXIM_PULS_RATE", "74", "264864^MDC_DIM_BEAT_PER_MIN"),
                    ("150021", "MDC_PRESS_BLD_NONINV_SYS", "131", "266016^MDC_DIM_MMHG"),
                ],
                start=1,
            )
        ),
    ]
)


@pytest.mark.parametrize("text", [IHE_BP, VITALS_15], ids=["ihe-bp", "vitals-15"])
def test_every_field_agrees_with_hl7apys_strict_parse(text: str) -> None:
    ours = parse_message(text)
    theirs = hl7apy_parse(text, find_groups=False)
    their_segments = theirs.children
    assert [s.id for s in ours.segments] == [s.name for s in their_segments]
    for mine, reference in zip(ours.segments, their_segments, strict=True):
        for field in reference.children:
            number = int(field.name.split("_")[1])
            assert mine.raw(number) == field.to_er7(), (mine.id, number)
    assert ours.control_id == theirs.msh.msh_10.to_er7()
    assert ours.message_type == "ORU^R01"
    assert ours.version == "2.6"


def test_observations_read_as_the_reference_describes() -> None:
    message = parse_message(VITALS_15)
    obx = message.all("OBX")
    assert len(obx) == 15
    first = obx[0]
    assert (first.component(3, 1), first.component(3, 2)) == ("147842", "MDC_ECG_HEART_RATE")
    assert first.field(4) == "1.1.1.1"
    assert parse_numeric(first.field(5)) == Decimal(72)
    assert first.component(6, 2) == "MDC_DIM_BEAT_PER_MIN"
    assert first.component(18, 1) == "0123456789ABCDEF"
    assert parse_timestamp(first.field(14)) == datetime(
        2026, 11, 26, 9, 30, tzinfo=timezone(timedelta(hours=-5))
    )
    # Invalid values are None (invalid), never zero.
    assert [parse_numeric(o.field(5)) for o in obx[9:12]] == [None, None, None]
    assert parse_numeric(obx[7].field(5)) == Decimal("36.8")


def test_escapes_decode_and_round_trip() -> None:
    assert unescape("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f") == "a|b^c&d~e\\f"
    assert unescape("\\X48492\\") == "\\X48492\\"  # odd hex: kept as sent
    assert unescape("\\X4869\\") == "Hi"
    assert unescape("\\Q\\") == "\\Q\\"  # unknown escape kept


@given(st.text(max_size=60))
def test_escape_then_unescape_is_identity(text: str) -> None:
    assert unescape(escape(text, DEFAULT_DELIMITERS), DEFAULT_DELIMITERS) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "20090713090030+0500",
            datetime(2009, 7, 13, 9, 0, 30, tzinfo=timezone(timedelta(hours=5))),
        ),
        ("20261126093000", datetime(2026, 11, 26, 9, 30)),  # noqa: DTZ001 - no offset sent
        ("202611260930", datetime(2026, 11, 26, 9, 30)),  # noqa: DTZ001 - no offset sent
        ("20261126093000.25-0000", datetime(2026, 11, 26, 9, 30, 0, 250000, tzinfo=UTC)),
        ("", None),
    ],
)
def test_timestamps_with_and_without_offsets(value: str, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", ["2026-11-26", "20261332", "yesterday"])
def test_a_bad_timestamp_is_an_error_naming_it(value: str) -> None:
    with pytest.raises(Hl7ParseError, match=value):
        parse_timestamp(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("PID|||1", "MSH"), ("MSH|^~", "delimiters"), ("MSH|^~\\&|a\rpid|x", "segment 2")],
)
def test_what_is_not_hl7_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(Hl7ParseError, match=reason):
        parse_message(text)


@given(st.text(max_size=400))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        message = parse_message(text)
    except Hl7ParseError:
        return
    for segment in message.segments:
        segment.field(3)
        segment.component(3, 2)


def test_acks_answer_with_the_senders_control_id_and_validate() -> None:
    message = parse_message(VITALS_15)
    now = datetime(2026, 11, 26, 9, 30, 1, tzinfo=timezone(timedelta(hours=-5)))
    accepted = ack(message, "AA", control_id="ACK-1", now=now)
    reply = parse_message(accepted)
    assert reply.message_type == "ACK^R01"
    assert reply.all("MSA")[0].field(1) == "AA"
    assert reply.all("MSA")[0].field(2) == "M-000042"
    assert reply.msh.field(5) == message.msh.field(3)  # receiver is the old sender
    assert reply.msh.field(7) == "20261126093001-0500"
    hl7apy_parse(accepted, find_groups=False)  # the strict parser accepts it
    refused = parse_message(
        ack(message, "AE", text="storage down | retry", control_id="A2", now=now)
    )
    err = refused.all("ERR")[0]
    assert err.field(3) == "207" and err.field(8) == "storage down | retry"


def test_raw_fields_are_numbered_like_the_standard_and_padded() -> None:
    message = parse_message(IHE_BP)
    obx = message.all("OBX")[2]
    fields = obx.raw_fields(19)
    assert fields[0] == "OBX" and fields[3] == "150021^MDC_PRESS_BLD_NONINV_SYS^MDC"
    assert fields[5] == obx.raw(5) == "120"
    assert len(fields) >= 19 and fields[18] == ""
    with pytest.raises(ValueError, match="MSH"):
        message.msh.raw_fields(19)
