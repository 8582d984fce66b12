"""Who may do what with consent: the one place these rules are written.

Views declare these with ``@access(...)``; tests/role_matrix_expected.py holds the same
table written out.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# Reading consent documents and the signatures on a chart: everyone who looks after
# patients in person (the chart's readers). Not the custodian nor the administrator.
CONSENT_READERS = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)

# Publishing a version makes every patient re-consent: the clinic lead's decision.
CONSENT_PUBLISHING = roles(Role.CLINIC_LEAD)

# Recording that a patient withdrew consent: whoever the patient tells, among those who
# care for them in person (the same people who may witness a signature).
CONSENT_WITHDRAWING = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)
