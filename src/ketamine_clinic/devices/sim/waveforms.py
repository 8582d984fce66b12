"""ECG lead II and plethysmogram shapes that follow the heart rate, chunk after chunk.

Each beat is a sum of Gaussian bumps over the beat's phase (P, Q, R, S, T for the ECG, in
mV; the systolic upstroke and the dicrotic wave for the pleth, dimensionless 0-1), after
McSharry et al.'s synthetic ECG (IEEE Trans Biomed Eng 2003;50:289). Shapes are for
display and for exercising the gateway, not for diagnosis. The generator keeps the beat
phase between chunks, so consecutive chunks join without a step when the rate changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# (amplitude, centre as a fraction of the beat, width as a fraction of the beat)
ECG_WAVES_MV: Final = (
    (0.15, 0.20, 0.025),  # P
    (-0.10, 0.36, 0.010),  # Q
    (1.20, 0.40, 0.012),  # R
    (-0.25, 0.43, 0.010),  # S
    (0.30, 0.70, 0.050),  # T
)
PLETH_WAVES: Final = (
    (0.80, 0.30, 0.080),  # systolic upstroke and peak
    (0.30, 0.58, 0.070),  # dicrotic wave
)


def _shape(phase: FloatArray, waves: tuple[tuple[float, float, float], ...]) -> FloatArray:
    frac = phase % 1.0
    out = np.zeros_like(frac)
    for amplitude, centre, width in waves:
        out += amplitude * np.exp(-0.5 * ((frac - centre) / width) ** 2)
    return out


@dataclass
class WaveformGenerator:
    """One waveform's running beat phase; ``chunk`` gives the next samples."""

    sample_rate_hz: int
    waves: tuple[tuple[float, float, float], ...]
    phase_beats: float = 0.0

    def chunk(
        self,
        n_samples: int,
        heart_rate_per_min: float,
        *,
        rng: np.random.Generator,
        noise_sd: float = 0.0,
        invalid: bool = False,
    ) -> list[float | None]:
        """The next ``n_samples`` at ``heart_rate_per_min``; all None when ``invalid``
        (the phase still advances: the heart goes on beating while the probe is off)."""
        step = heart_rate_per_min / 60.0 / self.sample_rate_hz
        phase = self.phase_beats + step * np.arange(n_samples, dtype=np.float64)
        self.phase_beats = float(self.phase_beats + step * n_samples) % 1.0
        if invalid:
            return [None] * n_samples
        values = _shape(phase, self.waves)
        if noise_sd > 0:
            values = values + rng.normal(0.0, noise_sd, n_samples)
        return [float(v) for v in values]


def ecg_lead_ii(sample_rate_hz: int = 250) -> WaveformGenerator:
    return WaveformGenerator(sample_rate_hz, ECG_WAVES_MV)


def pleth(sample_rate_hz: int = 125) -> WaveformGenerator:
    return WaveformGenerator(sample_rate_hz, PLETH_WAVES)
