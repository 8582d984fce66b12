"""Who may do what with controlled substances (the issue's roles, 21 CFR 1301.71).

The custodian and prescribers hold the keys: they receive, count, dispose and return.
Nurses and prescribers draw for the visit in front of them and waste what is left. The
clinic lead reads everything and resolves discrepancies. A witness is a licensed person
other than the actor, who re-enters their password (and code) at that moment.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role

STOCK_KEEPER_ROLES = frozenset({Role.CUSTODIAN, Role.PRESCRIBER})
DRAW_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
# Licensed to handle and witness the handling of a controlled substance.
WITNESS_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER, Role.CUSTODIAN})
DISCREPANCY_RESOLVERS = frozenset({Role.CLINIC_LEAD})

STOCK_KEEPERS = roles(*STOCK_KEEPER_ROLES)
INVENTORY_READERS = roles(Role.CUSTODIAN, Role.PRESCRIBER, Role.CLINIC_LEAD)
# The stock list nurses pick containers from when drawing for a visit.
STOCK_VIEWERS = roles(Role.CUSTODIAN, Role.PRESCRIBER, Role.CLINIC_LEAD, Role.NURSE)
LEADS = roles(Role.CLINIC_LEAD)
