"""Client applications registered to read the FHIR endpoint, each with its own token."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FhirClient(models.Model):
    """A system allowed to read /fhir/r4/ with a bearer token and SMART-style scopes.

    As with staff API tokens (api.models.ApiToken), only the SHA-256 of the secret is
    stored and `prefix` tells secrets apart; a client is revoked, never deleted, so the
    audit entries of its reads keep meaning something. The client is not a staff
    account: it holds no role, and no staff session or staff token stands in for it.
    """

    name = models.CharField(max_length=80, help_text="Who reads, e.g. 'Regional HIE'.")
    scopes = models.CharField(
        max_length=500, help_text="Space-separated, e.g. 'system/Patient.read'."
    )
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when registered from the command line.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
