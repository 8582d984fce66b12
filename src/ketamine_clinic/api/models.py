"""Per-user API tokens for devices and integrations."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class HashedBearerToken(models.Model):
    """What every bearer secret the clinic issues keeps: only the SHA-256 of the secret,
    so a copy of the database does not hand out working tokens; `prefix` (the first
    characters of the secret) to tell them apart; revoked, never deleted, so the audit
    trail's references stay meaningful. API tokens and FHIR clients are both kinds."""

    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when created from the command line.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiToken(HashedBearerToken):
    """A bearer token that acts as its user, with that user's roles at the time of use."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'Room 2 pump'.")

    class Meta(HashedBearerToken.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
