"""`ketamine-clinic pk ... --plot FILE`: the files are written and carry what a clinician reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.conftest import run_main
from tests.cli.test_pk_cmd import POPULATION, SIMULATE, TCI, with_options

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> str:
    """Every text of an SVG drawing, joined: what a reader (or a screen reader) sees."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own file
    assert root.tag == f"{SVG_NAMESPACE}svg"
    return "\n".join("".join(element.itertext()) for element in root.iter(f"{SVG_NAMESPACE}text"))


def draw(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> str:
    code, out, err = run_main(capsys, *args, "--plot", str(path))
    assert code == 0, err
    assert err == ""
    assert path.exists()
    return out


def test_simulate_draws_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cp.png"
    out = draw(capsys, path, *SIMULATE)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 40_000  # 1500 x 1200 px of curves, bands and text
    assert out.splitlines()[-1] == f"Plot written to {path}"


def test_simulate_draws_an_svg_with_labelled_axes_legend_title_and_ke0_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "cp.svg"
    draw(capsys, path, *SIMULATE, "--concentration-mg-per-ml", "1")
    texts = svg_texts(path)
    for expected in [
        "Domino 1982: 70 kg, 0.5 mg/kg over 40 min (35 mg)",
        "Concentration (ng/mL)",
        "Time from start (min)",
        "(mg/kg/h)",
        "mL/h at 1 mg/mL",
        "Cp, plasma",
        "Ce, effect site (ke0 0.652 /min, assumed)",
        "Dissociative effects 100-250 ng/mL (Krystal 1994)",
        "Observed Cmax ≈185 ng/mL, 0.5 mg/kg over 40 min (Zarate 2006)",
        "no measured ke0 exists for racemic ketamine",
        "Cmax 240 ng/mL at 40 min",
    ]:
        assert expected in texts


def test_the_json_output_is_unchanged_by_a_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, plain, _ = run_main(capsys, *SIMULATE, "--json")
    assert code == 0
    code, plotted, _ = run_main(capsys, *SIMULATE, "--json", "--plot", str(tmp_path / "cp.svg"))
    assert code == 0
    assert plotted == plain


def test_rate_changes_a_bolus_and_a_metabolite_are_drawn(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "simons.svg"
    draw(
        capsys,
        path,
        "pk",
        "simulate",
        "--model",
        "simons",
        "--weight-kg",
        "80",
        "--dose-mg-per-kg",
        "0.5",
        "--duration-min",
        "40",
        "--bolus-mg-per-kg",
        "0.1",
        "--rate-changes",
        "20:+10%,30:pause,35:resume",
    )
    texts = svg_texts(path)
    for expected in [
        "Rate changes: 20:+10%, 30:pause, 35:resume",
        "+10%",
        "pause",
        "resume",
        "bolus 8 mg",
        "S-norketamine, plasma",
        # Simons models S-ketamine: the note must not speak of racemic ketamine.
        "ASSUMED ke0 of 1.93 /min, not a measured one",
        # Racemic reference concentrations would mislead beside S-ketamine.
        "are for racemic ketamine and are not drawn for S-ketamine",
    ]:
        assert expected in texts
    assert "Krystal 1994)" not in texts.replace("(Krystal 1994, Zarate 2006)", "")
    assert "Dissociative effects" not in texts


def test_plasma_tci_draws_the_target_the_curves_and_the_pump_rates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "tci.svg"
    draw(capsys, path, *TCI, "--mode", "plasma", "--targets", "30:100")
    texts = svg_texts(path)
    for expected in [
        "Domino 1982: 70 kg. Plasma TCI for 60 min, target 150 ng/mL, then 100 ng/mL from 30 min",
        "Concentration (ng/mL)",
        "Time from start (min)",
        "(mL/h)",
        "mg/kg/h",
        "Target (plasma)",
        "Cp, plasma",
        "no measured ke0 exists for racemic ketamine",
    ]:
        assert expected in texts


def test_effect_site_tci_says_on_the_plot_that_ke0_is_assumed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    png = tmp_path / "tci.png"
    draw(capsys, png, *TCI, "--mode", "effect-site")
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert png.stat().st_size > 40_000
    svg = tmp_path / "tci.svg"
    draw(capsys, svg, *TCI, "--mode", "effect-site")
    texts = svg_texts(svg)
    for expected in [
        "Effect-site TCI",
        "Target (effect-site)",
        "Ce, effect site (ke0 0.652 /min, assumed)",
        "Effect-site targeting doses to the assumed ke0; plasma targeting is the "
        "evidence-based mode for ketamine.",
    ]:
        assert expected in texts


def test_population_draws_bands_thresholds_and_whether_the_variability_is_published(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    png = tmp_path / "bands.png"
    draw(capsys, png, *POPULATION, "--threshold-ng-per-ml", "185", "250")
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert png.stat().st_size > 40_000
    svg = tmp_path / "bands.svg"
    draw(capsys, svg, *POPULATION, "--threshold-ng-per-ml", "185", "250")
    texts = svg_texts(svg)
    for expected in [
        "Between-patient variability: ASSUMED (not published)",
        "Cp, 5th-95th percentile",
        "Cp, 25th-75th percentile",
        "Cp, median",
        "Cp above 185 ng/mL",
        "Cp above 250 ng/mL",
        "Patients above",
        "threshold (%)",
        "Concentration (ng/mL)",
        "Time from start (min)",
    ]:
        assert expected in texts
    herd = tmp_path / "herd.svg"
    draw(
        capsys,
        herd,
        *with_options(POPULATION, "--model", "herd", "--weight-kg", "20", "--age-years", "6"),
    )
    assert "Between-patient variability: PUBLISHED" in svg_texts(herd)
