"""Plots of `ketamine-clinic pk`: concentrations over time, as a clinician reads them.

matplotlib with the Agg canvas and no pyplot (no global figure state, no display needed).
The pharmacology package stays numpy/scipy only; drawing lives here, next to the CLI.
Each figure: time in minutes on the x axis, concentrations in ng/mL, the pump program in
a panel underneath sharing the time axis, reference concentrations from the literature,
and a title saying model, patient and dose. SVG text stays text (searchable, readable by
screen readers); PNG is drawn at 150 dpi.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

FloatArray = npt.NDArray[np.float64]

S_PER_MIN: Final = 60.0
PNG_DPI: Final = 150

# Reference concentrations, /work/shared/reference/pharmacology.md ("Concentration-effect
# facts"): dissociative effects at 100-250 ng/mL (Krystal 1994); the antidepressant dose
# (0.5 mg/kg over 40 min) gave a mean Cmax of about 185 ng/mL (Zarate 2006, via Zanos 2018
# Table 1).
RACEMIC_KETAMINE: Final = "racemic ketamine"
DISSOCIATION_NG_PER_ML: Final = (100.0, 250.0)
DISSOCIATION_LABEL: Final = "Dissociative effects 100-250 ng/mL (Krystal 1994)"
OBSERVED_CMAX_NG_PER_ML: Final = 185.0
OBSERVED_CMAX_LABEL: Final = "Observed Cmax ≈185 ng/mL, 0.5 mg/kg over 40 min (Zarate 2006)"
KE0_NOTE: Final = (
    "Ce (dashed) uses an ASSUMED ke0 of {ke0:g} /min: no measured ke0 exists for racemic "
    "ketamine, so the effect-site curve is illustrative."
)
KE0_NOTE_OTHER_DRUG: Final = (
    "Ce (dashed) uses an ASSUMED ke0 of {ke0:g} /min, not a measured one: the effect-site "
    "curve is illustrative."
)


def ke0_note(ke0_per_min: float, drug: str) -> str:
    template = KE0_NOTE if drug == RACEMIC_KETAMINE else KE0_NOTE_OTHER_DRUG
    return template.format(ke0=ke0_per_min)


PREDICTION_NOTE: Final = "Model predictions for decision support, not measurements."

CP_COLOUR: Final = "#1f4e79"
CE_COLOUR: Final = "#c55a11"
METABOLITE_COLOUR: Final = "#2e7d32"
TARGET_COLOUR: Final = "#00897b"
PUMP_COLOUR: Final = "#37474f"
BAND_COLOUR: Final = "#ffcc80"
REFERENCE_COLOUR: Final = "#616161"
THRESHOLD_COLOURS: Final = ("#b71c1c", "#6a1b9a", "#004d40", "#5d4037")


@contextmanager
def _style() -> Iterator[None]:
    """Readable sizes; SVG text kept as text; the same plot gives the same file."""
    with matplotlib.rc_context(
        {
            "font.size": 11,
            "axes.titlesize": 13,
            "axes.labelsize": 11.5,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 9.5,
            "figure.titlesize": 13.5,
            "axes.spines.top": False,
            "svg.fonttype": "none",  # keep text as <text>, not outlines
            "svg.hashsalt": "ketamine-clinic",  # the same plot gives the same file
        }
    ):
        yield


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    if path.suffix.lower() == ".svg":
        fig.savefig(path, format="svg", metadata={"Date": None})
    else:
        fig.savefig(path, format="png", dpi=PNG_DPI)


def _minute_ticks(ax: Axes, until_min: float) -> None:
    """Ticks at 1, 2, 5, 10, 15, 20, 30, 60, 120... min: at most 10 of them."""
    for step in (1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 720, 1440):
        if until_min / step <= 10:
            break
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.set_xlim(0.0, until_min)


REFERENCES_NOT_SHOWN_NOTE: Final = (
    "Reference concentrations (Krystal 1994, Zarate 2006) are for racemic ketamine and are "
    "not drawn for {drug}."
)


def _reference_lines(ax: Axes, drug: str) -> list[str]:
    """Draw the racemic-ketamine reference concentrations where they apply; else a note.

    Krystal's range and Zarate's Cmax were measured with racemic ketamine: beside an
    S-ketamine curve (about twice as potent) they would mislead.
    """
    if drug != RACEMIC_KETAMINE:
        return [REFERENCES_NOT_SHOWN_NOTE.format(drug=drug)]
    low, high = DISSOCIATION_NG_PER_ML
    ax.axhspan(low, high, color=BAND_COLOUR, alpha=0.3, lw=0, label=DISSOCIATION_LABEL)
    ax.axhline(
        OBSERVED_CMAX_NG_PER_ML,
        color=REFERENCE_COLOUR,
        lw=1.2,
        ls=(0, (2, 2)),
        label=OBSERVED_CMAX_LABEL,
    )
    return []


def _concentration_axis(ax: Axes, top: float) -> None:
    ax.set_ylabel("Concentration (ng/mL)")
    ax.set_ylim(0.0, max(top, DISSOCIATION_NG_PER_ML[1]) * 1.15)
    ax.grid(True, alpha=0.3)


def _figure(title: str, height_ratios: Sequence[float]) -> tuple[Figure, Axes, list[Axes]]:
    """A figure with the title on top, a strip for the legend, then panels sharing x.

    The legend has its own strip so that it never hides a curve or a label, however long
    the labels are.
    """
    fig = Figure(figsize=(10.0, 8.0), layout="constrained")
    fig.suptitle(_wrap(title), x=0.01, ha="left")
    grid = fig.add_gridspec(len(height_ratios) + 1, 1, height_ratios=(0.42, *height_ratios))
    legend_ax = fig.add_subplot(grid[0])
    legend_ax.axis("off")
    first = fig.add_subplot(grid[1])
    panels = [
        first,
        *(fig.add_subplot(grid[i + 2], sharex=first) for i in range(len(height_ratios) - 1)),
    ]
    for panel in panels[:-1]:
        panel.tick_params(labelbottom=False)
    return fig, legend_ax, panels


def _wrap(title: str, width: int = 100) -> str:
    """Lines of at most ``width`` characters, never breaking a number from its unit."""
    glued = re.sub(r"(\d) (?=[a-zA-Z%])", "\\1\u00a0", title)
    wrapped = "\n".join(textwrap.fill(line, width) for line in glued.splitlines())
    return wrapped.replace("\u00a0", " ")


def _legend(legend_ax: Axes, *axes: Axes, ncols: int = 2) -> None:
    handles: list[Artist] = []
    labels: list[str] = []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles.extend(h)
        labels.extend(lab)
    legend_ax.legend(handles, labels, loc="center", ncols=ncols, frameon=False)


def _notes(fig: Figure, notes: Sequence[str]) -> None:
    if notes:
        fig.supxlabel("\n".join(notes), fontsize=9, style="italic", color="#424242")


# --------------------------------------------------------------------------------------
# The pump panel
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PumpProgram:
    """Rate steps to draw underneath: (start_s, end_s, rate) in ``unit``.

    ``secondary`` converts the rate to a second unit for the right-hand axis
    (e.g. mg/kg/h to mL/h), as (axis label, unit, factor).
    """

    steps: Sequence[tuple[float, float, float]]
    unit: str
    secondary: tuple[str, str, float] | None = None
    marks: Sequence[tuple[float, str]] = field(default=())


def _pump_panel(ax: Axes, pump: PumpProgram, until_min: float) -> None:
    if pump.steps:
        x = [s[0] / S_PER_MIN for s in pump.steps] + [pump.steps[-1][1] / S_PER_MIN]
        y = [s[2] for s in pump.steps] + [pump.steps[-1][2]]
    else:
        x, y = [0.0, until_min], [0.0, 0.0]
    ax.fill_between(x, y, step="post", color=PUMP_COLOUR, alpha=0.18, lw=0)
    ax.step(x, y, where="post", color=PUMP_COLOUR, lw=1.6)
    top = max(y) if max(y) > 0 else 1.0
    # Room above the highest rate for the labels of rate changes, written upwards.
    ax.set_ylim(0.0, top * (2.1 if pump.marks else 1.3))
    ax.set_ylabel(f"Pump rate\n({pump.unit})")
    ax.set_xlabel("Time from start (min)")
    ax.grid(True, alpha=0.3)
    if pump.secondary is not None:
        label, _, factor = pump.secondary

        def forward(rate: npt.ArrayLike) -> FloatArray:
            return np.asarray(rate, dtype=np.float64) * factor

        def inverse(rate: npt.ArrayLike) -> FloatArray:
            return np.asarray(rate, dtype=np.float64) / factor

        secondary = ax.secondary_yaxis("right", functions=(forward, inverse))
        secondary.set_ylabel(label)
    span = x[-1] - x[0] if x[-1] > x[0] else 1.0
    for start, end, rate in pump.steps:
        width = (end - start) / S_PER_MIN
        if rate > 0 and width / span > 0.12:
            text = f"{rate:.3g} {pump.unit}"
            if pump.secondary is not None:
                text += f"\n= {rate * pump.secondary[2]:.3g} {pump.secondary[1]}"
            ax.text(
                (start + end) / 2 / S_PER_MIN,
                rate / 2,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color=PUMP_COLOUR,
            )
    for t_s, text in pump.marks:
        t_min = t_s / S_PER_MIN
        ax.axvline(t_min, color=REFERENCE_COLOUR, lw=0.8, ls=":")
        ax.annotate(
            text,
            xy=(t_min, top * 1.06),
            xytext=(2, 0),
            textcoords="offset points",
            rotation=90,
            fontsize=8.5,
            ha="left",
            va="bottom",
            color="#212121",
        )


# --------------------------------------------------------------------------------------
# pk simulate
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationPlot:
    title: str
    drug: str
    t_s: FloatArray
    cp_ng_per_ml: FloatArray
    ce_ng_per_ml: FloatArray | None
    ke0_per_min: float | None
    metabolite_name: str | None
    metabolite_ng_per_ml: FloatArray | None
    cmax: tuple[float, float]
    pump: PumpProgram


def plot_simulation(path: Path, plot: SimulationPlot) -> None:
    """Cp (and Ce dashed, metabolite dotted) over time, the pump program underneath."""
    t_min = plot.t_s / S_PER_MIN
    until_min = float(t_min[-1])
    with _style():
        fig, legend_ax, (top_ax, pump_ax) = _figure(plot.title, (3.0, 1.2))
        reference_notes = _reference_lines(top_ax, plot.drug)
        top_ax.plot(t_min, plot.cp_ng_per_ml, color=CP_COLOUR, lw=2.2, label="Cp, plasma")
        highest = float(np.max(plot.cp_ng_per_ml))
        notes = [PREDICTION_NOTE]
        if plot.ce_ng_per_ml is not None:
            top_ax.plot(
                t_min,
                plot.ce_ng_per_ml,
                color=CE_COLOUR,
                lw=1.8,
                ls="--",
                label=f"Ce, effect site (ke0 {plot.ke0_per_min:g} /min, assumed)",
            )
            highest = max(highest, float(np.max(plot.ce_ng_per_ml)))
            if plot.ke0_per_min is not None:
                notes.insert(0, ke0_note(plot.ke0_per_min, plot.drug))
        if plot.metabolite_ng_per_ml is not None:
            top_ax.plot(
                t_min,
                plot.metabolite_ng_per_ml,
                color=METABOLITE_COLOUR,
                lw=1.8,
                ls=":",
                label=f"{plot.metabolite_name}, plasma",
            )
            highest = max(highest, float(np.max(plot.metabolite_ng_per_ml)))
        cmax, t_cmax = plot.cmax
        top_ax.plot([t_cmax / S_PER_MIN], [cmax], "o", color=CP_COLOUR, ms=6)
        top_ax.annotate(
            f"Cmax {cmax:.0f} ng/mL at {t_cmax / S_PER_MIN:.0f} min",
            xy=(t_cmax / S_PER_MIN, cmax),
            xytext=(8, 8),
            textcoords="offset points",
            fontsize=10,
            color=CP_COLOUR,
        )
        _concentration_axis(top_ax, highest)
        _legend(legend_ax, top_ax)
        _pump_panel(pump_ax, plot.pump, until_min)
        _minute_ticks(pump_ax, until_min)
        _notes(fig, [*reference_notes, *notes])
        _save(fig, path)


# --------------------------------------------------------------------------------------
# pk tci
# --------------------------------------------------------------------------------------

EFFECT_SITE_MODE_NOTE: Final = (
    "Effect-site targeting doses to the assumed ke0; plasma targeting is the evidence-based "
    "mode for ketamine."
)


@dataclass(frozen=True)
class TciPlot:
    title: str
    drug: str
    mode: str
    t_s: FloatArray
    cp_ng_per_ml: FloatArray
    ce_ng_per_ml: FloatArray | None
    ke0_per_min: float | None
    targets: Sequence[tuple[float, float]]
    pump: PumpProgram


def _target_steps(
    targets: Sequence[tuple[float, float]], until_s: float
) -> tuple[list[float], list[float]]:
    x = [t / S_PER_MIN for t, _ in targets] + [until_s / S_PER_MIN]
    y = [c for _, c in targets] + [targets[-1][1]]
    return x, y


def plot_tci(path: Path, plot: TciPlot) -> None:
    """Cp, Ce and the target over time; the pump's rate schedule (mL/h) underneath."""
    t_min = plot.t_s / S_PER_MIN
    until_min = float(t_min[-1])
    with _style():
        fig, legend_ax, (top_ax, pump_ax) = _figure(plot.title, (3.0, 1.3))
        reference_notes = _reference_lines(top_ax, plot.drug)
        x, y = _target_steps(plot.targets, float(plot.t_s[-1]))
        site = "plasma" if plot.mode == "plasma" else "effect-site"
        # A wide pale band under the curves: Cp or Ce runs inside it when on target.
        top_ax.step(
            x,
            y,
            where="post",
            color=TARGET_COLOUR,
            lw=7,
            alpha=0.28,
            solid_joinstyle="miter",
            label=f"Target ({site})",
        )
        top_ax.plot(t_min, plot.cp_ng_per_ml, color=CP_COLOUR, lw=2.2, label="Cp, plasma")
        highest = max(float(np.max(plot.cp_ng_per_ml)), max(y))
        notes = [PREDICTION_NOTE]
        if plot.ce_ng_per_ml is not None:
            top_ax.plot(
                t_min,
                plot.ce_ng_per_ml,
                color=CE_COLOUR,
                lw=1.8,
                ls="--",
                label=f"Ce, effect site (ke0 {plot.ke0_per_min:g} /min, assumed)",
            )
            highest = max(highest, float(np.max(plot.ce_ng_per_ml)))
            if plot.ke0_per_min is not None:
                notes.insert(0, ke0_note(plot.ke0_per_min, plot.drug))
        if plot.mode != "plasma":
            notes.insert(0, EFFECT_SITE_MODE_NOTE)
        _concentration_axis(top_ax, highest)
        _legend(legend_ax, top_ax, ncols=2)
        _pump_panel(pump_ax, plot.pump, until_min)
        _minute_ticks(pump_ax, until_min)
        _notes(fig, [*reference_notes, *notes])
        _save(fig, path)


# --------------------------------------------------------------------------------------
# pk population
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationPlot:
    title: str
    drug: str
    t_s: FloatArray
    percentiles: Sequence[float]
    cp_percentiles_ng_per_ml: FloatArray  # (len(percentiles), T)
    ce_median_ng_per_ml: FloatArray | None
    ke0_per_min: float | None
    thresholds_ng_per_ml: Sequence[float]
    fraction_above: FloatArray  # (len(thresholds), T)
    variability_published: bool
    variability_source: str


def plot_population(path: Path, plot: PopulationPlot) -> None:
    """Percentile bands of Cp (5-95, 25-75, median); % of patients above each threshold."""
    t_min = plot.t_s / S_PER_MIN
    until_min = float(t_min[-1])

    def row(q: float) -> FloatArray:
        index = list(plot.percentiles).index(q)
        return np.asarray(plot.cp_percentiles_ng_per_ml[index], dtype=np.float64)

    with _style():
        fig, legend_ax, (top_ax, share_ax) = _figure(plot.title, (3.0, 1.3))
        reference_notes = _reference_lines(top_ax, plot.drug)
        top_ax.fill_between(
            t_min,
            row(5.0),
            row(95.0),
            color=CP_COLOUR,
            alpha=0.16,
            lw=0,
            label="Cp, 5th-95th percentile",
        )
        top_ax.fill_between(
            t_min,
            row(25.0),
            row(75.0),
            color=CP_COLOUR,
            alpha=0.34,
            lw=0,
            label="Cp, 25th-75th percentile",
        )
        top_ax.plot(t_min, row(50.0), color=CP_COLOUR, lw=2.2, label="Cp, median")
        notes = []
        if plot.variability_published:
            notes.append(f"Variability PUBLISHED: {plot.variability_source}.")
        else:
            notes.append(f"Variability ASSUMED, not published: {plot.variability_source}.")
        if plot.ce_median_ng_per_ml is not None:
            top_ax.plot(
                t_min,
                plot.ce_median_ng_per_ml,
                color=CE_COLOUR,
                lw=1.6,
                ls="--",
                label=f"Ce, median (ke0 {plot.ke0_per_min:g} /min, assumed)",
            )
            if plot.ke0_per_min is not None:
                notes.append(ke0_note(plot.ke0_per_min, plot.drug))
        notes.append(PREDICTION_NOTE)
        highest = float(np.max(row(95.0)))
        for k, threshold in enumerate(plot.thresholds_ng_per_ml):
            colour = THRESHOLD_COLOURS[k % len(THRESHOLD_COLOURS)]
            top_ax.axhline(threshold, color=colour, lw=1.3, ls=(0, (6, 3)))
            top_ax.annotate(
                f"{threshold:g} ng/mL",
                xy=(1.0, threshold),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 3),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=9,
                color=colour,
            )
            share_ax.plot(
                t_min,
                100.0 * plot.fraction_above[k],
                color=colour,
                lw=1.8,
                label=f"Cp above {threshold:g} ng/mL",
            )
            highest = max(highest, threshold)
        _concentration_axis(top_ax, highest)
        _legend(legend_ax, top_ax, share_ax, ncols=2)
        share_ax.set_ylim(0.0, 100.0)
        share_ax.yaxis.set_major_locator(MultipleLocator(25))
        share_ax.set_ylabel("Patients above\nthreshold (%)")
        share_ax.set_xlabel("Time from start (min)")
        share_ax.grid(True, alpha=0.3)
        _minute_ticks(share_ax, until_min)
        _notes(fig, [_wrap(note, 130) for note in [*reference_notes, *notes]])
        _save(fig, path)
