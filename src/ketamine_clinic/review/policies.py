"""Who may use the review queue, in one place (its pages and the API both ask these)."""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# The clinic lead sees the queue (to see what waits and for how long); only prescribers act.
QUEUE_READERS = roles(Role.PRESCRIBER, Role.CLINIC_LEAD)
QUEUE_ACTORS = roles(Role.PRESCRIBER)
