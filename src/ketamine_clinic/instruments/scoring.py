"""Score an answer vector with an instrument's data: total, band, subscales, flags, triage.

One function, :func:`score`, for every instrument: the rules come from the data file
(``definitions.py``), never from code per instrument.

Answers are positional, one per item in the file's order, each an ``int`` or ``None``
(unanswered). Input that cannot be right (wrong length, a value outside the item's
options, a yes to a question the skip logic never asks) raises :class:`InvalidAnswers`
naming the item. Unanswered items are not an error: they follow the instrument's
missing-item rule, which today is always the conservative one (no total, no band: a
total from a partial form would look exactly like a real one), while the flags are
still evaluated, because a missing total must never hide a suicide-risk answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ketamine_clinic.instruments.definitions import (
    Cutoff,
    Instrument,
    Item,
    ScoringMethod,
    get_instrument,
)
from ketamine_clinic.instruments.errors import InvalidAnswers

Answers = Sequence[int | None]

TRIAGE_NONE = "none"
UNANSWERED_LEVEL = "unanswered"


@dataclass(frozen=True, slots=True)
class SubscaleScore:
    """A subscale (PCL-5 cluster) or domain (QIDS-SR16) score; None when it cannot be scored."""

    key: str
    label: str
    value: int | None


@dataclass(frozen=True, slots=True)
class CutoffResult:
    """A criterion met (True), not met (False) or undecidable from a partial form (None)."""

    key: str
    label: str
    met: bool | None


@dataclass(frozen=True, slots=True)
class Flag:
    """Something a clinician must look at.

    ``key`` is what the score says (``"suicide_risk"``, ``"suicide_item_unanswered"``);
    ``kind`` is the risk-flag kind the clinic records (``"phq9_item9"``,
    ``"cssrs_positive"``); ``level`` is the triage level for the C-SSRS, ``"positive"``
    for an item rule, ``"unanswered"`` when the answer that could rule it out is missing.
    """

    key: str
    kind: str
    level: str
    reason: str


@dataclass(frozen=True, slots=True)
class Score:
    """The result of scoring one completed (or partly completed) instrument.

    ``total`` is None when the instrument has no total (C-SSRS) or when unanswered
    items make it invalid (``valid`` False, ``invalid_reason`` says which). ``version``
    is the version of the definition that scored it, stored with the response.
    """

    instrument: str
    version: str
    total: int | None
    total_min: int | None
    total_max: int | None
    severity: str | None
    severity_label: str | None
    subscales: tuple[SubscaleScore, ...]
    cutoffs: tuple[CutoffResult, ...]
    flags: tuple[Flag, ...]
    triage: str | None
    valid: bool
    invalid_reason: str
    missing_items: tuple[str, ...]

    @property
    def flag_keys(self) -> tuple[str, ...]:
        return tuple(flag.key for flag in self.flags)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (str, int, bool, None, lists, dicts): for the CLI and
        the database's JSON columns."""
        return {
            "instrument": self.instrument,
            "version": self.version,
            "total": self.total,
            "total_range": None if self.total_min is None else [self.total_min, self.total_max],
            "severity": self.severity,
            "severity_label": self.severity_label,
            "subscales": {s.key: s.value for s in self.subscales},
            "cutoffs": {c.key: c.met for c in self.cutoffs},
            "flags": [flag.key for flag in self.flags],
            "flag_details": [
                {"key": f.key, "kind": f.kind, "level": f.level, "reason": f.reason}
                for f in self.flags
            ],
            "triage": self.triage,
            "valid": self.valid,
            "invalid_reason": self.invalid_reason,
            "missing_items": list(self.missing_items),
        }


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def _range_text(item: Item) -> str:
    return f"{item.min_value}-{item.max_value}"


def _validated(instrument: Instrument, answers: Answers) -> dict[str, int | None]:
    """The answers by item id, after checking length, types, ranges and skip logic."""
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InvalidAnswers(None, "answers must be a list with one value per item")
    count = len(instrument.items)
    if len(answers) != count:
        raise InvalidAnswers(
            None,
            f"{instrument.short_name} has {count} items "
            f"({instrument.items[0].id}-{instrument.items[-1].id}); got {len(answers)} answers",
        )
    by_id: dict[str, int | None] = {}
    for item, value in zip(instrument.items, answers, strict=True):
        if value is not None:
            # bool is an int in Python: True where a number belongs is a caller's mistake.
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidAnswers(item.id, f"{value!r} is not a whole number")
            if value not in item.values:
                raise InvalidAnswers(item.id, f"{value} is out of range {_range_text(item)}")
        by_id[item.id] = value
    for item in instrument.items:
        gate = item.asked_if_yes
        if gate is not None and by_id[gate] == 0 and (by_id[item.id] or 0) > 0:
            raise InvalidAnswers(
                item.id, f"answered yes, but it is asked only when item {gate} is yes"
            )
    if all(value is None for value in by_id.values()):
        raise InvalidAnswers(None, "no item is answered")
    return by_id


def _asked(instrument: Instrument, by_id: dict[str, int | None]) -> list[Item]:
    """Items the skip logic asks: all but those whose gate was answered no."""
    return [
        item
        for item in instrument.items
        if item.asked_if_yes is None or by_id[item.asked_if_yes] != 0
    ]


# --------------------------------------------------------------------------------------
# Parts of a score
# --------------------------------------------------------------------------------------


def _item_flags(instrument: Instrument, by_id: dict[str, int | None]) -> list[Flag]:
    flags: list[Flag] = []
    for rule in instrument.flags:
        value = by_id[rule.item]
        if value is None:
            flags.append(
                Flag(
                    key=rule.unanswered_key,
                    kind=rule.unanswered_kind,
                    level=UNANSWERED_LEVEL,
                    reason=f"item {rule.item} unanswered: the risk cannot be ruled out",
                )
            )
        elif value >= rule.at_least:
            label = next(o.label for o in instrument.item(rule.item).options if o.value == value)
            flags.append(
                Flag(
                    key=rule.key,
                    kind=rule.kind,
                    level=rule.level,
                    reason=f"item {rule.item} = {value} ({label})",
                )
            )
    return flags


def _cutoff(
    cutoff: Cutoff, instrument: Instrument, by_id: dict[str, int | None], total: int | None
) -> bool | None:
    if cutoff.total_at_least is not None:
        return None if total is None else total >= cutoff.total_at_least
    threshold = cutoff.item_at_least if cutoff.item_at_least is not None else 1
    undecided = False
    for subscale in instrument.subscales:
        needed = cutoff.min_items_per_subscale.get(subscale.key)
        if needed is None:
            continue
        values = [by_id[i] for i in subscale.items]
        endorsed = sum(1 for v in values if v is not None and v >= threshold)
        if endorsed >= needed:
            continue
        # Not met from the answers given; unanswered items could still meet it.
        if endorsed + sum(1 for v in values if v is None) >= needed:
            undecided = True
        else:
            return False
    return None if undecided else True


def _missing_text(instrument: Instrument, missing: Sequence[str]) -> str:
    items = ", ".join(missing)
    noun = "item" if len(missing) == 1 else "items"
    if instrument.method is ScoringMethod.TRIAGE:
        return f"no triage: {noun} {items} unanswered"
    return f"no total: {noun} {items} unanswered ({instrument.short_name} needs every item)"


def _triage(
    instrument: Instrument, by_id: dict[str, int | None], missing: Sequence[str]
) -> tuple[str | None, list[Flag]]:
    flag_rule = instrument.triage_flag
    assert flag_rule is not None  # noqa: S101 - the loader guarantees it for triage instruments
    level = TRIAGE_NONE
    for rule in instrument.triage:
        if any((by_id[item_id] or 0) > 0 for item_id in rule.any_yes):
            level = rule.level
            break
    if missing:
        # A gap can only hide a higher level, never lower one: say what was seen.
        return None, [
            Flag(
                key=flag_rule.unanswered_key,
                kind=flag_rule.unanswered_kind,
                level=UNANSWERED_LEVEL,
                reason=f"{_missing_text(instrument, missing)}; answers so far triage {level}",
            )
        ]
    if level == TRIAGE_NONE:
        return level, []
    yes = [item_id for item_id, value in by_id.items() if (value or 0) > 0]
    return level, [
        Flag(
            key=flag_rule.key,
            kind=flag_rule.kind,
            level=level,
            reason=f"triage {level}: yes to item {', '.join(yes)}",
        )
    ]


# --------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------


def score(instrument_key: str, answers: Answers) -> Score:
    """Score ``answers`` (one ``int | None`` per item, in order) with ``instrument_key``.

    Raises
    ------
    UnknownInstrument
        No instrument has that key.
    InvalidAnswers
        Wrong number of answers, a value that is not one of the item's options, a yes to
        a question the skip logic does not ask, or nothing answered at all.

    Examples
    --------
    >>> result = score("phq9", [1, 2, 3, 0, 1, 2, 3, 0, 1])
    >>> result.total, result.severity, result.flag_keys
    (13, 'moderate', ('suicide_risk',))
    """
    instrument = get_instrument(instrument_key)
    by_id = _validated(instrument, answers)
    asked = _asked(instrument, by_id)
    subscales: list[SubscaleScore] = []
    total: int | None = None
    triage: str | None = None
    flags = _item_flags(instrument, by_id)

    if instrument.method is ScoringMethod.DOMAINS:
        missing_set: set[str] = set()
        for domain in instrument.domains:
            unmet = [g for g in domain.required_groups if all(by_id[i] is None for i in g)]
            for group in unmet:
                missing_set.update(group)
            answered = [v for i in domain.items if (v := by_id[i]) is not None]
            value = max(answered) if not unmet else None
            subscales.append(SubscaleScore(domain.key, domain.label, value))
        missing = [item.id for item in instrument.items if item.id in missing_set]
        if not missing:
            total = sum(s.value or 0 for s in subscales)
    else:
        missing = [item.id for item in asked if by_id[item.id] is None]
        for subscale in instrument.subscales:
            values = [by_id[i] for i in subscale.items]
            subscale_total = None if any(v is None for v in values) else sum(v or 0 for v in values)
            subscales.append(SubscaleScore(subscale.key, subscale.label, subscale_total))
        if instrument.method is ScoringMethod.TRIAGE:
            triage, triage_flags = _triage(instrument, by_id, missing)
            flags.extend(triage_flags)
        elif not missing:
            total = sum(by_id[item.id] or 0 for item in asked)

    band = None if total is None else instrument.band_for(total)
    return Score(
        instrument=instrument.key,
        version=instrument.version,
        total=total,
        total_min=instrument.total_min,
        total_max=instrument.total_max,
        severity=None if band is None else band.key,
        severity_label=None if band is None else band.label,
        subscales=tuple(subscales),
        cutoffs=tuple(
            CutoffResult(c.key, c.label, _cutoff(c, instrument, by_id, total))
            for c in instrument.cutoffs
        ),
        flags=tuple(flags),
        triage=triage,
        valid=not missing,
        invalid_reason=_missing_text(instrument, missing) if missing else "",
        missing_items=tuple(missing),
    )
