"""Which medications carry which `MedicationFlag`: a small data table, not rules in code.

The chart and screening read the flags stored on each medication; this table only
proposes them when a medication is recorded, and staff may change them (a combination
product or a brand this table does not know). Names are matched word by word after
lower-casing, so "Lorazepam 1 mg tablet" and "XANAX XR" both match.
"""

from __future__ import annotations

import re

from ketamine_clinic.patients.enums import MedicationFlag

# Source of the classes: clinical.md (relative contraindications); generic names with the
# common US brand names, which patients often write on an intake form.
MEDICATION_FLAG_TABLE: dict[MedicationFlag, frozenset[str]] = {
    MedicationFlag.BENZODIAZEPINE: frozenset(
        {
            "alprazolam", "xanax",
            "lorazepam", "ativan",
            "clonazepam", "klonopin",
            "diazepam", "valium",
            "chlordiazepoxide", "librium",
            "temazepam", "restoril",
            "oxazepam", "clobazam", "onfi",
            "triazolam", "halcion",
            "midazolam",
        }
    ),
    MedicationFlag.LAMOTRIGINE: frozenset({"lamotrigine", "lamictal"}),
    MedicationFlag.MAOI: frozenset(
        {
            "phenelzine", "nardil",
            "tranylcypromine", "parnate",
            "isocarboxazid", "marplan",
            "selegiline", "emsam", "eldepryl", "zelapar",
        }
    ),
    MedicationFlag.STIMULANT: frozenset(
        {
            "methylphenidate", "ritalin", "concerta",
            "dexmethylphenidate", "focalin",
            "amphetamine", "dextroamphetamine", "adderall", "dexedrine",
            "lisdexamfetamine", "vyvanse",
            "methamphetamine", "desoxyn",
        }
    ),
    MedicationFlag.SYMPATHOMIMETIC: frozenset(
        {"pseudoephedrine", "sudafed", "phenylephrine", "ephedrine"}
    ),
}  # fmt: skip

_WORD = re.compile(r"[a-z]+")


def flags_for_medication_name(name: str) -> list[MedicationFlag]:
    """The flags the table proposes for a medication written as `name`, in enum order."""
    words = set(_WORD.findall(name.lower()))
    return [flag for flag in MedicationFlag if words & MEDICATION_FLAG_TABLE.get(flag, frozenset())]
