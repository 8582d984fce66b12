"""The data files: each loads, says what the reference says, and a malformed one is refused."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

from ketamine_clinic.instruments.definitions import (
    VERIFY,
    ItemText,
    ScoringMethod,
    all_instruments,
    get_instrument,
    parse_instrument,
)
from ketamine_clinic.instruments.errors import InvalidDefinition, UnknownInstrument

EXPECTED_KEYS = {
    "phq9",
    "gad7",
    "pcl5",
    "cssrs_screener",
    "qids_sr16",
    "dissociation",
    "aldrete",
    "padss",
}


def raw(key: str) -> dict[str, Any]:
    text = (
        resources.files("ketamine_clinic.instruments")
        .joinpath("data", f"{key}.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def test_every_instrument_is_loaded_with_a_version_source_and_licence() -> None:
    instruments = all_instruments()
    assert set(instruments) == EXPECTED_KEYS
    for instrument in instruments.values():
        assert instrument.version
        assert instrument.source
        assert instrument.licence


@pytest.mark.parametrize(
    ("key", "items", "low", "high"),
    [
        ("phq9", 9, 0, 27),
        ("gad7", 7, 0, 21),
        ("pcl5", 20, 0, 80),
        ("qids_sr16", 16, 0, 27),
        ("dissociation", 1, 0, 10),
    ],
)
def test_item_counts_and_ranges_match_the_reference(
    key: str, items: int, low: int, high: int
) -> None:
    instrument = get_instrument(key)
    assert len(instrument.items) == items
    assert (instrument.total_min, instrument.total_max) == (low, high)


def test_loinc_codes_are_the_references_and_verify_where_it_says_verify() -> None:
    # clinical.md, Instruments table.
    assert dict(get_instrument("phq9").loinc) == {"total": "44261-6", "panel": "44249-1"}
    assert dict(get_instrument("gad7").loinc) == {"total": "70274-6", "panel": "69737-5"}
    for key in ("pcl5", "qids_sr16", "cssrs_screener"):
        assert set(get_instrument(key).loinc.values()) == {VERIFY}
    assert dict(get_instrument("dissociation").loinc) == {}


def test_pcl5_has_no_severity_bands_and_its_clusters_cover_every_item_once() -> None:
    pcl5 = get_instrument("pcl5")
    assert pcl5.bands == ()
    covered = [item for subscale in pcl5.subscales for item in subscale.items]
    assert sorted(covered, key=int) == [str(n) for n in range(1, 21)]
    assert [s.key for s in pcl5.subscales] == ["B", "C", "D", "E"]


def test_only_free_wording_is_shown_verbatim() -> None:
    verbatim = {k for k, i in all_instruments().items() if i.item_text is ItemText.VERBATIM}
    assert verbatim == {"phq9", "gad7", "dissociation"}


def test_the_dissociation_rating_says_it_is_not_validated() -> None:
    instrument = get_instrument("dissociation")
    assert instrument.validated is False
    assert "not a validated" in instrument.name.lower()
    assert all(i.validated for k, i in all_instruments().items() if k != "dissociation")


def test_cssrs_has_no_total_and_its_skip_logic_is_data() -> None:
    cssrs = get_instrument("cssrs_screener")
    assert cssrs.method is ScoringMethod.TRIAGE
    assert not cssrs.has_total
    assert {i.id: i.asked_if_yes for i in cssrs.items} == {
        "1": None,
        "2": None,
        "3": "2",
        "4": "2",
        "5": "2",
        "6": None,
        "6b": "6",
    }


def test_an_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(UnknownInstrument, match=r"unknown instrument 'phq10'; known: .*phq9"):
        get_instrument("phq10")


def test_a_gap_between_bands_is_refused() -> None:
    table = raw("phq9")
    table["bands"][1]["min"] = 6
    with pytest.raises(InvalidDefinition, match="band mild must start at 5"):
        parse_instrument(table, "test")


def test_bands_that_stop_short_of_the_maximum_are_refused() -> None:
    table = raw("gad7")
    table["bands"][-1]["max"] = 20
    with pytest.raises(InvalidDefinition, match="the bands must end at 21"):
        parse_instrument(table, "test")


def test_a_stated_range_the_items_cannot_make_is_refused() -> None:
    table = raw("phq9")
    table["scoring"]["total_max"] = 30
    with pytest.raises(InvalidDefinition, match="items add up to 0-27"):
        parse_instrument(table, "test")


def test_a_rule_naming_an_unknown_item_is_refused() -> None:
    table = raw("phq9")
    table["flags"][0]["item"] = "10"
    with pytest.raises(InvalidDefinition, match="flag suicide_risk refers to unknown item '10'"):
        parse_instrument(table, "test")


def test_a_boolean_where_a_number_belongs_is_refused() -> None:
    table = raw("phq9")
    table["options"][0]["value"] = True
    with pytest.raises(InvalidDefinition, match="`value` must be int"):
        parse_instrument(table, "test")
