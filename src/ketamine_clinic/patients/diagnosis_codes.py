"""The ICD-10-CM codes this clinic records, with their titles: a small bundled list.

A code outside the list is refused rather than stored with a made-up title; a clinic
that needs another code adds its line here (titles as in the CMS ICD-10-CM tabular
list, FY2025). `concern` marks the codes that matter for ketamine (clinical.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A letter, a digit, a digit or letter, then optionally a dot and one to four characters.
ICD10_FORMAT = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@dataclass(frozen=True)
class DiagnosisCode:
    code: str
    title: str
    concern: str = ""  # empty: no bearing on ketamine eligibility


_BIPOLAR = "Bipolar disorder: relative contraindication (risk of switch); prescriber review"
_PSYCHOSIS = "Psychotic features: contraindication to ketamine"

DIAGNOSIS_CODES: dict[str, DiagnosisCode] = {
    entry.code: entry
    for entry in [
        DiagnosisCode("F32.0", "Major depressive disorder, single episode, mild"),
        DiagnosisCode("F32.1", "Major depressive disorder, single episode, moderate"),
        DiagnosisCode(
            "F32.2", "Major depressive disorder, single episode, severe without psychotic features"
        ),
        DiagnosisCode(
            "F32.3",
            "Major depressive disorder, single episode, severe with psychotic features",
            _PSYCHOSIS,
        ),
        DiagnosisCode("F32.4", "Major depressive disorder, single episode, in partial remission"),
        DiagnosisCode("F32.5", "Major depressive disorder, single episode, in full remission"),
        DiagnosisCode("F32.9", "Major depressive disorder, single episode, unspecified"),
        DiagnosisCode("F32.A", "Depression, unspecified"),
        DiagnosisCode("F33.0", "Major depressive disorder, recurrent, mild"),
        DiagnosisCode("F33.1", "Major depressive disorder, recurrent, moderate"),
        DiagnosisCode(
            "F33.2", "Major depressive disorder, recurrent severe without psychotic features"
        ),
        DiagnosisCode(
            "F33.3",
            "Major depressive disorder, recurrent, severe with psychotic symptoms",
            _PSYCHOSIS,
        ),
        DiagnosisCode("F33.40", "Major depressive disorder, recurrent, in remission, unspecified"),
        DiagnosisCode("F33.41", "Major depressive disorder, recurrent, in partial remission"),
        DiagnosisCode("F33.42", "Major depressive disorder, recurrent, in full remission"),
        DiagnosisCode("F33.8", "Other recurrent depressive disorders"),
        DiagnosisCode("F33.9", "Major depressive disorder, recurrent, unspecified"),
        DiagnosisCode("F34.1", "Dysthymic disorder"),
        DiagnosisCode("F41.0", "Panic disorder [episodic paroxysmal anxiety]"),
        DiagnosisCode("F41.1", "Generalized anxiety disorder"),
        DiagnosisCode("F41.8", "Other specified anxiety disorders"),
        DiagnosisCode("F41.9", "Anxiety disorder, unspecified"),
        DiagnosisCode("F43.10", "Post-traumatic stress disorder, unspecified"),
        DiagnosisCode("F43.11", "Post-traumatic stress disorder, acute"),
        DiagnosisCode("F43.12", "Post-traumatic stress disorder, chronic"),
        DiagnosisCode("F31.0", "Bipolar disorder, current episode hypomanic", _BIPOLAR),
        DiagnosisCode(
            "F31.30",
            "Bipolar disorder, current episode depressed, mild or moderate severity, unspecified",
            _BIPOLAR,
        ),
        DiagnosisCode(
            "F31.4",
            "Bipolar disorder, current episode depressed, severe, without psychotic features",
            _BIPOLAR,
        ),
        DiagnosisCode("F31.81", "Bipolar II disorder", _BIPOLAR),
        DiagnosisCode("F31.9", "Bipolar disorder, unspecified", _BIPOLAR),
        DiagnosisCode(
            "F20.9", "Schizophrenia, unspecified", "Schizophrenia: contraindication to ketamine"
        ),
        DiagnosisCode(
            "F10.20",
            "Alcohol dependence, uncomplicated",
            "Substance use disorder: relative contraindication; prescriber review",
        ),
        DiagnosisCode(
            "I10",
            "Essential (primary) hypertension",
            "Hypertension: check control before each infusion",
        ),
        DiagnosisCode(
            "G47.33",
            "Obstructive sleep apnea (adult) (pediatric)",
            "Sleep apnoea: relative contraindication (airway)",
        ),
        DiagnosisCode(
            "R45.851", "Suicidal ideations", "Suicidal ideation: follow the clinic's safety plan"
        ),
    ]
}


def normalise_code(text: str) -> str:
    """Upper-case, trim, and put the dot back where people leave it out ("f331" -> "F33.1")."""
    code = text.strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code
