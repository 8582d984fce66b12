"""Who plans, moves and cancels visits, and who takes a room out of service.

The services check the same roles; these decide who reaches the pages, so the role
matrix and the buttons agree.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# The desk books; nurses and prescribers book too (the next visit at discharge).
BOOKERS = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER)
# A room out of service: the clinic lead, or the nurse who finds the broken pump.
OUTAGE_RECORDERS = roles(Role.CLINIC_LEAD, Role.NURSE)
