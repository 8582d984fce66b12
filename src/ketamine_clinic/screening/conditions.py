"""The conditions a screening rule can test, as small frozen dataclasses.

Pure Python (no Django). A condition is data, not a lambda: it can be listed in the
docs (``describe``), hashed for the rules version (``rules.rules_fingerprint``) and
checked against the questionnaire when the rules are loaded (``question_keys``).

``match`` returns None when the condition does not hold, or the evidence when it does:
short strings a prescriber reads ("psychosis_ever = yes", "diagnosis F20.9",
"BP 162/95 mmHg"). Evidence never contains free text a patient typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ketamine_clinic.screening.facts import PregnancyStatus, ScreeningFacts, normalise_icd10

Evidence = tuple[str, ...]


class Condition(Protocol):
    def match(self, facts: ScreeningFacts) -> Evidence | None: ...

    def describe(self) -> str: ...

    def question_keys(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class AnswerIs:
    """The answer to ``key`` is one of ``values`` ("yes", "no", "unsure")."""

    key: str
    values: frozenset[str]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        value = facts.answers.get(self.key)
        return (f"{self.key} = {value}",) if value in self.values else None

    def describe(self) -> str:
        return f"`{self.key}` is {' or '.join(sorted(self.values))}"

    def question_keys(self) -> frozenset[str]:
        return frozenset({self.key})


@dataclass(frozen=True, slots=True)
class AnswerBelow:
    """The number answered to ``key`` is below ``threshold`` (unanswered: no match)."""

    key: str
    threshold: int

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        value = facts.answers.get(self.key)
        if isinstance(value, int) and value < self.threshold:
            return (f"{self.key} = {value}",)
        return None

    def describe(self) -> str:
        return f"`{self.key}` < {self.threshold}"

    def question_keys(self) -> frozenset[str]:
        return frozenset({self.key})


@dataclass(frozen=True, slots=True)
class AnyAnswerIs:
    """Any of the questions ``keys`` was answered ``value``; the evidence names each.

    The keys are listed rather than "every question" so that free text a patient typed
    (which may well read "unsure") is never taken for an answer.
    """

    value: str
    keys: frozenset[str]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        hits = sorted(key for key in self.keys if facts.answers.get(key) == self.value)
        return tuple(f"{key} = {self.value}" for key in hits) or None

    def describe(self) -> str:
        return f"any yes/no question answered {self.value}"

    def question_keys(self) -> frozenset[str]:
        return self.keys


@dataclass(frozen=True, slots=True)
class HasMedicationFlag:
    """The registry lists a medication carrying one of ``flags`` (MedicationFlag values)."""

    flags: frozenset[str]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        found = sorted(self.flags & facts.medication_flags)
        return tuple(f"registry medication: {flag}" for flag in found) or None

    def describe(self) -> str:
        return f"registry medication flag {' or '.join(sorted(self.flags))}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class DiagnosisPrefix:
    """A recorded ICD-10-CM code starts with one of ``prefixes`` (dot and case ignored).

    Prefixes are written with the dot as people read them ("F31", "F31.1"); "F1" alone
    would also match F1x codes outside F10-F19, so list each category.
    """

    prefixes: frozenset[str]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        wanted = tuple(normalise_icd10(prefix) for prefix in sorted(self.prefixes))
        found = sorted(
            code for code in facts.diagnosis_codes if normalise_icd10(code).startswith(wanted)
        )
        return tuple(f"diagnosis {code.strip().upper()}" for code in found) or None

    def describe(self) -> str:
        return f"ICD-10-CM diagnosis {', '.join(sorted(self.prefixes))}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class AllergyMentions:
    """A registry allergy's substance contains one of ``words`` (case ignored).

    The evidence names the word, not the staff's text, which may say more than it should.
    """

    words: frozenset[str]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        recorded = [substance.casefold() for substance in facts.allergies]
        found = sorted(w for w in self.words if any(w.casefold() in s for s in recorded))
        return tuple(f"registry allergy mentioning {word}" for word in found) or None

    def describe(self) -> str:
        return f"registry allergy mentioning {' or '.join(sorted(self.words))}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class AgeBelow:
    years: int

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        return (f"age {facts.age_years}",) if facts.age_years < self.years else None

    def describe(self) -> str:
        return f"age < {self.years}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class AgeAtLeast:
    years: int

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        return (f"age {facts.age_years}",) if facts.age_years >= self.years else None

    def describe(self) -> str:
        return f"age >= {self.years}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class PregnancyStatusIs:
    """The registry's pregnancy status is one of ``statuses``."""

    statuses: frozenset[PregnancyStatus]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        status = facts.pregnancy_status
        return (f"registry pregnancy status: {status}",) if status in self.statuses else None

    def describe(self) -> str:
        return f"registry pregnancy status {' or '.join(sorted(self.statuses))}"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class BloodPressureAtLeast:
    """The latest measured BP reaches either threshold (systolic OR diastolic), mmHg."""

    systolic_mmhg: int
    diastolic_mmhg: int

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        bp = facts.blood_pressure
        if bp is None:
            return None
        if bp.systolic_mmhg >= self.systolic_mmhg or bp.diastolic_mmhg >= self.diastolic_mmhg:
            return (f"BP {bp}",)
        return None

    def describe(self) -> str:
        return f"measured BP >= {self.systolic_mmhg}/{self.diastolic_mmhg} (either number)"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class BloodPressureMissing:
    def match(self, facts: ScreeningFacts) -> Evidence | None:
        return ("no BP recorded",) if facts.blood_pressure is None else None

    def describe(self) -> str:
        return "no measured BP in the facts"

    def question_keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one holds; the evidence is every holding condition's evidence."""

    conditions: tuple[Condition, ...]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        matched = [evidence for c in self.conditions if (evidence := c.match(facts)) is not None]
        return tuple(item for evidence in matched for item in evidence) if matched else None

    def describe(self) -> str:
        return "(" + " OR ".join(c.describe() for c in self.conditions) + ")"

    def question_keys(self) -> frozenset[str]:
        return frozenset().union(*(c.question_keys() for c in self.conditions))


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every one holds."""

    conditions: tuple[Condition, ...]

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        evidence: list[str] = []
        for condition in self.conditions:
            found = condition.match(facts)
            if found is None:
                return None
            evidence.extend(found)
        return tuple(evidence)

    def describe(self) -> str:
        return "(" + " AND ".join(c.describe() for c in self.conditions) + ")"

    def question_keys(self) -> frozenset[str]:
        return frozenset().union(*(c.question_keys() for c in self.conditions))


@dataclass(frozen=True, slots=True)
class Not:
    """The condition does not hold. Used only to cut a band (140/90 up to 160/100)."""

    condition: Condition

    def match(self, facts: ScreeningFacts) -> Evidence | None:
        return () if self.condition.match(facts) is None else None

    def describe(self) -> str:
        return f"NOT {self.condition.describe()}"

    def question_keys(self) -> frozenset[str]:
        return self.condition.question_keys()
