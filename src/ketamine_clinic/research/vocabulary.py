"""The fixed lists a coded column's values must come from, read from their sources.

A column the dictionary calls coded (state, status, kind, code, ...) is exported only if
its value is on its list; anything else becomes ``UNLISTED``. Most of these columns are
guarded by the services that write them, but not all by the database (an adverse
event's kind has choices and no constraint, a diagnosis code is checked by the service
only), and a row written some other way (an import, a script, a future bug) must not
carry a name or a note out through a column that was meant to hold a code.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import cache

UNLISTED = "unlisted"

# An instrument's definition version as stored with each response: "1.0", "2.1.3".
VERSION_PATTERN = re.compile(r"\d{1,3}(\.\d{1,3}){0,3}")


@cache
def allowed() -> dict[str, frozenset[str]]:
    """Each coded column's list, keyed by "table.column"."""
    from ketamine_clinic.assessments.enums import ResponseChannel
    from ketamine_clinic.courses.enums import CourseStatus
    from ketamine_clinic.courses.protocols_data import PROTOCOLS
    from ketamine_clinic.infusion.models import AdverseEventKind
    from ketamine_clinic.instruments.definitions import all_instruments
    from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES
    from ketamine_clinic.patients.enums import SexAtBirth
    from ketamine_clinic.visits.enums import VisitState, VitalsSource

    instruments = all_instruments()
    return {
        "patients.sex_at_birth": frozenset(SexAtBirth.values),
        "patients.diagnosis_icd10_codes": frozenset(DIAGNOSIS_CODES),
        "courses.protocol_key": frozenset(PROTOCOLS),
        "courses.status": frozenset(CourseStatus.values),
        "visits.state": frozenset(VisitState.values),
        "visits.adverse_event_kinds": frozenset(AdverseEventKind.values),
        "vitals.source": frozenset(VitalsSource.values),
        "scores.instrument_key": frozenset(instruments),
        "scores.severity": frozenset(
            {"", *(band.key for instrument in instruments.values() for band in instrument.bands)}
        ),
        "scores.channel": frozenset(ResponseChannel.values),
    }


def listed(value: str, known: Collection[str]) -> str:
    return value if value in known else UNLISTED


def listed_all(values: Iterable[str], known: Collection[str]) -> list[str]:
    return [listed(value, known) for value in values]


def version(value: str) -> str:
    return value if VERSION_PATTERN.fullmatch(value) else UNLISTED
