"""What an audit entry records."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    # Patient data
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"  # a record taken away (a future shift off the rota)
    EXPORT = "export", "Export"  # records leaving the platform (research files, FHIR Bundles)
    # Security events
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    ACCOUNT_LOCKED = "account_locked", "Account locked"
    ACCOUNT_UNLOCKED = "account_unlocked", "Account unlocked"
    SIGN_OUT = "sign_out", "Signed out"
    SESSION_EXPIRED = "session_expired", "Session expired"
    MFA_ENROLLED = "mfa_enrolled", "Second factor enrolled"
    MFA_RESET = "mfa_reset", "Second factor reset"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset by administrator"
    USER_CREATED = "user_created", "Staff account created"
    USER_UPDATED = "user_updated", "Staff account updated"
    ROLE_GRANTED = "role_granted", "Role granted"
    ROLE_REVOKED = "role_revoked", "Role revoked"
    USER_DEACTIVATED = "user_deactivated", "Staff account deactivated"
    USER_REACTIVATED = "user_reactivated", "Staff account reactivated"
    API_TOKEN_CREATED = "api_token_created", "API token created"
    API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"
    ACCESS_DENIED = "access_denied", "Access denied"
    AUDIT_VIEWED = "audit_viewed", "Audit trail viewed"
