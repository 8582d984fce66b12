"""What screening knows about a patient: the questionnaire's answers and registry facts.

Pure Python (no Django): the evaluator, the rules and these types are usable and
testable on their own, like ``pharmacology/``. The Django layer builds ``ScreeningFacts``
from a patient (``screening.selectors.facts_for``) and stores them as a snapshot.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeGuard

# An answer as stored: "yes" / "no" / "unsure", a whole number, or free text. Numbers are
# integers only: the audit trail and every database round-trip them exactly, floats not.
AnswerValue = str | int

YES: Final = "yes"
NO: Final = "no"
UNSURE: Final = "unsure"
YES_NO_UNSURE: Final = (YES, NO, UNSURE)


class Outcome(enum.StrEnum):
    """The evaluator's verdict, and a rule's level. The Django enum mirrors these values.

    ELIGIBLE is never a rule's level: a rule can only make the outcome worse.
    """

    ELIGIBLE = "eligible"
    NEEDS_REVIEW = "needs_review"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def severity(self) -> int:
        """Order for "the worst level wins": higher is worse."""
        return _SEVERITY[self]


_SEVERITY: Final[Mapping[Outcome, int]] = MappingProxyType(
    {Outcome.ELIGIBLE: 0, Outcome.NEEDS_REVIEW: 1, Outcome.NOT_ELIGIBLE: 2}
)


class PregnancyStatus(enum.StrEnum):
    """Pregnancy as the registry (or the staff) records it, separate from the patient's answer.

    UNKNOWN is the default: nothing recorded is not the same as "not pregnant".
    """

    PREGNANT = "pregnant"
    POSSIBLE = "possible"
    NOT_PREGNANT = "not_pregnant"
    NOT_APPLICABLE = "not_applicable"  # no pregnancy potential recorded in the registry
    UNKNOWN = "unknown"


class FactsError(ValueError):
    """A fact that cannot be true (a BP of 400/20, a negative age); names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field_name = field_name
        self.message = message


# Plausible measured ranges, mmHg: outside them a reading is a typo or an artefact, and a
# rule must not read it as a real pressure (DESIGN.md: out-of-range vitals are invalid).
SYSTOLIC_RANGE_MMHG: Final = (50, 300)
DIASTOLIC_RANGE_MMHG: Final = (20, 200)
AGE_RANGE_YEARS: Final = (0, 130)


@dataclass(frozen=True, slots=True)
class BloodPressure:
    """One measured blood pressure, mmHg. Refuses readings no person can have."""

    systolic_mmhg: int
    diastolic_mmhg: int

    def __post_init__(self) -> None:
        for name, value, (low, high) in (
            ("systolic_mmhg", self.systolic_mmhg, SYSTOLIC_RANGE_MMHG),
            ("diastolic_mmhg", self.diastolic_mmhg, DIASTOLIC_RANGE_MMHG),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise FactsError(f"blood_pressure.{name}", "must be a whole number of mmHg")
            if not low <= value <= high:
                raise FactsError(
                    f"blood_pressure.{name}", f"{value} mmHg is outside {low}-{high} mmHg"
                )
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise FactsError(
                "blood_pressure.diastolic_mmhg", "must be lower than the systolic pressure"
            )

    def __str__(self) -> str:
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg} mmHg"


def normalise_icd10(code: str) -> str:
    """'f20.9 ' -> 'F209': rules match prefixes, so the dot and case must not matter."""
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True, slots=True)
class ScreeningFacts:
    """Everything the rules may look at, and nothing else.

    ``answers`` are the validated questionnaire answers (question key -> value; a key
    that is absent was not answered). ``medication_flags`` are ``MedicationFlag`` values
    as strings, ``diagnosis_codes`` ICD-10-CM codes as recorded (any case, with or
    without the dot). ``allergies`` are the registry's allergy substances as recorded
    (staff-typed; rules only look for a drug name in them). ``blood_pressure`` is the
    latest measured pressure, if any.
    """

    answers: Mapping[str, AnswerValue]
    age_years: int
    medication_flags: frozenset[str] = frozenset()
    diagnosis_codes: frozenset[str] = frozenset()
    pregnancy_status: PregnancyStatus = PregnancyStatus.UNKNOWN
    blood_pressure: BloodPressure | None = None
    allergies: frozenset[str] = frozenset()
    _normalised_codes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.age_years, bool) or not isinstance(self.age_years, int):
            raise FactsError("age_years", "must be a whole number of years")
        low, high = AGE_RANGE_YEARS
        if not low <= self.age_years <= high:
            raise FactsError("age_years", f"{self.age_years} is outside {low}-{high}")
        # Freeze the answers: a caller changing its dict later must not change the facts.
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))
        object.__setattr__(self, "medication_flags", frozenset(self.medication_flags))
        object.__setattr__(self, "diagnosis_codes", frozenset(self.diagnosis_codes))
        object.__setattr__(self, "allergies", frozenset(self.allergies))
        object.__setattr__(self, "pregnancy_status", PregnancyStatus(self.pregnancy_status))
        object.__setattr__(
            self, "_normalised_codes", frozenset(normalise_icd10(c) for c in self.diagnosis_codes)
        )

    @property
    def normalised_diagnosis_codes(self) -> frozenset[str]:
        return self._normalised_codes

    def snapshot(self) -> dict[str, Any]:
        """The facts as plain JSON (sorted, so two equal facts give equal snapshots)."""
        bp = self.blood_pressure
        return {
            "answers": dict(sorted(self.answers.items())),
            "age_years": self.age_years,
            "medication_flags": sorted(self.medication_flags),
            "diagnosis_codes": sorted(self.diagnosis_codes),
            "pregnancy_status": str(self.pregnancy_status),
            "allergies": sorted(self.allergies),
            "blood_pressure": None
            if bp is None
            else {"systolic_mmhg": bp.systolic_mmhg, "diastolic_mmhg": bp.diastolic_mmhg},
        }


def is_whole_number(value: object) -> TypeGuard[int]:
    """True for an int that is not a bool (True is an int to Python, not to a patient)."""
    return isinstance(value, int) and not isinstance(value, bool)
