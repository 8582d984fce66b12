"""What a screening rule is, a versioned set of rules, and the fingerprint that pins it.

Pure Python (no Django). The rules themselves are data in ``rules_data.py``.

Versioning: an assessment stores the version of the rules that judged it, so a
prescriber (or an auditor, years later) can tell which rules said what. The version is
only meaningful if any change to the rules changes it; ``rules_fingerprint`` hashes the
questions and rules (not the version string), and a test pins that hash to the
version, so a change to the data without a new version fails the suite.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Final

from ketamine_clinic.screening.conditions import Condition
from ketamine_clinic.screening.facts import Outcome
from ketamine_clinic.screening.questionnaire import AnswerType, Question

RULE_ID_PATTERN: Final = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
VERIFY_MARK: Final = "(verify)"


@dataclass(frozen=True, slots=True)
class Rule:
    """One contraindication check.

    ``reason`` is what the prescriber reads when the rule fires; ``source`` names where
    the rule comes from; ``verify`` is True where the reference says to check the primary
    source, or where the clinic chose a number the sources do not give. Such rules show
    "(verify)" beside their source in the docs and the reasons until someone checks them.
    """

    id: str
    condition: Condition
    level: Outcome
    reason: str
    source: str
    verify: bool = False

    def __post_init__(self) -> None:
        if not RULE_ID_PATTERN.match(self.id):
            raise ValueError(f"rule id {self.id!r} must look like ABC-DEF")
        if self.level is Outcome.ELIGIBLE:
            raise ValueError(f"{self.id}: a rule can only make the outcome worse")
        if not self.reason.strip() or not self.source.strip():
            raise ValueError(f"{self.id}: a rule needs a reason and a source")

    @property
    def source_label(self) -> str:
        return f"{self.source} {VERIFY_MARK}" if self.verify else self.source


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A questionnaire and the rules over its answers, under one version string.

    Checked when built: unique question keys and rule ids, and every question a rule
    reads exists, so a renamed question cannot leave a rule that silently never fires.
    """

    version: str
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        keys = [question.key for question in self.questions]
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        if duplicated:
            raise ValueError(f"question keys used twice: {duplicated}")
        ids = [rule.id for rule in self.rules]
        duplicated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicated:
            raise ValueError(f"rule ids used twice: {duplicated}")
        known = set(keys)
        for rule in self.rules:
            missing = rule.condition.question_keys() - known
            if missing:
                raise ValueError(f"{rule.id} reads questions that do not exist: {sorted(missing)}")
        for question in self.questions:
            if question.asked_if is not None and question.asked_if[0] not in known:
                raise ValueError(f"{question.key} follows a question that does not exist")
            if question.asked_if is not None and keys.index(question.asked_if[0]) > keys.index(
                question.key
            ):
                raise ValueError(f"{question.key} is asked before the question it follows")

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    @property
    def yes_no_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.answer_type is AnswerType.YES_NO_UNSURE)


def _canonical(value: object) -> object:
    """Plain, ordered JSON for hashing: dataclasses by class name and fields, sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def rules_fingerprint(rule_set: RuleSet) -> str:
    """SHA-256 of the questions and rules, not of the version string.

    Covers every field, texts included: a reworded question changes what patients
    answer, and a reworded reason changes what prescribers read, so both need a version.
    """
    payload = {
        "questions": _canonical(rule_set.questions),
        "rules": _canonical(rule_set.rules),
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()
