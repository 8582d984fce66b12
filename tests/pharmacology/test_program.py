"""The infusion program: validation, constructors and titration edits."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ketamine_clinic.pharmacology.errors import InvalidProgram
from ketamine_clinic.pharmacology.program import (
    InfusionProgram,
    apply_rate_changes,
    constant_infusion,
)


def test_a_constant_infusion_gives_its_dose_over_its_duration_then_stops() -> None:
    p = constant_infusion(35.0, 55 * 60)
    assert p.rate_change_times_s == (0.0, 3300.0)
    assert p.rates_mg_per_h == pytest.approx((35.0 / 55.0 * 60.0, 0.0))
    assert p.dose_mg_until(1650.0) == pytest.approx(17.5)
    assert p.dose_mg_until(10_000.0) == pytest.approx(35.0)


def test_the_rate_is_zero_before_the_first_change_and_a_change_applies_at_its_time() -> None:
    p = InfusionProgram((100.0, 200.0), (60.0, 0.0))
    assert p.rate_mg_per_h_at(99.999) == 0.0
    assert p.rate_mg_per_h_at(100.0) == 60.0
    assert p.rate_mg_per_h_at(200.0) == 0.0


def test_boluses_count_in_the_dose_from_their_time_on() -> None:
    p = InfusionProgram(bolus_times_s=(10.0, 20.0), boluses_mg=(5.0, 2.5))
    assert p.dose_mg_until(9.0) == 0.0
    assert p.dose_mg_until(10.0) == 5.0
    assert p.dose_mg_until(30.0) == 7.5


def test_a_program_is_immutable() -> None:
    p = constant_infusion(35.0, 3300.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.rates_mg_per_h = (1.0,)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"rate_change_times_s": (-1.0,), "rates_mg_per_h": (1.0,)},
            "rate_change_times_s[0]: must be >= 0 s",
        ),
        (
            {"rate_change_times_s": (0.0, 10.0, 10.0), "rates_mg_per_h": (1.0, 2.0, 3.0)},
            "rate_change_times_s[2]: times must be strictly increasing",
        ),
        (
            {"rate_change_times_s": (0.0, 10.0), "rates_mg_per_h": (1.0, -2.0)},
            "rates_mg_per_h[1]: must be >= 0 mg/h",
        ),
        (
            {"rate_change_times_s": (0.0,), "rates_mg_per_h": (math.nan,)},
            "rates_mg_per_h[0]: must be finite",
        ),
        (
            {"rate_change_times_s": (0.0, 5.0), "rates_mg_per_h": (1.0,)},
            "rates_mg_per_h: needs one rate per change time (1 rates, 2 times)",
        ),
        (
            {"bolus_times_s": (0.0,), "boluses_mg": (-5.0,)},
            "boluses_mg[0]: must be >= 0 mg",
        ),
        (
            {"bolus_times_s": (math.inf,), "boluses_mg": (5.0,)},
            "bolus_times_s[0]: must be finite",
        ),
    ],
)
def test_an_invalid_program_is_refused_naming_the_field_and_reason(
    kwargs: dict[str, tuple[float, ...]], message: str
) -> None:
    with pytest.raises(InvalidProgram) as excinfo:
        InfusionProgram(**kwargs)
    assert str(excinfo.value) == message


def test_a_constant_infusion_refuses_a_zero_duration() -> None:
    with pytest.raises(InvalidProgram, match=r"^duration_s: must be > 0 s$"):
        constant_infusion(35.0, 0.0)


def test_a_percent_change_is_relative_to_the_current_rate() -> None:
    p = apply_rate_changes(constant_infusion(35.0, 3300.0), [(600.0, "+10%"), (900.0, "-50%")])
    base = 35.0 / 3300.0 * 3600.0
    assert p.rate_mg_per_h_at(599.0) == pytest.approx(base)
    assert p.rate_mg_per_h_at(600.0) == pytest.approx(base * 1.1)
    assert p.rate_mg_per_h_at(900.0) == pytest.approx(base * 0.55)
    assert p.rate_mg_per_h_at(3300.0) == 0.0  # the planned stop still stops


def test_a_dose_rate_change_uses_the_weight() -> None:
    p = constant_infusion(35.0, 3300.0)
    q = apply_rate_changes(p, [(60.0, "-0.05 mg/kg/h"), (120.0, "set 0.6 mg/kg/h")], weight_kg=70)
    assert q.rate_mg_per_h_at(60.0) == pytest.approx(35.0 / 3300.0 * 3600.0 - 3.5)
    assert q.rate_mg_per_h_at(120.0) == pytest.approx(42.0)


def test_resume_returns_to_the_rate_before_the_pause() -> None:
    p = apply_rate_changes(
        constant_infusion(35.0, 3300.0),
        [(600.0, "set 40 mg/h"), (700.0, "pause"), (800.0, "resume")],
    )
    assert p.rate_mg_per_h_at(750.0) == 0.0
    assert p.rate_mg_per_h_at(800.0) == pytest.approx(40.0)


def test_changes_are_applied_in_time_order_and_the_original_program_is_unchanged() -> None:
    p = constant_infusion(36.0, 3600.0)
    q = apply_rate_changes(p, [(800.0, "resume"), (400.0, "pause"), (100.0, "+2 mg/min")])
    assert q.rate_mg_per_h_at(100.0) == pytest.approx(36.0 + 120.0)
    assert q.rate_mg_per_h_at(400.0) == 0.0
    assert q.rate_mg_per_h_at(800.0) == pytest.approx(156.0)
    assert p.rate_mg_per_h_at(100.0) == pytest.approx(36.0)


@pytest.mark.parametrize(
    ("changes", "weight_kg", "message"),
    [
        ([(10.0, "resume")], None, "changes[0]: resume without an earlier pause"),
        (
            [(10.0, "+0.1 mg/kg/h")],
            None,
            "changes[0]: a dose in mg/kg/h needs the patient's weight_kg",
        ),
        (
            [(10.0, "-100 mg/h")],
            None,
            "changes[0]: '-100 mg/h' would make the rate negative (-61.8182 mg/h)",
        ),
        ([(-1.0, "+10%")], None, "changes[0]: time must be a finite number of seconds >= 0"),
        (
            [(1.0, "+10%"), (2.0, "faster")],
            None,
            'changes[1]: cannot read \'faster\'; expected "+10%", "-10%", "+0.05 mg/kg/h", '
            '"-2 mg/h", "set 0.6 mg/kg/h", "pause", "resume" or "stop" '
            "(units: mg/h, mg/min, mg/kg/h, mg/kg/min)",
        ),
    ],
)
def test_an_unusable_rate_change_is_refused_naming_it(
    changes: list[tuple[float, str]], weight_kg: float | None, message: str
) -> None:
    with pytest.raises(InvalidProgram) as excinfo:
        apply_rate_changes(constant_infusion(35.0, 3300.0), changes, weight_kg=weight_kg)
    assert str(excinfo.value) == message


def test_a_bolus_at_an_existing_bolus_time_adds_to_it() -> None:
    p = InfusionProgram(bolus_times_s=(10.0,), boluses_mg=(5.0,)).with_bolus(10.0, 1.0)
    assert p.boluses_mg == (6.0,)
    q = p.with_bolus(5.0, 2.0)
    assert q.bolus_times_s == (5.0, 10.0)
    assert q.boluses_mg == (2.0, 6.0)
