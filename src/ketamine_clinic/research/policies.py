"""Who may take the research export: the one place the rule is written.

The clinic lead only. The export spans every patient the clinic has treated; even
de-identified, releasing it is a governance decision (a study's approval, a data use
agreement) that belongs to whoever answers for the clinic's data, not to the staff who
treat one patient at a time. The administrator manages accounts and never sees clinical
data; the custodian keeps the controlled-substance record.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

RESEARCH_EXPORTING = roles(Role.CLINIC_LEAD)
