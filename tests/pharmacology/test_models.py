"""The model catalogue: published parameters, scaling, population checks, ke0 labels.

Known answers come from /work/shared/reference/pharmacology.md (the parameter table).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ketamine_clinic.pharmacology.errors import (
    InvalidModel,
    InvalidPatient,
    OutsideModelPopulation,
    UnknownModel,
)
from ketamine_clinic.pharmacology.models import (
    KE0_ASSUMED_WARNING,
    MARSH_PROPOFOL,
    get_model,
    list_models,
    mammillary_system_matrix_per_s,
    model_from_clearances,
    model_from_rate_constants,
)
from ketamine_clinic.pharmacology.solver import propagate


class Patient(TypedDict):
    weight_kg: float
    age_years: float


ADULT: Patient = {"weight_kg": 70.0, "age_years": 40.0}


def test_the_catalogue_lists_every_ketamine_model_with_domino_as_the_default() -> None:
    assert [m.name for m in list_models()] == [
        "domino",
        "clements",
        "hijazi",
        "herd",
        "kamp",
        "simons",
    ]
    assert get_model().name == "domino"
    assert get_model(" Domino ").name == "domino"


def test_an_unknown_model_name_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(UnknownModel) as excinfo:
        get_model("schnider")
    assert str(excinfo.value) == (
        "model: no model named 'schnider'; known models: domino, clements, hijazi, herd, "
        "kamp, simons"
    )


def test_every_model_cites_its_source_and_states_how_its_parameters_were_checked() -> None:
    for model in list_models():
        assert model.source
        assert model.parameter_status
    assert not get_model("clements").verified
    assert not get_model("kamp").verified
    assert get_model("domino").verified


def test_domino_has_the_published_constants_and_a_weight_linear_central_volume() -> None:
    m = get_model("domino").for_patient(**ADULT)
    assert m.compartment_count == 3
    assert m.v1_l == pytest.approx(0.063 * 70)
    micro = m.micro
    assert (micro.k10_per_min, micro.k12_per_min, micro.k13_per_min) == (0.438, 0.592, 0.590)
    assert (micro.k21_per_min, micro.k31_per_min) == (0.247, 0.0146)
    k = m.system_matrix_per_s * 60
    assert_allclose(
        k[:3, :3],
        [[-(0.438 + 0.592 + 0.590), 0.247, 0.0146], [0.592, -0.247, 0], [0.590, 0, -0.0146]],
        rtol=1e-15,
    )
    assert m.v1_l == pytest.approx(2 * get_model("domino").for_patient(weight_kg=35.0).v1_l)


def test_the_state_layout_is_compartments_then_effect_site_then_metabolite() -> None:
    domino = get_model("domino").for_patient(**ADULT)
    assert domino.n_states == 4
    assert domino.effect_site_index == 3
    assert domino.metabolite_indices == ()
    assert_allclose(domino.input_vector, [1, 0, 0, 0])
    simons = get_model("simons").for_patient(**ADULT)
    assert simons.n_states == 3 + 1 + 2 + 2
    assert simons.effect_site_index == 3
    assert simons.metabolite_indices == (4, 5, 6, 7)
    assert simons.metabolite_central_index == 6
    assert simons.metabolite_name == "S-norketamine"


@pytest.mark.parametrize(
    ("name", "v1_l_per_kg", "k10", "k12", "k21"),
    [("clements", 1.7522, 0.0109, 0.0186, 0.0137), ("hijazi", 1.08, 0.0333, 0.0088, 0.0030)],
)
def test_two_compartment_weight_linear_models_keep_their_published_constants(
    name: str, v1_l_per_kg: float, k10: float, k12: float, k21: float
) -> None:
    m = get_model(name).for_patient(weight_kg=80.0)
    assert m.compartment_count == 2
    assert m.v1_l == pytest.approx(v1_l_per_kg * 80)
    assert (m.micro.k10_per_min, m.micro.k12_per_min, m.micro.k21_per_min) == (k10, k12, k21)


def test_herd_scales_clearances_allometrically_and_volumes_linearly() -> None:
    m = get_model("herd").for_patient(weight_kg=20.0, age_years=6.0)
    f = 20.0 / 70.0
    v1, v2 = 38.7 * f, 102.0 * f
    cl, q = 90.0 / 60 * f**0.75, 215.0 / 60 * f**0.75
    assert m.v1_l == pytest.approx(v1)
    assert m.micro.volumes_l == pytest.approx((v1, v2))
    assert m.micro.k10_per_min == pytest.approx(cl / v1)
    assert m.micro.k12_per_min == pytest.approx(q / v1)
    assert m.micro.k21_per_min == pytest.approx(q / v2)
    assert m.micro.clearance_l_per_min == pytest.approx(cl)


def test_kamp_at_70_kg_has_its_published_volumes_and_clearances() -> None:
    m = get_model("kamp").for_patient(**ADULT)
    assert m.micro.volumes_l == pytest.approx((25.0, 56.0, 157.0))
    assert m.micro.clearance_l_per_min == pytest.approx(84.0 / 60)
    assert m.micro.k12_per_min * 25.0 == pytest.approx(161.0 / 60)
    assert m.micro.k13_per_min * 25.0 == pytest.approx(79.0 / 60)
    assert any("not verified" in w for w in m.warnings)


def test_kamp_scales_every_volume_and_clearance_linearly_as_opentiva_does() -> None:
    # opentiva 1.1.2 ketamine.Klamp at 100 kg: V = V70 * 100/70 and CL = CL70 * 100/70.
    m = get_model("kamp").for_patient(weight_kg=100.0, age_years=40.0)
    ratio = 100.0 / 70.0
    assert m.micro.volumes_l == pytest.approx((25.0 * ratio, 56.0 * ratio, 157.0 * ratio))
    assert m.micro.clearance_l_per_min == pytest.approx(84.0 / 60 * ratio)
    assert m.micro.k12_per_min == pytest.approx(161.0 / 25.0 / 60)
    assert m.micro.k31_per_min == pytest.approx(79.0 / 157.0 / 60)


def test_simons_has_the_nlmixr2lib_structure_for_s_norketamine() -> None:
    m = get_model("simons").for_patient(**ADULT)
    assert m.micro.volumes_l == pytest.approx((11.6, 39.0, 174.0))
    assert m.micro.clearance_l_per_min == pytest.approx(1.48)
    k = m.system_matrix_per_s * 60
    ktr = 2 / 20.1  # two transit compartments sharing a mean transit time of 20.1 min
    assert k[4, 0] == pytest.approx(1.48 / 11.6)  # all of CL enters the chain
    assert k[4, 4] == pytest.approx(-ktr)
    assert k[5, 4] == pytest.approx(ktr)
    assert k[6, 5] == pytest.approx(0.8 * ktr)  # 80 % forms norketamine
    # VN1 = VK1 = 11.6 L, VN2 221 L, CLN1 1.00 L/min, Q 2.63 L/min
    assert k[6, 6] == pytest.approx(-(1.00 + 2.63) / 11.6)
    assert k[7, 6] == pytest.approx(2.63 / 11.6)
    assert k[6, 7] == pytest.approx(2.63 / 221.0)
    assert m.metabolite_readout_per_l is not None
    assert m.metabolite_readout_per_l[6] == pytest.approx(223.70 / 237.73 / 11.6)


def test_simons_scales_with_weight_to_the_power_three_quarters_for_clearances() -> None:
    m = get_model("simons").for_patient(weight_kg=35.0, age_years=30.0, force=True)
    assert m.v1_l == pytest.approx(5.8)
    assert m.micro.clearance_l_per_min == pytest.approx(1.48 * 0.5**0.75)


def test_a_weight_outside_an_adult_model_is_refused_with_a_clear_message() -> None:
    with pytest.raises(OutsideModelPopulation) as excinfo:
        get_model("domino").for_patient(weight_kg=25.0)
    assert str(excinfo.value) == (
        "Domino 1982: weight_kg 25 kg is outside the model's population (30-200 kg; adults, "
        "racemic ketamine, venous sampling)."
    )
    assert excinfo.value.covariate == "weight_kg"
    with pytest.raises(OutsideModelPopulation, match="weight_kg 250 kg"):
        get_model("hijazi").for_patient(weight_kg=250.0)


def test_herd_refuses_an_adult_unless_forced_and_then_warns() -> None:
    herd = get_model("herd")
    expected = (
        "Herd 2007: age_years 35 years is outside the model's population (1-14 years; 54 "
        "children; ranges as in opentiva (1-14 years, 10.8-74.8 kg))."
    )
    with pytest.raises(OutsideModelPopulation) as excinfo:
        herd.for_patient(weight_kg=60.0, age_years=35.0)
    assert str(excinfo.value) == expected
    forced = herd.for_patient(weight_kg=60.0, age_years=35.0, force=True)
    assert forced.warnings[0] == (
        f"Forced outside the model's population: {expected} Predictions are extrapolated."
    )


def test_herd_needs_the_age() -> None:
    with pytest.raises(OutsideModelPopulation) as excinfo:
        get_model("herd").for_patient(weight_kg=20.0)
    assert str(excinfo.value) == (
        "Herd 2007: age_years is required; the model's population is 1-14 years (54 "
        "children; ranges as in opentiva (1-14 years, 10.8-74.8 kg))."
    )


@pytest.mark.parametrize("weight_kg", [0.0, -70.0, float("nan"), float("inf")])
def test_an_impossible_weight_is_refused_even_when_forced(weight_kg: float) -> None:
    with pytest.raises(InvalidPatient, match=r"^weight_kg: must be a finite number > 0$"):
        get_model("domino").for_patient(weight_kg=weight_kg, force=True)


def test_ketamine_effect_sites_carry_the_assumed_ke0_warning() -> None:
    m = get_model("domino").for_patient(**ADULT)
    text = (
        "No measured ke0 exists for racemic ketamine; the effect-site curve uses an assumed "
        "ke0 of 0.652 /min and is illustrative."
    )
    assert m.ke0_is_assumed
    assert m.ke0_warning == text
    assert text in m.warnings
    assert KE0_ASSUMED_WARNING.format(ke0=0.652) == text
    for model in list_models():
        assert model.ke0_is_assumed
        assert model.ke0_source


@pytest.mark.parametrize(
    ("name", "patient"),
    [
        ("domino", ADULT),
        ("clements", ADULT),
        ("hijazi", ADULT),
        ("herd", {"weight_kg": 20.0, "age_years": 6.0}),
        ("kamp", ADULT),
        ("simons", ADULT),
    ],
)
def test_each_assumed_ke0_puts_the_effect_site_peak_about_a_minute_after_a_bolus(
    name: str, patient: Patient
) -> None:
    # The opentiva convention ("from tpeak 1 min") that the catalogue's ke0 values follow.
    m = get_model(name).for_patient(**patient)
    assert m.effect_site_index is not None
    x0 = np.zeros(m.n_states)
    x0[0] = 10.0
    tau = np.arange(0.0, 300.0, 0.05)
    states = propagate(m.system_matrix_per_s, m.input_vector, x0, 0.0, tau)
    t_peak = tau[np.argmax(states[:, m.effect_site_index])]
    assert t_peak == pytest.approx(60.0, abs=1.0)


def test_marsh_propofol_runs_through_the_user_defined_path() -> None:
    # Marsh B et al., Br J Anaesth 1991;67:41-48.
    m = MARSH_PROPOFOL.for_patient(weight_kg=70.0)
    assert m.v1_l == pytest.approx(15.96)
    assert m.ke0_per_min == 0.26
    assert m.warnings == ()
    assert m.ke0_warning is None
    assert_allclose(
        m.system_matrix_per_s * 60,
        [
            [-(0.119 + 0.112 + 0.0419), 0.055, 0.0033, 0],
            [0.112, -0.055, 0, 0],
            [0.0419, 0, -0.0033, 0],
            [0.26, 0, 0, -0.26],
        ],
        rtol=1e-14,
    )


def test_a_model_defined_by_clearances_equals_the_same_model_by_rate_constants() -> None:
    by_cl = model_from_clearances(
        name="x", v1_l=10.0, cl_l_per_min=1.0, v2_l=20.0, q2_l_per_min=2.0
    ).for_patient(weight_kg=70.0)
    by_k = model_from_rate_constants(
        name="x", v1_l_per_kg=10.0 / 70, k10_per_min=0.1, k12_per_min=0.2, k21_per_min=0.1
    ).for_patient(weight_kg=70.0)
    assert_allclose(by_cl.system_matrix_per_s, by_k.system_matrix_per_s, rtol=1e-14)


def test_an_inconsistent_user_model_is_refused() -> None:
    with pytest.raises(InvalidModel, match="k12 and k21 must both be zero or both > 0"):
        model_from_rate_constants(name="x", v1_l_per_kg=0.1, k10_per_min=0.1, k12_per_min=0.2)
    with pytest.raises(InvalidModel, match=r"^v1_l_per_kg: must be a finite number > 0$"):
        model_from_rate_constants(name="x", v1_l_per_kg=0.0, k10_per_min=0.1)


def test_the_system_matrix_builder_broadcasts_over_patients() -> None:
    k10 = np.array([0.4, 0.5, 0.6])
    k = mammillary_system_matrix_per_s(
        k10_per_min=k10, k12_per_min=0.5, k21_per_min=0.2, compartment_count=2, ke0_per_min=1.0
    )
    assert k.shape == (3, 3, 3)
    assert_allclose(k[:, 0, 0] * 60, -(k10 + 0.5))
    assert_allclose(k[:, 2, 0] * 60, 1.0)


def test_a_patient_model_cannot_be_changed_in_place() -> None:
    m = get_model("domino").for_patient(**ADULT)
    with pytest.raises(ValueError, match="read-only"):
        m.system_matrix_per_s[0, 0] = 0.0
