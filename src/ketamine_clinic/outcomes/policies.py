"""Who sees the clinic's outcomes, in one place.

The clinic lead (it is their report: does the treatment work, for whom) and prescribers
(who decide on courses, doses and boosters). Aggregates only: the dashboard names no
patient, so reading it writes no per-patient audit entry; a page that lists patients
must audit its read.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

OUTCOME_READERS = roles(Role.CLINIC_LEAD, Role.PRESCRIBER)
