"""Property tests: no code path produces a program over a hard limit.

Hypothesis draws random orders and random sequences of titrations (with time passing in
between, in both titration modes) against both care areas. What the tests prove:

1. Every plan `plan_infusion` returns, and every program `titrate` returns, passes
   `check` with no hard breach, and can be accepted (directly, or by an override).
2. Every order, and every titration step, whose values as asked lie over a hard limit
   is refused, computed here by an oracle with its own arithmetic.
3. `check` calls a program a hard breach exactly when the oracle finds a value outside
   a hard limit, and no override turns a hard breach into an accepted program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from ketamine_clinic.pharmacology.dosing import InfusionPlan, plan_infusion
from ketamine_clinic.pharmacology.dosing_errors import (
    HardLimitBreach,
    InvalidDoseInput,
    OverrideRefused,
)
from ketamine_clinic.pharmacology.drug_library import (
    AcceptedProgram,
    DrugLibraryEntry,
    LimitBand,
    PumpProgram,
    Verdict,
    accept_program,
    check,
    override_soft_limits,
)
from ketamine_clinic.pharmacology.drug_library_data import DEFAULT_LIBRARY
from ketamine_clinic.pharmacology.titration import (
    RunningInfusion,
    TitrationMode,
    TitrationStep,
    advance,
    titrate,
)
from ketamine_clinic.pharmacology.units import SaltForm, strength_as_base_mg_per_ml

# Clearly over or within: values within this relative margin of a limit are left to the
# example tests, since the check's own float tolerance (1e-9) decides them.
MARGIN = 1e-6

entries = st.sampled_from(list(DEFAULT_LIBRARY.values()))
resolutions = st.sampled_from([0.01, 0.1, 1.0])


def outside_hard(value: float, band: LimitBand) -> bool:
    """Oracle: ``value`` clearly outside the hard limits of ``band``."""
    return (band.hard_high is not None and value > band.hard_high * (1 + MARGIN)) or (
        band.hard_low is not None and value < band.hard_low * (1 - MARGIN)
    )


def oracle_over_hard(
    entry: DrugLibraryEntry,
    *,
    concentration_mg_per_ml: float,
    weight_kg: float,
    rate_ml_per_h: float,
    session_ml: float,
    session_min: float,
) -> bool:
    """Whether a program with these values clearly crosses a hard limit of ``entry``."""
    assert entry.weight_based  # the default library doses per kg
    return (
        outside_hard(concentration_mg_per_ml, entry.concentration_mg_per_ml)
        or outside_hard(rate_ml_per_h * concentration_mg_per_ml / weight_kg, entry.dose_rate)
        or outside_hard(session_ml * concentration_mg_per_ml / weight_kg, entry.total_dose)
        or outside_hard(session_min, entry.duration_min)
        or outside_hard(rate_ml_per_h, LimitBand(hard_high=entry.max_rate_ml_per_h))
    )


def assert_acceptable(program: PumpProgram, entry: DrugLibraryEntry) -> None:
    """Re-check independently of what the producer reported; it must be runnable."""
    result = check(program, entry)
    assert result.verdict is not Verdict.HARD_BREACH, result.messages
    accepted = (
        accept_program(result)
        if result.verdict is Verdict.OK
        else override_soft_limits(result, override_by="dr.test", reason="property test")
    )
    assert accepted.program == program


@dataclass(frozen=True)
class Order:
    weight_kg: float
    dose_mg_per_kg: float
    duration_min: float
    vial_strength_mg_per_ml: float
    vial_labelled_as: SaltForm
    concentration_mg_per_ml: float
    pump_resolution_ml_per_h: float
    entry: DrugLibraryEntry

    def plan(self) -> InfusionPlan:
        return plan_infusion(
            weight_kg=self.weight_kg,
            dose_mg_per_kg=self.dose_mg_per_kg,
            duration_min=self.duration_min,
            vial_strength_mg_per_ml=self.vial_strength_mg_per_ml,
            vial_labelled_as=self.vial_labelled_as,
            concentration_mg_per_ml=self.concentration_mg_per_ml,
            pump_resolution_ml_per_h=self.pump_resolution_ml_per_h,
            entry=self.entry,
        )


@st.composite
def orders(draw: st.DrawFn, *, clinical: bool = False) -> Order:
    """Plausible orders: wide ranges, or (``clinical``) ones near the clinic's practice."""
    vial = draw(st.sampled_from([10.0, 50.0, 100.0]))
    label = draw(st.sampled_from(list(SaltForm)))
    stock_base = strength_as_base_mg_per_ml(vial, label)
    if clinical:
        weight = draw(st.floats(40.0, 160.0))
        dose = draw(st.floats(0.2, 1.2))
        duration = draw(st.floats(30.0, 120.0))
        concentration = draw(st.sampled_from([1.0, 2.0, 5.0]))
    else:
        weight = draw(st.floats(20.0, 300.0))
        dose = draw(st.floats(0.01, 5.0))
        duration = draw(st.floats(1.0, 400.0))
        concentration = draw(st.one_of(st.sampled_from([1.0, 2.0, 5.0]), st.floats(0.2, 12.0)))
    assume(concentration <= stock_base)
    return Order(
        weight_kg=weight,
        dose_mg_per_kg=dose,
        duration_min=duration,
        vial_strength_mg_per_ml=vial,
        vial_labelled_as=label,
        concentration_mg_per_ml=concentration,
        pump_resolution_ml_per_h=draw(resolutions),
        entry=draw(entries),
    )


@settings(max_examples=600)
@given(st.one_of(orders(), orders(clinical=True)))
def test_every_plan_produced_is_within_the_hard_limits(order: Order) -> None:
    try:
        plan = order.plan()
    except (InvalidDoseInput, HardLimitBreach) as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event(f"planned: {plan.check_result.verdict}")
    assert_acceptable(plan.program, order.entry)
    steps = plan.rate_ml_per_h / plan.pump_resolution_ml_per_h
    assert math.isclose(steps, round(steps), abs_tol=1e-6)  # a rate the pump can set
    assert plan.vtbi_ml <= plan.syringe_size_ml
    assert plan.stock_volume_ml + plan.diluent_volume_ml == pytest.approx(plan.vtbi_ml)


@settings(max_examples=400)
@given(orders())
def test_every_order_over_a_hard_limit_is_refused(order: Order) -> None:
    vtbi_ml = order.weight_kg * order.dose_mg_per_kg / order.concentration_mg_per_ml
    over = oracle_over_hard(
        order.entry,
        concentration_mg_per_ml=order.concentration_mg_per_ml,
        weight_kg=order.weight_kg,
        rate_ml_per_h=vtbi_ml * 60 / order.duration_min,
        session_ml=vtbi_ml,
        session_min=order.duration_min,
    )
    assume(over)
    with pytest.raises(HardLimitBreach) as raised:
        order.plan()
    assert raised.value.breaches
    assert all("The pump will not run this program" in b.message for b in raised.value.breaches)


steps = st.one_of(
    st.builds(TitrationStep.by_percent, st.floats(-95.0, -0.5) | st.floats(0.5, 200.0)),
    st.builds(TitrationStep.by_dose_rate, st.floats(-1.0, -0.01) | st.floats(0.01, 1.5)),
    st.builds(TitrationStep.to_dose_rate, st.floats(0.01, 3.0)),
)
actions = st.tuples(
    st.floats(0.0, 30.0),  # minutes that pass before the step
    steps,
    st.sampled_from(list(TitrationMode)),
    resolutions,
)


def requested_over_hard(
    infusion: RunningInfusion, step: TitrationStep, mode: TitrationMode, entry: DrugLibraryEntry
) -> bool:
    """Oracle: the step, as asked (before rounding), clearly crosses a hard limit."""
    current = infusion.rate_ml_per_h * infusion.concentration_mg_per_ml / infusion.weight_kg
    if step.kind == "percent":
        requested = current * (1 + step.value / 100)
    elif step.kind == "dose_rate_delta":
        requested = current + step.value
    else:
        requested = step.value
    if requested <= 0:
        return True
    rate = requested * infusion.weight_kg / infusion.concentration_mg_per_ml
    left_ml = infusion.vtbi_ml - infusion.infused_ml
    if mode is TitrationMode.KEEP_VTBI:
        remaining_ml, remaining_min = left_ml, 60 * left_ml / rate
    else:
        remaining_min = 60 * left_ml / infusion.rate_ml_per_h
        remaining_ml = rate * remaining_min / 60
    return oracle_over_hard(
        entry,
        concentration_mg_per_ml=infusion.concentration_mg_per_ml,
        weight_kg=infusion.weight_kg,
        rate_ml_per_h=rate,
        session_ml=infusion.infused_ml + remaining_ml,
        session_min=infusion.elapsed_min + remaining_min,
    )


@settings(max_examples=300)
@given(
    orders(clinical=True),
    st.floats(0.0, 1.0),
    st.lists(actions, min_size=1, max_size=8),
)
def test_no_sequence_of_titrations_produces_a_program_over_a_hard_limit(
    order: Order,
    spare_fraction: float,
    sequence: list[tuple[float, TitrationStep, TitrationMode, float]],
) -> None:
    try:
        plan = order.plan()
    except (InvalidDoseInput, HardLimitBreach):
        assume(False)
        return
    assert_acceptable(plan.program, order.entry)
    # The nurse may have drawn up more than the VTBI (up to the syringe's size).
    spare_ml = spare_fraction * (plan.syringe_size_ml - plan.vtbi_ml)
    infusion = RunningInfusion.from_plan(plan)
    infusion = RunningInfusion(
        concentration_mg_per_ml=infusion.concentration_mg_per_ml,
        weight_kg=infusion.weight_kg,
        rate_ml_per_h=infusion.rate_ml_per_h,
        vtbi_ml=infusion.vtbi_ml,
        infused_ml=0.0,
        elapsed_min=0.0,
        syringe_contents_ml=plan.vtbi_ml + spare_ml,
    )
    for minutes, step, mode, resolution in sequence:
        infusion = advance(infusion, minutes)
        if infusion.remaining_ml <= 1e-6:
            break
        over = requested_over_hard(infusion, step, mode, order.entry)
        try:
            result = titrate(
                infusion, step, entry=order.entry, mode=mode, pump_resolution_ml_per_h=resolution
            )
        except HardLimitBreach as exc:
            event("titration refused: hard limit")
            assert exc.breaches
            continue  # refused: the infusion runs on unchanged
        except InvalidDoseInput as exc:
            event(f"titration refused: {exc.field}")
            assert exc.field in {"step", "mode", "infused_ml"}
            continue
        event(f"titration accepted: {result.check_result.verdict}")
        assert not over, "a step over a hard limit was accepted"
        assert_acceptable(result.program, order.entry)
        assert result.infusion.vtbi_ml <= result.infusion.syringe_contents_ml + 1e-9
        assert result.infusion.infused_ml == infusion.infused_ml
        if mode is TitrationMode.KEEP_VTBI:
            assert result.vtbi_ml == pytest.approx(infusion.vtbi_ml)
        infusion = result.infusion


@st.composite
def programs(draw: st.DrawFn) -> PumpProgram:
    return PumpProgram(
        concentration_mg_per_ml=draw(st.floats(0.2, 20.0)),
        weight_kg=draw(st.floats(20.0, 300.0)),
        rate_ml_per_h=draw(st.floats(0.1, 500.0)),
        vtbi_ml=draw(st.floats(0.1, 100.0)),
        infused_before_ml=draw(st.floats(0.0, 60.0)),
        elapsed_before_min=draw(st.floats(0.0, 200.0)),
    )


@settings(max_examples=500)
@given(programs(), entries)
def test_check_finds_a_hard_breach_exactly_when_a_value_is_outside_a_hard_limit(
    program: PumpProgram, entry: DrugLibraryEntry
) -> None:
    session_ml = program.infused_before_ml + program.vtbi_ml
    values = dict(
        concentration_mg_per_ml=program.concentration_mg_per_ml,
        weight_kg=program.weight_kg,
        rate_ml_per_h=program.rate_ml_per_h,
        session_ml=session_ml,
        session_min=program.elapsed_before_min + 60 * program.vtbi_ml / program.rate_ml_per_h,
    )
    result = check(program, entry)
    if oracle_over_hard(entry, **values):
        assert result.verdict is Verdict.HARD_BREACH
        with pytest.raises(HardLimitBreach):
            override_soft_limits(result, override_by="dr.test", reason="a reason")
        with pytest.raises(HardLimitBreach):
            AcceptedProgram(program=program, entry=entry)
    elif result.verdict is Verdict.HARD_BREACH:
        # Only a value within MARGIN of a hard limit may be called over it.
        assert all(b.value == pytest.approx(b.limit, rel=2 * MARGIN) for b in result.hard_breaches)


@st.composite
def clinical_programs(draw: st.DrawFn) -> PumpProgram:
    """First programs around the clinic's practice, many of them past a soft limit."""
    concentration = draw(st.sampled_from([1.0, 2.0, 5.0]))
    weight = draw(st.floats(40.0, 150.0))
    rate_ml_per_h = draw(st.floats(0.1, 1.5)) * weight / concentration
    return PumpProgram(
        concentration_mg_per_ml=concentration,
        weight_kg=weight,
        rate_ml_per_h=rate_ml_per_h,
        vtbi_ml=rate_ml_per_h * draw(st.floats(25.0, 200.0)) / 60,
    )


@settings(max_examples=200)
@given(clinical_programs(), entries, st.text(alphabet=" \t\n", max_size=5))
def test_no_soft_breach_is_accepted_without_a_reason(
    program: PumpProgram, entry: DrugLibraryEntry, blank: str
) -> None:
    result = check(program, entry)
    assume(result.verdict is Verdict.SOFT_BREACH)
    with pytest.raises(OverrideRefused):
        override_soft_limits(result, override_by="dr.test", reason=blank)
    with pytest.raises(OverrideRefused):
        accept_program(result)
    accepted = override_soft_limits(result, override_by="dr.test", reason="clinical reason")
    assert accepted.override is not None
    assert accepted.override.breaches == result.soft_breaches
