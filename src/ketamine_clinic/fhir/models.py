"""Client applications registered to read the FHIR endpoint, each with its own token."""

from __future__ import annotations

from django.db import models

from ketamine_clinic.api.models import HashedBearerToken


class FhirClient(HashedBearerToken):
    """A system allowed to read /fhir/r4/ with a bearer token and SMART-style scopes.

    Its secret is kept as an API token's is (``HashedBearerToken``). The client is not a
    staff account: it holds no role, and no staff session or staff token stands in for it.
    """

    name = models.CharField(max_length=80, help_text="Who reads, e.g. 'Regional HIE'.")
    scopes = models.CharField(
        max_length=500, help_text="Space-separated, e.g. 'system/Patient.read'."
    )

    class Meta(HashedBearerToken.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
