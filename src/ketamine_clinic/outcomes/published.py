"""Published outcomes of IV ketamine, to stand beside the clinic's own figures.

Data only, copied from /work/shared/reference/clinical.md ("Published outcomes to stand
beside a clinic's own"), each with its source. ``compare`` names the dashboard measure
that is like-for-like (same instrument, same definition) or is empty: a MADRS response
rate is not a PHQ-9 response rate, and the page says which is which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    study: str
    citation: str
    design: str
    n: int
    measure: str
    definition: str
    result: str
    # "instrument_key:measure_key" on this dashboard when like-for-like, else ""; the
    # measure "still_responding_56d" is the relapse curve at 56 days (8 weeks).
    compare: str = ""
    verify: bool = False


PUBLISHED: Final[tuple[PublishedFigure, ...]] = (
    PublishedFigure(
        "McInnes 2022 (Osmind real-world)",
        "McInnes LA et al. J Affect Disord 2022;301:486",
        "537 patients, 178 practices, 4-8 infusions in 7-28 days",
        537,
        "Response",
        "PHQ-9 at least 50% below baseline",
        "53.6%",
        compare="phq9:response",
    ),
    PublishedFigure(
        "McInnes 2022 (Osmind real-world)",
        "McInnes LA et al. J Affect Disord 2022;301:486",
        "537 patients, 178 practices, 4-8 infusions in 7-28 days",
        537,
        "Remission",
        "PHQ-9 < 5",
        "28.9%",
        compare="phq9:remission",
    ),
    PublishedFigure(
        "McInnes 2022 (Osmind real-world)",
        "McInnes LA et al. J Affect Disord 2022;301:486",
        "537 patients, 178 practices, 4-8 infusions in 7-28 days",
        537,
        "Worse",
        "PHQ-9 worse than baseline",
        "8.4%",
        compare="phq9:worse",
    ),
    PublishedFigure(
        "McInnes 2022 (Osmind real-world)",
        "McInnes LA et al. J Affect Disord 2022;301:486",
        "537 patients, 178 practices, 4-8 infusions in 7-28 days",
        537,
        "Durability",
        "Responders still responding at 8 weeks",
        "~60%",
        compare="phq9:still_responding_56d",
    ),
    PublishedFigure(
        "ELEKT-D (Anand 2023)",
        "Anand A et al. N Engl J Med 2023",
        "Randomised vs ECT; 0.5 mg/kg over 40 min twice weekly for 3 weeks",
        403,
        "Response",
        "QIDS-SR16 at least 50% below baseline",
        "55.4% (ECT 41.2%)",
        compare="qids_sr16:response",
    ),
    PublishedFigure(
        "ELEKT-D (Anand 2023)",
        "Anand A et al. N Engl J Med 2023",
        "Randomised vs ECT; 0.5 mg/kg over 40 min twice weekly for 3 weeks",
        403,
        "Remission",
        "QIDS-SR16 <= 5",
        "~32% (ECT ~20%)",
        compare="qids_sr16:remission",
        verify=True,
    ),
    PublishedFigure(
        "Oliver 2022",
        "Oliver PA et al. J Clin Psychiatry 2022",
        "One clinic chain, 6 infusions in 21 days",
        424,
        "Response / remission",
        "Within 6 weeks; after 10 infusions 72% / 38%",
        "50% / 20%",
    ),
    PublishedFigure(
        "Murrough 2013",
        "Murrough JW et al. Biol Psychiatry 2013",
        "Open label, up to 6 infusions in 12 days",
        24,
        "Response",
        "MADRS at least 50% below baseline; median time to relapse 18 days",
        "70.8%",
    ),
    PublishedFigure(
        "Phillips 2019",
        "Phillips JL et al. Am J Psychiatry 2019;176:401",
        "6 open-label infusions, 3 a week",
        41,
        "Response",
        "Median 3 infusions to respond",
        "59%",
    ),
    PublishedFigure(
        "KetECT (Ekstrand 2022)",
        "Ekstrand J et al. 2022",
        "Inpatients, up to 12 infusions, randomised vs ECT",
        186,
        "Remission",
        "MADRS <= 10; 70% relapsed within 12 months",
        "46% (ECT 63%)",
    ),
    PublishedFigure(
        "Hietamies 2023",
        "Hietamies TM et al. J Affect Disord 2023;335:484",
        "10 clinics",
        2758,
        "Effect size",
        "Cohen's d, depression (QIDS) / anxiety (GAD-7)",
        "d = 1.56 / 1.17",
    ),
    PublishedFigure(
        "Shiroma 2014",
        "Shiroma PR et al. J Affect Disord 2014",
        "6 infusions",
        14,
        "Response / remission",
        "Tiny open series",
        "~93% / ~71%",
        verify=True,
    ),
)

SUMMARY: Final = (
    "Controlled and real-world data put response at about 50-70% and remission at about "
    "20-38% after 6-10 infusions; only tiny open series reach the 83% 'benefit' a clinic "
    "might advertise (clinical.md)."
)
