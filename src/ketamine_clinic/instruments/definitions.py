"""Measurement instruments as data: the types, and the loader of ``data/*.toml``.

Each instrument is one TOML file in ``data/``: its items and answer options, how it is
scored (a sum, the highest item within each domain, or a triage level), its range,
bands, subscales, cut-offs, flag rules, response and remission definitions, LOINC codes,
source, licence and the version of the definition. Adding an instrument is adding a
file; no code per instrument.

Why TOML read with the standard library's ``tomllib``: it needs no dependency, it allows
comments, so a value can carry its source and a "(verify)" note on the line beside it
(JSON cannot), and it is a format a clinician can review in a pull request. The loader
checks each file as it reads it (bands contiguous and covering the range, every item
referred to exists, the stated range equals what the items can add up to), so a typo in
a data file fails at import in the test suite, not on a patient's score.

Pure: imports nothing from Django or the rest of the clinic.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ketamine_clinic.instruments.errors import InvalidDefinition, UnknownInstrument

DATA_PACKAGE = "ketamine_clinic.instruments"
DATA_FOLDER = "data"
VERIFY = "verify"
"""The value a LOINC code has where the reference says the code must be verified."""


class ScoringMethod(StrEnum):
    SUM = "sum"  # total = sum of items; subscales = sums of their items
    DOMAINS = "domains"  # total = sum of domain scores; a domain = highest of its items
    TRIAGE = "triage"  # no total: a level from the highest rule with a yes answer


class MissingRule(StrEnum):
    # Any unanswered required item: no total and no band. The only rule used today: no
    # instrument's proration rule has been verified (docs/instruments.md).
    NO_TOTAL = "no_total"


class Rater(StrEnum):
    """Who answers: the patient (the tablet offers these) or a clinician (at the bedside)."""

    PATIENT = "patient"
    CLINICIAN = "clinician"


class ItemText(StrEnum):
    VERBATIM = "verbatim"  # the instrument's own wording, licence allows it
    LABELS = "labels"  # short neutral labels: the wording's licence is unclear


@dataclass(frozen=True, slots=True)
class AnswerOption:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question. ``asked_if_yes`` names the item whose yes opens this one (skip logic)."""

    id: str
    text: str
    options: tuple[AnswerOption, ...]
    asked_if_yes: str | None = None

    @property
    def min_value(self) -> int:
        return min(option.value for option in self.options)

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.options)

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band, inclusive at both ends: ``min_total <= total <= max_total``."""

    key: str
    label: str
    min_total: int
    max_total: int


@dataclass(frozen=True, slots=True)
class Subscale:
    """A sum of items (PCL-5 clusters)."""

    key: str
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Domain:
    """A symptom domain scored as the highest of its items (QIDS-SR16).

    ``required_groups``: each group needs at least one answer for the domain to have a
    score (the QIDS form asks for item 6 *or* 7, 8 *or* 9).
    """

    key: str
    label: str
    items: tuple[str, ...]
    required_groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A yes/no criterion: a total threshold, or items at a level per subscale (DSM-5 rule)."""

    key: str
    label: str
    total_at_least: int | None = None
    item_at_least: int | None = None
    min_items_per_subscale: Mapping[str, int] = field(default_factory=dict)
    verify: str = ""


@dataclass(frozen=True, slots=True)
class ItemFlagRule:
    """Raise ``key`` (risk kind ``kind``) when ``item`` >= ``at_least``.

    An unanswered item cannot rule the risk out, so it raises ``unanswered_key``.
    """

    key: str
    kind: str
    item: str
    at_least: int
    level: str
    unanswered_key: str
    unanswered_kind: str
    verify: str = ""


@dataclass(frozen=True, slots=True)
class TriageRule:
    level: str
    any_yes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TriageFlag:
    """The risk flag a triage level above "none" raises (its level is the triage level)."""

    key: str
    kind: str
    unanswered_key: str
    unanswered_kind: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Response and remission: totals, per instrument (clinical.md)."""

    response_reduction_fraction: float | None = None
    remission_total_at_most: int | None = None
    remission_text: str = ""
    reliable_change_points: int | None = None
    meaningful_change_points: int | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    key: str
    short_name: str
    name: str
    version: str
    source: str
    licence: str
    item_text: ItemText
    validated: bool
    stem: str
    notes: tuple[str, ...]
    loinc: Mapping[str, str]
    items: tuple[Item, ...]
    method: ScoringMethod
    missing: MissingRule
    total_min: int | None
    total_max: int | None
    bands: tuple[Band, ...] = ()
    rater: Rater = Rater.PATIENT
    subscales: tuple[Subscale, ...] = ()
    domains: tuple[Domain, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    flags: tuple[ItemFlagRule, ...] = ()
    triage: tuple[TriageRule, ...] = ()
    triage_flag: TriageFlag | None = None
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def has_total(self) -> bool:
        return self.method is not ScoringMethod.TRIAGE

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def band_for(self, total: int) -> Band | None:
        for band in self.bands:
            if band.min_total <= total <= band.max_total:
                return band
        return None


# --------------------------------------------------------------------------------------
# Reading and checking a file
# --------------------------------------------------------------------------------------


def _need(table: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in table:
        raise InvalidDefinition(f"{where}: `{name}` is missing")
    value = table[name]
    # bool is an int in Python; a TOML `true` where a number belongs is a typo.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidDefinition(f"{where}: `{name}` must be {kind.__name__}, not {value!r}")
    return value


def _options(table: Mapping[str, Any], where: str) -> tuple[AnswerOption, ...]:
    if "options_range" in table:
        span = table["options_range"]
        low = _need(span, "min", int, where)
        high = _need(span, "max", int, where)
        labels = {low: span.get("min_label", str(low)), high: span.get("max_label", str(high))}
        return tuple(AnswerOption(v, labels.get(v, str(v))) for v in range(low, high + 1))
    options = tuple(
        AnswerOption(_need(o, "value", int, where), _need(o, "label", str, where))
        for o in table.get("options", [])
    )
    if not options:
        raise InvalidDefinition(f"{where}: no answer options")
    if len({o.value for o in options}) != len(options):
        raise InvalidDefinition(f"{where}: two answer options share a value")
    return options


def _check(instrument: Instrument, where: str) -> None:
    ids = [item.id for item in instrument.items]
    if len(set(ids)) != len(ids):
        raise InvalidDefinition(f"{where}: item ids repeat")
    known = set(ids)

    def refer(item_id: str, what: str) -> None:
        if item_id not in known:
            raise InvalidDefinition(f"{where}: {what} refers to unknown item {item_id!r}")

    for item in instrument.items:
        if item.asked_if_yes is not None:
            refer(item.asked_if_yes, f"item {item.id} asked_if_yes")
    for subscale in instrument.subscales:
        for item_id in subscale.items:
            refer(item_id, f"subscale {subscale.key}")
    for domain in instrument.domains:
        for item_id in domain.items:
            refer(item_id, f"domain {domain.key}")
        for group in domain.required_groups:
            if not set(group) <= set(domain.items):
                raise InvalidDefinition(f"{where}: domain {domain.key}: group outside its items")
    for rule in instrument.flags:
        refer(rule.item, f"flag {rule.key}")
    for triage in instrument.triage:
        for item_id in triage.any_yes:
            refer(item_id, f"triage {triage.level}")
    subscale_keys = {s.key for s in instrument.subscales}
    for cutoff in instrument.cutoffs:
        if not set(cutoff.min_items_per_subscale) <= subscale_keys:
            raise InvalidDefinition(f"{where}: cutoff {cutoff.key} names an unknown subscale")

    if instrument.method is ScoringMethod.TRIAGE:
        if not instrument.triage or instrument.triage_flag is None:
            raise InvalidDefinition(
                f"{where}: a triage instrument needs [[triage]] and [triage_flag]"
            )
        return
    if instrument.total_min is None or instrument.total_max is None:
        raise InvalidDefinition(f"{where}: total_min and total_max are required")
    if instrument.method is ScoringMethod.DOMAINS:
        if not instrument.domains:
            raise InvalidDefinition(f"{where}: method 'domains' needs [[domains]]")
        low = sum(min(instrument.item(i).min_value for i in d.items) for d in instrument.domains)
        high = sum(max(instrument.item(i).max_value for i in d.items) for d in instrument.domains)
    else:
        low = sum(item.min_value for item in instrument.items)
        high = sum(item.max_value for item in instrument.items)
    if (low, high) != (instrument.total_min, instrument.total_max):
        raise InvalidDefinition(
            f"{where}: the items add up to {low}-{high}, but the stated range is "
            f"{instrument.total_min}-{instrument.total_max}"
        )
    expected_min = instrument.total_min
    for band in instrument.bands:
        if band.min_total != expected_min or band.max_total < band.min_total:
            raise InvalidDefinition(f"{where}: band {band.key} must start at {expected_min}")
        expected_min = band.max_total + 1
    if instrument.bands and expected_min != instrument.total_max + 1:
        raise InvalidDefinition(f"{where}: the bands must end at {instrument.total_max}")


def parse_instrument(table: Mapping[str, Any], where: str) -> Instrument:
    """Build and check an :class:`Instrument` from a parsed TOML table."""
    options = _options(table, where)
    items = tuple(
        Item(
            id=_need(raw, "id", str, where),
            text=_need(raw, "text", str, where),
            # An item may carry its own options (the Aldrete score's items each describe
            # their own 0, 1 and 2); otherwise the instrument's shared ones.
            options=_options(raw, where) if "options" in raw else options,
            asked_if_yes=raw.get("asked_if_yes"),
        )
        for raw in table.get("items", [])
    )
    if not items:
        raise InvalidDefinition(f"{where}: no items")
    scoring = _need(table, "scoring", dict, where)
    try:
        method = ScoringMethod(_need(scoring, "method", str, where))
        missing = MissingRule(_need(scoring, "missing", str, where))
        item_text = ItemText(_need(table, "item_text", str, where))
        rater = Rater(table.get("rater", Rater.PATIENT))
    except ValueError as exc:
        raise InvalidDefinition(f"{where}: {exc}") from None
    domains = tuple(
        Domain(
            key=_need(raw, "key", str, where),
            label=_need(raw, "label", str, where),
            items=tuple(_need(raw, "items", list, where)),
            required_groups=tuple(
                tuple(group) for group in raw.get("required_groups", [[i] for i in raw["items"]])
            ),
        )
        for raw in table.get("domains", [])
    )
    for raw in table.get("domains", []):
        if raw.get("rule", "max") != "max":
            raise InvalidDefinition(f"{where}: domain rule {raw['rule']!r} is not 'max'")
    flag = table.get("triage_flag")
    outcome = table.get("outcome", {})
    instrument = Instrument(
        key=_need(table, "key", str, where),
        short_name=_need(table, "short_name", str, where),
        name=_need(table, "name", str, where),
        version=_need(table, "version", str, where),
        source=_need(table, "source", str, where),
        licence=_need(table, "licence", str, where),
        item_text=item_text,
        rater=rater,
        validated=_need(table, "validated", bool, where),
        stem=table.get("stem", ""),
        notes=tuple(table.get("notes", [])),
        loinc=MappingProxyType(dict(table.get("loinc", {}))),
        items=items,
        method=method,
        missing=missing,
        total_min=scoring.get("total_min"),
        total_max=scoring.get("total_max"),
        bands=tuple(
            Band(
                key=_need(raw, "key", str, where),
                label=_need(raw, "label", str, where),
                min_total=_need(raw, "min", int, where),
                max_total=_need(raw, "max", int, where),
            )
            for raw in table.get("bands", [])
        ),
        subscales=tuple(
            Subscale(
                key=_need(raw, "key", str, where),
                label=_need(raw, "label", str, where),
                items=tuple(_need(raw, "items", list, where)),
            )
            for raw in table.get("subscales", [])
        ),
        domains=domains,
        cutoffs=tuple(
            Cutoff(
                key=_need(raw, "key", str, where),
                label=_need(raw, "label", str, where),
                total_at_least=raw.get("total_at_least"),
                item_at_least=raw.get("item_at_least"),
                min_items_per_subscale=MappingProxyType(
                    dict(raw.get("min_items_per_subscale", {}))
                ),
                verify=raw.get("verify", ""),
            )
            for raw in table.get("cutoffs", [])
        ),
        flags=tuple(
            ItemFlagRule(
                key=_need(raw, "key", str, where),
                kind=_need(raw, "kind", str, where),
                item=_need(raw, "item", str, where),
                at_least=_need(raw, "at_least", int, where),
                level=_need(raw, "level", str, where),
                unanswered_key=_need(raw, "unanswered_key", str, where),
                unanswered_kind=_need(raw, "unanswered_kind", str, where),
                verify=raw.get("verify", ""),
            )
            for raw in table.get("flags", [])
        ),
        triage=tuple(
            TriageRule(
                level=_need(raw, "level", str, where),
                any_yes=tuple(_need(raw, "any_yes", list, where)),
            )
            for raw in table.get("triage", [])
        ),
        triage_flag=None
        if flag is None
        else TriageFlag(
            key=_need(flag, "key", str, where),
            kind=_need(flag, "kind", str, where),
            unanswered_key=_need(flag, "unanswered_key", str, where),
            unanswered_kind=_need(flag, "unanswered_kind", str, where),
        ),
        outcome=Outcome(
            response_reduction_fraction=outcome.get("response_reduction_fraction"),
            remission_total_at_most=outcome.get("remission_total_at_most"),
            remission_text=outcome.get("remission_text", ""),
            reliable_change_points=outcome.get("reliable_change_points"),
            meaningful_change_points=outcome.get("meaningful_change_points"),
        ),
    )
    _check(instrument, where)
    return instrument


@cache
def all_instruments() -> Mapping[str, Instrument]:
    """Every instrument in ``data/``, by key, in file-name order. Read once per process.

    Read through ``importlib.resources`` so the files are found in a wheel as well as in
    a source checkout.
    """
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_FOLDER)
    found: dict[str, Instrument] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        where = f"instruments/data/{entry.name}"
        try:
            table = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidDefinition(f"{where}: {exc}") from None
        instrument = parse_instrument(table, where)
        if instrument.key in found:
            raise InvalidDefinition(f"{where}: key {instrument.key!r} is used twice")
        found[instrument.key] = instrument
    return MappingProxyType(found)


def get_instrument(key: str) -> Instrument:
    """The instrument ``key`` (``"phq9"``); UnknownInstrument names the known keys."""
    instruments = all_instruments()
    try:
        return instruments[key]
    except KeyError:
        raise UnknownInstrument(key, tuple(instruments)) from None


def instrument_keys() -> tuple[str, ...]:
    return tuple(all_instruments())
