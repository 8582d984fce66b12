"""The clinic's drug library: one ketamine entry per care area, as typed Python data.

Why Python rather than TOML or JSON: the entries are frozen dataclasses, so mypy checks
every field and `LimitBand` refuses disordered limits when the module is imported (a
typo fails the test run, not a pump program); each number sits next to the comment that
justifies it; and there is no file to locate or parse at run time. A clinic changes its
library by changing this module under review, which is the change control a drug
library needs anyway.

Every limit here is a clinic-configurable default chosen from the shared references
(`/work/shared/reference/pharmacology.md`, `clinical.md`), not a published standard:
no body publishes smart-pump limits for antidepressant ketamine. A clinic must review
them before use. All doses are mg of ketamine *base*.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ketamine_clinic.pharmacology.dosing_errors import InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import DoseRateUnit, DrugLibraryEntry, LimitBand

# Concentrations, mg base/mL. Reference: standard infusion concentrations are 1 or
# 2 mg/mL, and 5 mg/mL in a 50 mL syringe (NHS Highland). Stock (10, 50, 100 mg/mL) is
# never infused undiluted from a syringe pump here, so anything above 5 mg/mL is a
# hard stop (it catches "50" typed for the vial instead of the syringe); below 1 mg/mL
# the volume for a 0.5 mg/kg dose outgrows a 60 mL syringe above 120 kg.
KETAMINE_CONCENTRATIONS: Final = LimitBand(hard_low=1.0, hard_high=5.0)
KETAMINE_STANDARD_CONCENTRATIONS: Final = (1.0, 2.0, 5.0)

DEPRESSION: Final = DrugLibraryEntry(
    key="depression",
    care_area="Ketamine infusion clinic — depression",
    label="depression",
    drug="Ketamine",
    concentration_mg_per_ml=KETAMINE_CONCENTRATIONS,
    standard_concentrations_mg_per_ml=KETAMINE_STANDARD_CONCENTRATIONS,
    dosing_unit=DoseRateUnit.MG_PER_KG_PER_H,
    dose_rate=LimitBand(
        # 0.05 mg/kg/h: a tenth of the standard 0.5 — a decimal slip, not a dose.
        hard_low=0.05,
        # 0.2 mg/kg/h: below the slowest regimen in the reference (0.5 mg/kg over
        # 100 min = 0.3 mg/kg/h) with room for a nurse to slow for side effects.
        soft_low=0.2,
        # 1.0 mg/kg/h: the standard is 0.75 (0.5 mg/kg over 40 min); the Pennsylvania
        # low-dose guideline (2020) calls infusions up to 1 mg/kg/h "low dose". Faster
        # needs a prescriber's say-so.
        soft_high=1.0,
        # 1.5 mg/kg/h: the fastest rate the practice range gives (1.0 mg/kg over the
        # shortest studied 40 min). Beyond it no antidepressant regimen in the reference
        # applies; it heads towards dissociative/anaesthetic exposure.
        hard_high=1.5,
    ),
    total_dose=LimitBand(
        # 0.1 mg/kg: a fifth of the standard 0.5 mg/kg — an entry error.
        hard_low=0.1,
        # 0.3 mg/kg: well under the 0.5-1.0 mg/kg used in practice; a check, not a ban.
        soft_low=0.3,
        # 1.0 mg/kg: the top of the range used in practice (0.5-1.0 mg/kg per session;
        # clinics titrate in 0.1-0.25 mg/kg steps towards 0.75-1.0).
        soft_high=1.0,
        # 1.5 mg/kg: half again the top of practice; still sub-anaesthetic (anaesthetic
        # plasma levels, 1200-2400 ng/mL, are ~6-13x the ~185 ng/mL of 0.5 mg/kg), but no
        # reference supports more per session for depression.
        hard_high=1.5,
    ),
    # 150 mL/h: a whole 60 mL syringe in 24 min. The fastest program the regimen needs
    # is 60 mL over 40 min = 90 mL/h; a rate above 150 mL/h means a wrong weight or
    # concentration, whatever the dose rate says.
    max_rate_ml_per_h=150.0,
    duration_min=LimitBand(
        # 20 min: 0.5 mg/kg in 20 min is already the hard-high dose rate (1.5 mg/kg/h).
        hard_low=20.0,
        # 40 min: the studied duration (0.5 mg/kg over 40 min in nearly every trial).
        soft_low=40.0,
        # 100 min: the longest planned session in the clinic's range (40-100 min).
        soft_high=100.0,
        # 240 min: a long titrated-down session still ends within a clinic half-day
        # with its 2 h observation; beyond that, stop and re-plan.
        hard_high=240.0,
    ),
    advisory=(
        "Sub-anaesthetic ketamine for depression, doses in mg of ketamine base. Studied "
        "dose 0.5 mg/kg over 40 min; this clinic runs 50-55 min. Continuous SpO2 and ECG, "
        "BP every 10 min. Reduce or pause the rate if SBP > 180, DBP > 110 or HR > 130."
    ),
)

# A second care area for patients whose blood pressure is the main risk (age >= 65 or
# treated hypertension): the same drug with lower ceilings. Reference (clinical.md):
# age over 50, hypertension and higher dose predict larger BP rises (741-infusion
# series; Yale 2024: age and hypertension predict surges, SBP peaks ~40 min).
CARDIOVASCULAR_CAUTION: Final = DrugLibraryEntry(
    key="depression-cv-caution",
    care_area="Ketamine infusion clinic — depression, cardiovascular caution",
    label="depression, cardiovascular caution",
    drug="Ketamine",
    concentration_mg_per_ml=KETAMINE_CONCENTRATIONS,
    standard_concentrations_mg_per_ml=KETAMINE_STANDARD_CONCENTRATIONS,
    dosing_unit=DoseRateUnit.MG_PER_KG_PER_H,
    dose_rate=LimitBand(
        hard_low=0.05,  # as for depression: a decimal slip
        soft_low=0.2,  # as for depression
        # 0.75 mg/kg/h: the studied rate (0.5 mg/kg over 40 min); faster needs a
        # prescriber, as the BP rise grows with dose.
        soft_high=0.75,
        # 1.0 mg/kg/h: the Pennsylvania "low dose" ceiling; no faster for these patients.
        hard_high=1.0,
    ),
    total_dose=LimitBand(
        hard_low=0.1,
        soft_low=0.3,
        soft_high=0.75,  # the middle of the practice range; more needs a prescriber
        hard_high=1.0,  # the top of the practice range, never beyond
    ),
    # 100 mL/h: the fastest program these limits allow (1.0 mg/kg/h at 1 mg/mL) for a
    # 100 kg patient; heavier patients take 2 mg/mL.
    max_rate_ml_per_h=100.0,
    duration_min=LimitBand(
        hard_low=30.0,  # 0.5 mg/kg in 30 min is already the hard-high rate (1.0 mg/kg/h)
        soft_low=50.0,  # the clinic's 50-55 min spreads the BP peak; shorter needs review
        soft_high=100.0,
        hard_high=240.0,
    ),
    advisory=(
        "Ketamine for depression in patients at cardiovascular risk (age >= 65 or treated "
        "hypertension), doses in mg of ketamine base. Run over 50 min or longer. BP every "
        "5-10 min; the rise peaks around 40 min. Reduce or pause if SBP > 180 or DBP > 110."
    ),
)

DEFAULT_LIBRARY: Final[Mapping[str, DrugLibraryEntry]] = MappingProxyType(
    {entry.key: entry for entry in (DEPRESSION, CARDIOVASCULAR_CAUTION)}
)
DEFAULT_CARE_AREA: Final = DEPRESSION.key


def library_entry(
    care_area: str, *, library: Mapping[str, DrugLibraryEntry] = DEFAULT_LIBRARY
) -> DrugLibraryEntry:
    """The ketamine entry of ``care_area`` (e.g. ``"depression"``).

    Raises
    ------
    InvalidDoseInput
        ``care_area: unknown care area ...`` naming the known ones.

    Examples
    --------
    >>> library_entry("depression").dose_rate.hard_high
    1.5
    """
    try:
        return library[care_area]
    except KeyError:
        known = ", ".join(sorted(library))
        raise InvalidDoseInput(
            "care_area", f"unknown care area {care_area!r}; choose from {known}"
        ) from None
