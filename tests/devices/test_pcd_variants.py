"""Vendor variants read as the clinic's terms, each mapping listed in the report
(reference/devices.md, "Real feeds deviate"), and invalid values never zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret

NEW_YORK = ZoneInfo("America/New_York")


def message(*obx: str, version: str = "2.6", msh7: str = "20261126093000-0500") -> str:
    return "\r".join(
        [
            f"MSH|^~\\&|Vendor^0011223344556677^EUI-64||||{msh7}||ORU^R01^ORU_R01|V1|P|{version}"
            "|||NE|AL",
            "OBR|1|1|1|182777000^monitoring of patient^SNOMED-CT",
            *obx,
        ]
    )


def test_philips_mdil_codes_are_read_as_mdc_codes() -> None:
    """Efficia: HL7 v2.4 and MDIL codes (partition-code in hex)."""
    text = message(
        "OBX|1|NM|0002-4182^HR^MDIL|1.1.1.1|71|0004-0aa0^bpm^MDIL|||||F",
        "OBX|2|NM|0002-4bb8^SpO2^MDIL|1.1.2.1|-?-|0004-0220^%^MDIL|||||F",
        "OBX|3|NM|0002-4a05^NBPs^MDIL|1.1.3.1|128|0004-0f20^mmHg^MDIL|||||F",
        version="2.4",
    )
    report = interpret(parse_message(text), NEW_YORK)
    got = {(n.code, n.name, n.value) for n in report.numerics}
    assert got == {
        (mdc.HEART_RATE.code, "MDC_ECG_HEART_RATE", Decimal("71")),
        (mdc.SPO2.code, "MDC_PULS_OXIM_SAT_O2", None),  # Philips' invalid marker
        (mdc.NIBP_SYSTOLIC.code, "MDC_PRESS_BLD_NONINV_SYS", Decimal("128")),
    }
    assert "0002-4182 HR (MDIL) -> 147842 (partition and code)" in report.mappings
    assert report.version == "2.4"


def test_cuff_pressure_codes_are_read_as_nibp() -> None:
    text = message(
        "OBX|1|NM|150301^MDC_PRESS_CUFF_SYS^MDC|1.0.1.1|132|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|2|NM|150302^MDC_PRESS_CUFF_DIA^MDC|1.0.1.2|84|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|3|NM|150303^MDC_PRESS_CUFF_MEAN^MDC|1.0.1.3|100|266016^MDC_DIM_MMHG^MDC|||||R",
    )
    report = interpret(parse_message(text), NEW_YORK)
    assert [(n.code, n.mapped_from) for n in report.numerics] == [
        (150021, "150301 MDC_PRESS_CUFF_SYS"),
        (150022, "150302 MDC_PRESS_CUFF_DIA"),
        (150023, "150303 MDC_PRESS_CUFF_MEAN"),
    ]
    assert len(report.mappings) == 3


@pytest.mark.parametrize(
    ("name", "expected_code"),
    [
        ("MDC_PULS_RATE", mdc.PULSE_RATE_OXIMETER.code),  # one vendor's pulse rate
        ("MDC_BLD_PULS_RATE_INV", 149522),  # another's invasive pulse rate: kept as sent
    ],
)
def test_149522_depends_on_the_name_the_sender_gives(name: str, expected_code: int) -> None:
    text = message(f"OBX|1|NM|149522^{name}^MDC|1.1.1.1|70|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R")
    [numeric] = interpret(parse_message(text), NEW_YORK).numerics
    assert numeric.code == expected_code


@pytest.mark.parametrize("raw", ["-100", "-?-", ""])
def test_invalid_markers_are_none_never_zero(raw: str) -> None:
    text = message(
        f"OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.1.1|{raw}|262688^MDC_DIM_PERCENT|||||R"
    )
    [numeric] = interpret(parse_message(text), NEW_YORK).numerics
    assert (numeric.value, numeric.valid, numeric.raw_value) == (None, False, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.5^-0.25^1", (0.5, -0.25, 1.0)),  # every sample valid: the one-pass path
        ("0.5^-100^1", (0.5, None, 1.0)),
        ("0.5^-?-^1", (0.5, None, 1.0)),
        ("0.5^^1", (0.5, None, 1.0)),
        ("0.5^x1^1", (0.5, None, 1.0)),
        ("0.5^nan^1", (0.5, None, 1.0)),
        ("inf^0.5^-inf", (None, 0.5, None)),
        # Finite as read (their sum overflows) but beyond what float32 storage holds.
        ("1e308^1e308", (None, None)),
        ("3e38^-3e38", (3e38, -3e38)),  # float32's largest finite range still holds
    ],
)
def test_waveform_samples_invalid_ones_are_none(
    raw: str, expected: tuple[float | None, ...]
) -> None:
    text = message(
        f"OBX|1|NA|131330^MDC_ECG_ELEC_POTL_II^MDC|1.1.1.1|{raw}|20^mV^UCUM|||||R",
    )
    [wave] = interpret(parse_message(text), NEW_YORK).waveforms
    assert wave.samples == expected


def test_a_sample_beyond_float32_is_stored_as_invalid_not_as_infinity() -> None:
    text = message(
        "OBX|1|NA|131330^MDC_ECG_ELEC_POTL_II^MDC|1.1.1.1|0.5^1e308^-1e39|20^mV^UCUM|||||R"
    )
    [wave] = interpret(parse_message(text), NEW_YORK).waveforms
    stored = np.frombuffer(wave.samples_f32, dtype="<f4")
    assert stored[0] == np.float32(0.5)
    assert np.isnan(stored[1:]).all()


def test_times_with_an_offset_keep_it_and_without_take_the_clinics_zone() -> None:
    with_offset = interpret(parse_message(message(msh7="20090713090030+0500")), NEW_YORK)
    assert with_offset.sent_at == datetime(
        2009, 7, 13, 9, 0, 30, tzinfo=timezone(timedelta(hours=5))
    )
    naive = interpret(parse_message(message(msh7="20261126093000")), NEW_YORK)
    assert naive.sent_at.astimezone(UTC) == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
