"""The clinic's course protocols, as typed Python data (like ``drug_library_data``).

Every number is a clinic-configurable default taken from
``/work/shared/reference/clinical.md`` ("the reference" below), not a published
standard: no body publishes a course protocol for antidepressant ketamine. Values the
reference does not give are marked (verify) and must be reviewed by the clinic before use.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ketamine_clinic.courses.protocols import BoosterRule, InvalidProtocol, Protocol

STANDARD_SIX: Final = Protocol(
    key="standard-6",
    label="Six infusions in 21 days",
    # 6: "a course is six infusions over 2-3 weeks" (the brief); Phillips 2019 and
    # Shiroma 2014 gave 6; Oliver 2022 (one clinic chain) 6 in 21 days.
    infusions=6,
    # 21 days: the longer end of "2-3 weeks"; Oliver 2022 "6 infusions in 21 days".
    window_days=21,
    # 2 days: no two infusions on consecutive days. Murrough 2013 gave up to 6 in
    # 12 days and Phillips 2019 three a week (Mon/Wed/Fri: 2 days apart at the closest).
    min_days_between=2,
    # 5 days: ELEKT-D gave twice weekly (3-4 days apart); a gap of more than 5 days
    # would no longer fit six infusions in 21 days with the remaining spacing.
    max_days_between=5,
    # 0.5 mg/kg: the studied dose in nearly every trial (Sanacora 2017, ELEKT-D,
    # Murrough, Phillips); clinics start there and titrate.
    dose_mg_per_kg=0.5,
    # 55 min: the clinic's practice ("50-55 min per infusion", the brief).
    infusion_min=55,
    # 40 min: the studied duration; 100 min: the longest session the drug library's
    # duration band allows without an override (drug_library_data, soft_high).
    infusion_min_allowed=40,
    infusion_max_allowed=100,
    # 30 min: the top of the brief's "20-30 min recovery" as the minimum to plan for.
    recovery_min=30,
    # 20 min: check-in, pre-infusion checks and IV access before the pump starts
    # (verify: the reference gives no figure; a clinic times its own).
    preparation_min=20,
    booster=BoosterRule(
        # 14-42 days: Murrough 2013 found a median of 18 days to relapse after six
        # infusions and McInnes 2022 ~60% still responding at 8 weeks; a booster is
        # offered from 2 weeks and planned by 6 (verify: no consensus interval).
        min_days_after_course=14,
        max_days_after_course=42,
        # 14 days: boosters no closer than a fortnight apart (verify).
        min_days_between_boosters=14,
    ),
    # ±10 % and ±0.05 mg/kg/h: the room's steps before they became protocol data
    # (clinicday.forms.TITRATION_STEPS). The reference gives no in-session step, only
    # 0.1-0.25 mg/kg between sessions (clinical.md), so these are the clinic's (verify):
    # 10 % of the standard 0.75 mg/kg/h is 0.075 mg/kg/h, and 0.05 mg/kg/h a finer step.
    titration_steps_percent=(10, -10),
    titration_steps_mg_per_kg_per_h=(0.05, -0.05),
    source="clinical.md: practice in the brief; Murrough 2013; Phillips 2019; ELEKT-D 2023; "
    "Oliver 2022; Sanacora 2017 (dose).",
)

PROTOCOLS: Final[Mapping[str, Protocol]] = MappingProxyType({STANDARD_SIX.key: STANDARD_SIX})
DEFAULT_PROTOCOL_KEY: Final = STANDARD_SIX.key


def protocol_for(key: str, *, protocols: Mapping[str, Protocol] = PROTOCOLS) -> Protocol:
    """The protocol called ``key``; InvalidProtocol naming the known ones otherwise."""
    try:
        return protocols[key]
    except KeyError:
        known = ", ".join(sorted(protocols))
        raise InvalidProtocol(f"unknown protocol {key!r}; choose from {known}") from None
