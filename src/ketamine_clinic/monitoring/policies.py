"""Who may watch the rooms live, answer alarms and register devices."""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

# Those at the bedside, and the lead who runs the floor and reviews alarm history.
MONITOR_READERS = roles(Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)
# Acknowledging or silencing an alarm is a clinical response: nurses and prescribers.
ALARM_RESPONDERS = roles(Role.NURSE, Role.PRESCRIBER)
# Which device is in which room: the clinic's IT person and the lead.
DEVICE_ADMINS = roles(Role.ADMINISTRATOR, Role.CLINIC_LEAD)
