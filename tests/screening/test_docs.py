"""docs/screening.md lists every rule with its level and verify status, as the data says."""

from __future__ import annotations

from pathlib import Path

from ketamine_clinic.screening.facts import Outcome
from ketamine_clinic.screening.rules_data import DEFAULT_RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "screening.md"


def test_the_rules_table_matches_the_rules() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for rule in DEFAULT_RULES.rules:
        row = rows.get(rule.id)
        assert row is not None, f"{rule.id} is missing from docs/screening.md"
        cells = [cell.strip() for cell in row.split("|")]
        level = "NOT_ELIGIBLE" if rule.level is Outcome.NOT_ELIGIBLE else "NEEDS_REVIEW"
        assert level in cells, rule.id
        assert ("(verify)" in cells) == rule.verify, rule.id
