"""`ketamine-clinic score`: score a questionnaire from the command line.

Pure scoring (`ketamine_clinic.instruments`): no database and no Django, so it runs on
any machine with the package installed, e.g. to check a paper form by hand.

Exit status: 0 when a score (or the list of instruments) is printed; 2 when the
answers cannot be scored (one line on stderr naming the item and the reason).
"""

from __future__ import annotations

import argparse
import json

from ketamine_clinic.cli.base import CliError, Subcommand
from ketamine_clinic.instruments.definitions import (
    Instrument,
    Item,
    all_instruments,
    get_instrument,
)
from ketamine_clinic.instruments.errors import InvalidAnswers
from ketamine_clinic.instruments.scoring import Score, score

YES_WORDS = frozenset({"y", "yes"})
NO_WORDS = frozenset({"n", "no"})
LABEL_WIDTH = 16
ANSWERS_OPTION = "--answers"
NEED_INSTRUMENT = "name an instrument to score (or --list to see them)"
NEED_ANSWERS = f"{ANSWERS_OPTION} is required to score an instrument"


def _is_yes_no(item: Item) -> bool:
    return item.values == frozenset({0, 1})


def parse_answers(instrument: Instrument, raw: str) -> list[int | None]:
    """``"1,,3"`` -> ``[1, None, 3]``; y/n (yes/no) for yes/no items, as 1/0.

    Only parses; the scoring engine checks count and ranges, so the CLI and the clinic
    refuse the same things with the same words.
    """
    parts = raw.split(",")
    answers: list[int | None] = []
    for index, part in enumerate(parts):
        token = part.strip().lower()
        item = instrument.items[index] if index < len(instrument.items) else None
        item_id = item.id if item is not None else str(index + 1)
        if not token:
            answers.append(None)
        elif item is not None and _is_yes_no(item) and token in YES_WORDS | NO_WORDS:
            answers.append(1 if token in YES_WORDS else 0)
        else:
            try:
                answers.append(int(token))
            except ValueError:
                raise InvalidAnswers(item_id, f"{part.strip()!r} is not a whole number") from None
    return answers


def summary_lines(instrument: Instrument, result: Score) -> list[str]:
    """The score as a clinician reads it."""
    rows: list[tuple[str, str]] = [
        ("Instrument", f"{instrument.short_name} ({instrument.name})"),
        ("Definition", f"version {result.version}"),
    ]
    if instrument.has_total:
        if result.total is None:
            rows.append(("Total", result.invalid_reason))
        else:
            rows.append(("Total", f"{result.total} (range {result.total_min}-{result.total_max})"))
        if instrument.bands:
            rows.append(("Severity", result.severity_label or "none (no total)"))
    else:
        rows.append(("Triage", result.triage or result.invalid_reason))
    for subscale in result.subscales:
        value = "none (an item is unanswered)" if subscale.value is None else str(subscale.value)
        rows.append(("Subscale", f"{subscale.label}: {value}"))
    for cutoff in result.cutoffs:
        met = {True: "yes", False: "no", None: "undecided (items unanswered)"}[cutoff.met]
        rows.append(("Criterion", f"{cutoff.label}: {met}"))
    if result.flags:
        rows.extend(("Flag", f"{flag.key} ({flag.level}): {flag.reason}") for flag in result.flags)
    else:
        rows.append(("Flags", "none"))
    lines = [f"{label:<{LABEL_WIDTH}}{value}" for label, value in rows]
    if not instrument.validated:
        lines.append("Not a validated published instrument: see docs/instruments.md.")
    return lines


def list_lines() -> list[str]:
    lines = []
    for instrument in all_instruments().values():
        result = (
            f"total {instrument.total_min}-{instrument.total_max}"
            if instrument.has_total
            else "triage level, no total"
        )
        lines.append(
            f"{instrument.key:<16}{instrument.short_name:<20}"
            f"{len(instrument.items)} item{'s' if len(instrument.items) > 1 else ''}, {result}"
        )
    return lines


def configure(parser: argparse.ArgumentParser) -> None:
    keys = list(all_instruments())
    parser.add_argument(
        "instrument",
        nargs="?",
        choices=keys,
        metavar="INSTRUMENT",
        help=f"the instrument to score: {', '.join(keys)}",
    )
    parser.add_argument(
        ANSWERS_OPTION,
        help="one answer per item in order, comma-separated; leave one blank when it is "
        "unanswered (1,,3); yes/no items take y/n or 1/0",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the instruments with their items and ranges"
    )
    parser.add_argument("--json", action="store_true", help="print the score as JSON")


def run(args: argparse.Namespace) -> int:
    if args.list:
        print("\n".join(list_lines()))
        return 0
    if args.instrument is None:
        raise CliError(NEED_INSTRUMENT)
    if args.answers is None:
        raise CliError(NEED_ANSWERS)
    instrument = get_instrument(args.instrument)
    try:
        result = score(instrument.key, parse_answers(instrument, args.answers))
    except InvalidAnswers as exc:
        raise CliError(f"{ANSWERS_OPTION}: {exc}") from exc
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(summary_lines(instrument, result)))
    return 0


COMMAND = Subcommand(
    name="score",
    help="Score a questionnaire (PHQ-9, GAD-7, PCL-5, C-SSRS screener, QIDS-SR16, "
    "dissociation 0-10) from its answers. Needs no database.",
    configure=configure,
    run=run,
)
