"""Who may open and act on the clinic-day pages, in one place.

The services enforce their own roles as well; these policies decide who reaches a page,
so the role matrix and the menu agree with what the buttons can do.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# Everyone who looks after patients in person sees the day and its visits (the lead
# reads them to run the clinic); custodian and administrator do not need patient data.
DAY_READERS = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)
# Check-in, cancel, did-not-attend and the escort call are the front desk's too.
DESK_AND_CLINICAL = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER)
# The clinical records, syringes and the pump: nurses and prescribers.
CLINICAL = roles(Role.NURSE, Role.PRESCRIBER)
# Orders and check overrides are a prescriber's judgement.
PRESCRIBING = roles(Role.PRESCRIBER)
