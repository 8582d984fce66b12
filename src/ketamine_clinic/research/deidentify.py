"""The de-identification rules themselves: study ids, date offsets, grouped ages.

Pure Python (no Django), so the rules can be read and tested on their own.

Study ids and date offsets come from one random source per export (`ExportSecret`),
by default the operating system's (``secrets.SystemRandom``). Nothing that links a study
id or an offset back to a patient is stored anywhere: the mapping lives in this object
for the length of one export and is then garbage. Two exports of the same clinic
therefore give every patient a different study id and a different offset, and the files
of one export cannot be joined to those of another (nor reversed) by id or by date.

Offsets are whole days in [-OFFSET_MAX_DAYS, +OFFSET_MAX_DAYS], never 0 (a zero offset
would export the real dates). Whole days keep the time of day (in UTC) and every interval
between one patient's events exactly; they do NOT keep the weekday, because the offset
is any number of days, not a multiple of seven: an export whose weekdays were real would
tell anyone who knows the clinic's opening days more than we want, and 364 possible
offsets make a re-identifying guess harder than the 52 that whole weeks would leave.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

# The stated range of the per-patient shift (about six months either way).
OFFSET_MAX_DAYS = 182

# Safe Harbor, 45 CFR 164.514(b)(2)(i)(C): ages over 89 are aggregated into one
# category of 90 or older.
AGE_TOP_CODE_YEARS = 90
AGE_TOP_CODE_LABEL = "90+"

# Random bits in a study id: 48 bits (12 hex digits) make a collision between two of a
# clinic's few hundred thousand records unlikely, and `StudyIds` re-draws on one anyway.
STUDY_ID_BITS = 48


@dataclass
class StudyIds:
    """One kind of record's random study ids: the same database id gets the same study id
    within an export, and a study id never repeats."""

    prefix: str
    rng: random.Random
    _by_source: dict[int, str] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)

    def __call__(self, source_id: int) -> str:
        found = self._by_source.get(source_id)
        if found is not None:
            return found
        while True:
            candidate = f"{self.prefix}{self.rng.getrandbits(STUDY_ID_BITS):012x}"
            if candidate not in self._used:
                break
        self._used.add(candidate)
        self._by_source[source_id] = candidate
        return candidate


class ExportSecret:
    """The per-export random state: study ids per kind of record and each patient's offset.

    `rng` is for tests that need a reproducible export; leave it out in real use.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng: random.Random = rng if rng is not None else secrets.SystemRandom()
        self.patient_ids = StudyIds("P", self.rng)
        self.course_ids = StudyIds("C", self.rng)
        self.visit_ids = StudyIds("V", self.rng)
        self._offsets: dict[int, timedelta] = {}

    def offset(self, patient_id: int) -> timedelta:
        """The patient's shift: whole days, never zero, the same for all their records."""
        found = self._offsets.get(patient_id)
        if found is None:
            days = self.rng.randint(1, OFFSET_MAX_DAYS) * self.rng.choice((-1, 1))
            found = self._offsets[patient_id] = timedelta(days=days)
        return found

    def shift(self, patient_id: int, moment: datetime | None) -> datetime | None:
        """A patient's datetime moved by their offset, to the whole second (None stays None)."""
        if moment is None:
            return None
        return (moment + self.offset(patient_id)).replace(microsecond=0)


def age_in_years(date_of_birth: date, on: date) -> int:
    """Completed years on `on` (a 29 February birthday turns over on 1 March), as the
    registry counts them (`Patient.age_on`)."""
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def grouped_age(years: int) -> str:
    """The age as exported: the number, or "90+" for anyone older than 89."""
    return AGE_TOP_CODE_LABEL if years >= AGE_TOP_CODE_YEARS else str(years)


def json_list(values: Sequence[object]) -> str:
    """A list cell in CSV: a JSON array (so an unanswered item, null, stays distinct)."""
    return json.dumps(list(values), separators=(",", ":"))
