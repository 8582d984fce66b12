"""The rules version changes whenever the rules do.

Every version ever released is pinned here to the fingerprint of its questions and
rules. Changing the data without a new version fails ``test_the_current_rules_match_
their_pinned_fingerprint``; the fix is to bump ``RULES_VERSION`` and ADD a line below,
never to edit an existing one (a released version must keep meaning what it meant:
assessments in the database name it).
"""

from __future__ import annotations

import dataclasses

from ketamine_clinic.screening.rules import RuleSet, rules_fingerprint
from ketamine_clinic.screening.rules_data import DEFAULT_RULES, RULES_VERSION

PINNED: dict[str, str] = {
    "2026-11-26.1": "9905a98effa5179da95b336491a065405d8d3723b83105c22e3c0148026b8590",
    "2026-11-26.2": "3aab50f4c4d74befc1370a99e3f0b8a69342bb44ed17920e6a85a65ba96d6b01",
}


def test_the_current_rules_match_their_pinned_fingerprint() -> None:
    assert RULES_VERSION in PINNED, f"add {RULES_VERSION!r} to PINNED"
    assert rules_fingerprint(DEFAULT_RULES) == PINNED[RULES_VERSION], (
        "the screening rules or questions changed: bump RULES_VERSION in rules_data.py and "
        f"add it to PINNED with {rules_fingerprint(DEFAULT_RULES)!r}"
    )


def test_no_two_versions_share_a_fingerprint() -> None:
    assert len(set(PINNED.values())) == len(PINNED)


def test_the_version_string_is_not_part_of_the_fingerprint() -> None:
    renamed = dataclasses.replace(DEFAULT_RULES, version="something else")
    assert rules_fingerprint(renamed) == rules_fingerprint(DEFAULT_RULES)


def test_any_change_to_a_rule_or_a_question_changes_the_fingerprint() -> None:
    base = rules_fingerprint(DEFAULT_RULES)
    first_rule = DEFAULT_RULES.rules[0]
    changed: list[RuleSet] = [
        dataclasses.replace(
            DEFAULT_RULES,
            rules=(
                dataclasses.replace(first_rule, reason=first_rule.reason + "."),
                *DEFAULT_RULES.rules[1:],
            ),
        ),
        dataclasses.replace(
            DEFAULT_RULES,
            rules=(
                dataclasses.replace(first_rule, verify=not first_rule.verify),
                *DEFAULT_RULES.rules[1:],
            ),
        ),
        dataclasses.replace(DEFAULT_RULES, rules=DEFAULT_RULES.rules[1:]),
        dataclasses.replace(DEFAULT_RULES, rules=DEFAULT_RULES.rules[::-1]),
        dataclasses.replace(
            DEFAULT_RULES,
            questions=(
                dataclasses.replace(DEFAULT_RULES.questions[0], help_text="Changed."),
                *DEFAULT_RULES.questions[1:],
            ),
        ),
    ]
    bp_defer = next(r for r in DEFAULT_RULES.rules if r.id == "BP-DEFER")
    changed.append(
        dataclasses.replace(
            DEFAULT_RULES,
            rules=tuple(
                dataclasses.replace(r, condition=type(r.condition)(161, 100))  # type: ignore[call-arg]
                if r is bp_defer
                else r
                for r in DEFAULT_RULES.rules
            ),
        )
    )
    fingerprints = [rules_fingerprint(rule_set) for rule_set in changed]
    assert base not in fingerprints
    assert len(set(fingerprints)) == len(fingerprints)
