"""The ISO/IEEE 11073 MDC terms the clinic reads and sends, and the vendor variants it maps.

Codes and units are from ``reference/devices.md`` (IHE PCD technical framework and vendor
manuals). Terms marked ``verify`` there are the few this module adds for waveforms and the
pump (ECG lead II, mV, mL/h, mg) from the IEEE 11073-10101 nomenclature as we read it;
they are matched by name as well as by code, so a sender using the other number still maps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Term:
    code: int
    name: str
    unit_code: int | None = None
    unit: str = ""


# Numerics a monitor sends (reference/devices.md, PCD-01 table).
HEART_RATE: Final = Term(147842, "MDC_ECG_HEART_RATE", 264864, "MDC_DIM_BEAT_PER_MIN")
SPO2: Final = Term(150456, "MDC_PULS_OXIM_SAT_O2", 262688, "MDC_DIM_PERCENT")
PULSE_RATE_OXIMETER: Final = Term(149530, "MDC_PULS_OXIM_PULS_RATE", 264864, "MDC_DIM_BEAT_PER_MIN")
PULSE_RATE_NIBP: Final = Term(149546, "MDC_PULS_RATE_NON_INV", 264864, "MDC_DIM_BEAT_PER_MIN")
NIBP: Final = Term(150020, "MDC_PRESS_BLD_NONINV")
NIBP_SYSTOLIC: Final = Term(150021, "MDC_PRESS_BLD_NONINV_SYS", 266016, "MDC_DIM_MMHG")
NIBP_DIASTOLIC: Final = Term(150022, "MDC_PRESS_BLD_NONINV_DIA", 266016, "MDC_DIM_MMHG")
NIBP_MEAN: Final = Term(150023, "MDC_PRESS_BLD_NONINV_MEAN", 266016, "MDC_DIM_MMHG")
RESP_RATE: Final = Term(151562, "MDC_RESP_RATE", 264928, "MDC_DIM_RESP_PER_MIN")
TEMPERATURE: Final = Term(150344, "MDC_TEMP", 268192, "MDC_DIM_DEGC")
MONITOR_MDS: Final = Term(69965, "MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS")

# Waveforms (OBX-2 NA, samples separated by the component separator).
PLETH: Final = Term(150452, "MDC_PULS_OXIM_PLETH", 262656, "MDC_DIM_DIMLESS")
ECG_LEAD_II: Final = Term(131330, "MDC_ECG_ELEC_POTL_II", 4274, "MDC_DIM_MILLI_VOLT")  # verify
# The sample rate travels as a facet row under the waveform's containment (one level
# deeper); matched by name, since vendors number it differently.
SAMPLE_RATE_NAME: Final = "MDC_ATTR_SAMP_RATE"
SAMPLE_RATE: Final = Term(67975, SAMPLE_RATE_NAME, 2720, "MDC_DIM_PER_SEC")  # verify

# Pump (PCD-10 containment codes from reference/devices.md; rate and volume terms verify).
PUMP_MDS: Final = Term(69985, "MDC_DEV_PUMP_INFUS_MDS")
PUMP_VMD: Final = Term(69986, "MDC_DEV_PUMP_INFUS_VMD")
PUMP_CHANNEL: Final = Term(126978, "MDC_DEV_PUMP_INFUS_CHAN_DELIVERY")
PUMP_RATE: Final = Term(157924, "MDC_FLOW_FLUID_PUMP", 265266, "MDC_DIM_MILLI_L_PER_HR")  # verify
PUMP_VOLUME_DELIVERED: Final = Term(
    157872, "MDC_VOL_FLUID_DELIV_TOTAL", 263762, "MDC_DIM_MILLI_L"
)  # verify
PUMP_VOLUME_REMAINING: Final = Term(
    157884, "MDC_VOL_FLUID_TBI_REMAIN", 263762, "MDC_DIM_MILLI_L"
)  # verify
PUMP_DOSE_DELIVERED: Final = Term(
    157920, "MDC_DRUG_DOSE_DELIV_TOTAL", 263890, "MDC_DIM_MILLI_G"
)  # verify
MILLI_L: Final = 263762  # MDC_DIM_MILLI_L, RXG-7 of PCD-03 (reference/devices.md)

# Alarm report (PCD-04) terms.
EVT_ALARM: Final = Term(196616, "MDC_EVT_ALARM")
EVT_HI: Final = Term(196648, "MDC_EVT_HI")
EVT_LO: Final = Term(196652, "MDC_EVT_LO")  # verify

KNOWN_NUMERICS: Final[dict[int, Term]] = {
    term.code: term
    for term in (
        HEART_RATE,
        SPO2,
        PULSE_RATE_OXIMETER,
        PULSE_RATE_NIBP,
        NIBP_SYSTOLIC,
        NIBP_DIASTOLIC,
        NIBP_MEAN,
        RESP_RATE,
        TEMPERATURE,
        PUMP_RATE,
        PUMP_VOLUME_DELIVERED,
        PUMP_VOLUME_REMAINING,
        PUMP_DOSE_DELIVERED,
    )
}
KNOWN_WAVEFORMS: Final[dict[int, Term]] = {term.code: term for term in (PLETH, ECG_LEAD_II)}
# A waveform without a sample-rate facet: the rate the clinic's monitors use.
DEFAULT_SAMPLE_RATE_HZ: Final[dict[int, int]] = {PLETH.code: 125, ECG_LEAD_II.code: 250}


@dataclass(frozen=True, slots=True)
class Variant:
    """A vendor's code that the clinic reads as one of its own terms."""

    code: int
    name: str
    maps_to: Term
    why: str


# reference/devices.md, "Real feeds deviate": cuff pressure for NIBP; 149522 is
# MDC_PULS_RATE for one vendor and MDC_BLD_PULS_RATE_INV for another, and both are a
# pulse rate in beats per minute, so it maps to the oximeter's pulse rate only when the
# sender names it MDC_PULS_RATE (an invasive pulse rate is kept under its own code).
VARIANTS: Final[dict[int, Variant]] = {
    150301: Variant(150301, "MDC_PRESS_CUFF_SYS", NIBP_SYSTOLIC, "NIBP sent as cuff pressure"),
    150302: Variant(150302, "MDC_PRESS_CUFF_DIA", NIBP_DIASTOLIC, "NIBP sent as cuff pressure"),
    150303: Variant(150303, "MDC_PRESS_CUFF_MEAN", NIBP_MEAN, "NIBP sent as cuff pressure"),
}
PULS_RATE_AMBIGUOUS: Final = 149522


_MDIL: Final = re.compile(r"([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})\Z")


def mdil_code(text: str) -> int | None:
    """The MDC code of a Philips MDIL code ``pppp-cccc`` (partition and term code in hex),
    else None. MDC codes are 32-bit: partition << 16 | code, so ``0002-4182`` is 147842,
    MDC_ECG_HEART_RATE (reference/devices.md: Philips Efficia sends its own MDIL codes)."""
    match = _MDIL.match(text)
    if match is None:
        return None
    return (int(match.group(1), 16) << 16) | int(match.group(2), 16)


def resolve(code: int, name: str) -> tuple[Term | None, str]:
    """The clinic's term for ``code``/``name`` and, when it was mapped, what was mapped.

    Returns ``(None, "")`` for a code the clinic does not know (it is still stored, under
    the sender's code and name).
    """
    term = KNOWN_NUMERICS.get(code) or KNOWN_WAVEFORMS.get(code)
    if term is not None:
        return term, ""
    variant = VARIANTS.get(code)
    if variant is not None:
        return (
            variant.maps_to,
            f"{code} {name or variant.name} -> {variant.maps_to.code} ({variant.why})",
        )
    if code == PULS_RATE_AMBIGUOUS:
        if name == "MDC_PULS_RATE":
            return PULSE_RATE_OXIMETER, (
                f"{code} MDC_PULS_RATE -> {PULSE_RATE_OXIMETER.code} (vendor code for pulse rate)"
            )
        return None, ""
    by_name = _BY_NAME.get(name)
    if by_name is not None:
        return by_name, f"{code} {name} -> {by_name.code} (known by name, other code)"
    return None, ""


_BY_NAME: Final[dict[str, Term]] = {
    term.name: term for term in (*KNOWN_NUMERICS.values(), *KNOWN_WAVEFORMS.values())
}
