"""Protocols are data: the defaults from the reference, and data that contradicts itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from ketamine_clinic.courses import protocols
from ketamine_clinic.courses.protocols import BoosterRule, InvalidProtocol
from ketamine_clinic.courses.protocols_data import (
    DEFAULT_PROTOCOL_KEY,
    PROTOCOLS,
    STANDARD_SIX,
    protocol_for,
)


def test_the_standard_course_is_six_infusions_of_half_a_mg_per_kg_in_21_days() -> None:
    assert DEFAULT_PROTOCOL_KEY == "standard-6"
    p = protocol_for(DEFAULT_PROTOCOL_KEY)
    assert (p.infusions, p.window_days, p.min_days_between, p.max_days_between) == (6, 21, 2, 5)
    assert (p.dose_mg_per_kg, p.infusion_min, p.infusion_min_allowed, p.infusion_max_allowed) == (
        0.5,
        55,
        40,
        100,
    )
    assert (p.recovery_min, p.preparation_min, p.chair_min) == (30, 20, 105)
    assert p.booster == BoosterRule(14, 42, 14)
    # The room's steps before they moved into the protocol: ±10 % and ±0.05 mg/kg/h.
    assert p.titration_steps_percent == (10, -10)
    assert p.titration_steps_mg_per_kg_per_h == (0.05, -0.05)


def test_the_snapshot_is_plain_json_values() -> None:
    snapshot = STANDARD_SIX.as_snapshot()
    assert snapshot["infusions"] == 6
    assert snapshot["titration_steps_percent"] == (10, -10)
    assert snapshot["booster"] == {
        "min_days_after_course": 14,
        "max_days_after_course": 42,
        "min_days_between_boosters": 14,
    }


def test_an_unknown_protocol_names_the_known_ones() -> None:
    with pytest.raises(InvalidProtocol, match="unknown protocol 'nine'; choose from standard-6"):
        protocol_for("nine")
    assert set(PROTOCOLS) == {"standard-6"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"infusions": 0}, "at least one infusion"),
        ({"min_days_between": 6, "max_days_between": 5}, "min_days_between <= max"),
        ({"window_days": 10}, "cannot fit the window"),
        ({"infusion_min": 120}, "outside the allowed range"),
        ({"recovery_min": 0}, "must be positive"),
        (
            {"titration_steps_percent": (), "titration_steps_mg_per_kg_per_h": ()},
            "at least one titration step",
        ),
        ({"titration_steps_percent": (10, 0)}, "a titration step of 0 changes nothing"),
        ({"titration_steps_mg_per_kg_per_h": (0.0,)}, "a titration step of 0 changes nothing"),
        ({"titration_steps_percent": (100, -10)}, r"step \+100% is beyond ±50%"),
        ({"titration_steps_percent": (10, -100)}, r"step -100% is beyond ±50%"),
        ({"titration_steps_mg_per_kg_per_h": (0.5,)}, r"step \+0.5 mg/kg/h is beyond ±0.25"),
        ({"titration_steps_mg_per_kg_per_h": (float("nan"),)}, "is beyond"),
        ({"titration_steps_percent": (10, 10)}, "listed twice"),
        ({"titration_steps_percent": ("10",)}, "is not a number"),
    ],
)
def test_contradictory_protocols_are_refused_when_built(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidProtocol, match=problem):
        dataclasses.replace(STANDARD_SIX, **change)


def test_a_booster_window_must_be_ordered() -> None:
    with pytest.raises(InvalidProtocol):
        BoosterRule(min_days_after_course=42, max_days_after_course=14, min_days_between_boosters=7)


def test_the_protocol_modules_import_nothing_from_django() -> None:
    folder = Path(protocols.__file__).parent
    for name in ("protocols.py", "protocols_data.py"):
        assert "import django" not in (folder / name).read_text()
        assert "from django" not in (folder / name).read_text()


def test_a_protocol_may_titrate_by_percent_only() -> None:
    only_percent = dataclasses.replace(STANDARD_SIX, titration_steps_mg_per_kg_per_h=())
    assert only_percent.titration_steps_percent == (10, -10)
