"""The audit trail: append-only, hash-chained record of patient-data access and security events."""
