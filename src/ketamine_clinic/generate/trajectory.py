"""How a generated patient's scores move: baseline, the course, and the months after.

Pure (no Django). The shares are chosen so that a generated clinic looks like the
published real-world series in ``/work/shared/reference/clinical.md``:

* after six infusions ~58% respond on the PHQ-9 (>= 50% reduction) and ~28% remit
  (< 5): McInnes 2022 (Osmind, 537 patients) 53.6% / 28.9%, Oliver 2022 50% / 20%,
  Phillips 2019 59% response; ~8% end worse than they began (McInnes 8.4%);
* responders relapse over weeks to months: median 8 weeks among those who relapse and a
  quarter who do not, so ~60% still respond at 8 weeks (McInnes ~60% at 8 weeks;
  Murrough 2013 median 18 days after a shorter course; KetECT 70% within 12 months);
* most of the improvement comes in the first infusions (Phillips 2019: median 3
  infusions to respond).

The thresholds that define response and remission are the instruments' own
(``instruments/data/phq9.toml``); this module only chooses final totals on either side.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

# Outcome classes after a full course: (name, share). Sum to 1.
COMPLETED_OUTCOMES: Final = (("remit", 0.28), ("respond", 0.30), ("none", 0.34), ("worse", 0.08))
# Those who stopped early mostly stopped because nothing helped (or it got worse).
STOPPED_OUTCOMES: Final = (("remit", 0.03), ("respond", 0.12), ("none", 0.65), ("worse", 0.20))
RELAPSE_NEVER_SHARE: Final = 0.25
RELAPSE_MEDIAN_DAYS: Final = 56.0
# How fast the course works: improvement after k infusions is 1 - exp(-k / TAU).
TAU_INFUSIONS: Final = 1.2
PHQ9_MAX: Final = 27
GAD7_MAX: Final = 21
PCL5_MAX: Final = 80


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for name, share in table:
        roll -= share
        if roll < 0:
            return name
    return table[-1][0]


def _clip(value: float, high: int) -> int:
    return max(0, min(high, round(value)))


@dataclass(frozen=True)
class Trajectory:
    """One patient's PHQ-9 course: baseline, target after the course, relapse timing."""

    baseline: int
    final: int
    outcome: str  # remit, respond, none, worse
    relapse_after_days: float | None  # after the course's end; None: does not relapse
    relapse_level: int
    gad7_baseline: int
    pcl5_baseline: int
    anxiety_link: float  # how much of the PHQ-9 improvement the GAD-7 / PCL-5 share

    @property
    def responds(self) -> bool:
        return self.outcome in ("remit", "respond")


def draw_trajectory(
    rng: random.Random, *, completed: bool, ptsd: bool, anxiety: bool
) -> Trajectory:
    """Baseline in the moderate-to-severe range (treatment-resistant depression), then a
    final total inside the drawn outcome class."""
    baseline = rng.randint(14, 26)
    outcome = _pick(rng, COMPLETED_OUTCOMES if completed else STOPPED_OUTCOMES)
    half = baseline // 2  # a total <= half is a >= 50% reduction
    if outcome == "remit":
        final = rng.randint(0, 4)
    elif outcome == "respond":
        final = rng.randint(5, max(5, half))
    elif outcome == "none":
        final = rng.randint(half + 1, baseline)
    else:
        final = min(PHQ9_MAX, baseline + rng.randint(1, 5))
    relapse: float | None = None
    if outcome in ("remit", "respond") and rng.random() >= RELAPSE_NEVER_SHARE:
        relapse = rng.expovariate(math.log(2) / RELAPSE_MEDIAN_DAYS)
    gad = _clip(baseline * 0.65 + rng.gauss(0, 2.5) + (4 if anxiety else 0), GAD7_MAX)
    pcl = _clip(rng.uniform(36, 62), PCL5_MAX) if ptsd else 0
    return Trajectory(
        baseline=baseline,
        final=final,
        outcome=outcome,
        relapse_after_days=relapse,
        relapse_level=rng.randint(half + 1, max(half + 1, baseline - 1)),
        gad7_baseline=gad,
        pcl5_baseline=pcl,
        anxiety_link=min(1.0, max(0.3, rng.gauss(0.8, 0.15))),
    )


def course_fraction(infusions_given: int) -> float:
    """Share of the course's whole improvement reached after ``infusions_given``."""
    if infusions_given <= 0:
        return 0.0
    return (1 - math.exp(-infusions_given / TAU_INFUSIONS)) / (1 - math.exp(-6 / TAU_INFUSIONS))


def phq9_total(
    trajectory: Trajectory,
    rng: random.Random,
    *,
    infusions_given: int,
    days_after_course: float | None = None,
    days_after_booster: float | None = None,
) -> int:
    """The PHQ-9 total at one moment: during the course (``infusions_given`` so far),
    or ``days_after_course`` after it (a booster resets a relapse for a while)."""
    base, final = trajectory.baseline, trajectory.final
    if days_after_course is None:
        value = base - (base - final) * course_fraction(infusions_given)
        if infusions_given < 5:  # early measurements wobble; the course's end does not
            value += rng.choice((-2, -1, 0, 1, 2))
        return _clip(value, PHQ9_MAX)
    if not trajectory.responds:
        # Non-responders drift back towards their baseline over half a year.
        return _clip(final + (base - final) * min(1.0, days_after_course / 180) * 0.5, PHQ9_MAX)
    relapse = trajectory.relapse_after_days
    if days_after_booster is not None and days_after_booster < 42:
        return _clip(final + rng.choice((0, 1, 2)), PHQ9_MAX)
    if relapse is None or days_after_course < relapse:
        # Still responding: a point or two of wobble that keeps the response.
        return min(base // 2, _clip(final + rng.choice((-1, 0, 0, 1)), PHQ9_MAX))
    return _clip(trajectory.relapse_level + rng.choice((-1, 0, 1)), PHQ9_MAX)


def linked_total(
    trajectory: Trajectory, rng: random.Random, *, baseline: int, high: int, phq9_now: int
) -> int:
    """A GAD-7 or PCL-5 total that improves with the PHQ-9 (by ``anxiety_link`` of it)."""
    improvement = (trajectory.baseline - phq9_now) / trajectory.baseline
    return _clip(baseline * (1 - improvement * trajectory.anxiety_link) + rng.gauss(0, 1), high)


def answers_for_total(rng: random.Random, total: int, *, items: int, item_max: int) -> list[int]:
    """Item answers that add up to ``total`` (spread as evenly as chance allows)."""
    total = max(0, min(total, items * item_max))
    answers = [0] * items
    order = list(range(items))
    rng.shuffle(order)
    remaining = total
    while remaining:
        for index in order:
            if remaining and answers[index] < item_max:
                step = min(remaining, item_max - answers[index], rng.choice((1, 1, 2)))
                answers[index] += step
                remaining -= step
    return answers


def phq9_answers(rng: random.Random, total: int, *, item9_share: float) -> list[int | None]:
    """PHQ-9 answers for ``total``; item 9 (thoughts of self-harm) is 0 unless the total
    needs it or, for severe totals, a small share of the time (it raises a risk flag)."""
    item9 = 0
    if total > 24 or (total >= 20 and rng.random() < item9_share):
        item9 = 1
    first_eight = answers_for_total(rng, total - item9, items=8, item_max=3)
    return [*first_eight, item9]
