"""Judge a patient's screening against the rules: the worst level wins.

Pure Python (no Django; a test checks), so the rules can be run and tested without a
database, and the same function judges at the kiosk, in the API and in a report.

Two things here are fixed, not data, because no clinic configuration may change them:
a required question left unanswered is never read as "no" (it gives NEEDS_REVIEW,
"not answered: ..."), and with no rule firing and nothing unanswered the outcome is
ELIGIBLE, which still only means "nothing found": a prescriber decides.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

from ketamine_clinic.screening.facts import Outcome, ScreeningFacts
from ketamine_clinic.screening.questionnaire import unanswered, validate_answers
from ketamine_clinic.screening.rules import RuleSet
from ketamine_clinic.screening.rules_data import DEFAULT_RULES

UNANSWERED_RULE_ID: Final = "UNANSWERED"
UNANSWERED_SOURCE: Final = "Clinic policy: an unanswered question is never read as no"
UNANSWERED_TEXT: Final = "not answered: {labels}"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the outcome is what it is: one fired rule, as the prescriber reads it.

    ``source`` carries "(verify)" when the rule is not yet checked against its source;
    ``evidence`` names what matched (answers, codes, flags, the BP), never free text.
    """

    rule_id: str
    level: Outcome
    text: str
    source: str
    evidence: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "level": str(self.level),
            "text": self.text,
            "source": self.source,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The verdict, every reason for it (in rule order), the rules version, and the
    keys of the required questions left unanswered."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    rules_version: str
    unanswered: tuple[str, ...]

    @property
    def fired_rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule_id for reason in self.reasons)


def evaluate(facts: ScreeningFacts, rules: RuleSet = DEFAULT_RULES) -> ScreeningResult:
    """Apply every rule to ``facts``; the worst level among the reasons is the outcome.

    The answers are validated against the rule set's questionnaire first
    (``AnswerError`` names the question), so a rule never reads a value it does not
    understand. Every rule is evaluated, not just the first that fires: a prescriber
    needs the whole picture, and an override must name everything it overrides.
    """
    answers = validate_answers(facts.answers, rules.questions)
    # Rules read the cleaned answers: blank text is "not answered" for them too.
    facts = dataclasses.replace(facts, answers=answers)
    reasons: list[Reason] = []
    for rule in rules.rules:
        evidence = rule.condition.match(facts)
        if evidence is not None:
            reasons.append(Reason(rule.id, rule.level, rule.reason, rule.source_label, evidence))
    missing = unanswered(answers, rules.questions)
    if missing:
        reasons.append(
            Reason(
                UNANSWERED_RULE_ID,
                Outcome.NEEDS_REVIEW,
                UNANSWERED_TEXT.format(labels="; ".join(q.label for q in missing)),
                UNANSWERED_SOURCE,
                tuple(question.key for question in missing),
            )
        )
    outcome = max(
        (reason.level for reason in reasons),
        key=lambda level: level.severity,
        default=Outcome.ELIGIBLE,
    )
    return ScreeningResult(
        outcome=outcome,
        reasons=tuple(reasons),
        rules_version=rules.version,
        unanswered=tuple(question.key for question in missing),
    )
