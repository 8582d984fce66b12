"""Who may open and act on the set-up pages, in one place.

The services check the same roles themselves (setup/services.py); the write policies
are built from their role sets so a page never offers what its service refuses.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.booking.setup.services import (
    AVAILABILITY_EDITORS,
    ROTA_EDITORS,
    SETUP_EDITORS,
)

# Rooms and opening hours: everyone who books or runs the day reads them; the lead and
# the administrator (who keeps the clinic's configuration) change them.
SETUP_READING = roles(
    Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD, Role.ADMINISTRATOR
)
SETUP_EDITING = roles(*SETUP_EDITORS)
# The rota names people and their hours: the staff on it and the desk (who books around
# it) read it; only the clinic lead plans it.
ROTA_READING = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)
ROTA_EDITING = roles(*ROTA_EDITORS)
# A patient's availability is patient data: those who care for patients read it (as the
# chart); the desk and clinical staff, who talk to the patient, keep it.
AVAILABILITY_READING = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)
AVAILABILITY_EDITING = roles(*AVAILABILITY_EDITORS)
