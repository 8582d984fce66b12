"""Who may do what with a patient's record: the one place these rules are written.

Views declare these with `@access(...)`; the chart asks the same policies which links
to offer, so a page never offers what its view would refuse. tests/role_matrix_expected.py
holds the same table, written out, and the role-matrix test proves each view obeys it.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# Reading a chart or searching: everyone who looks after patients in person. The
# inventory custodian and the administrator do not need patients' records for their jobs.
PATIENT_CARE = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)

# Registering a patient and keeping their demographics, contacts, escort and referrer:
# the front desk's work. Clinical staff read these but ask the desk to change them.
REGISTRATION = roles(Role.FRONT_DESK)

# Weights, allergies, medications and pregnancy potential: what the nurse takes at
# intake and before each infusion; prescribers (and CRNAs) record them too.
CLINICAL_RECORDING = roles(Role.NURSE, Role.PRESCRIBER)

# Diagnoses are a prescriber's judgement.
DIAGNOSING = roles(Role.PRESCRIBER)
