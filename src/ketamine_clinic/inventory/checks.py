"""Start-up checks: a retention rule below the legal minimum stops the clinic starting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# 21 CFR 1304.04(a): every controlled-substance record is kept at least two years.
MINIMUM_RETENTION_DAYS = 730


@register()
def retention_at_least_two_years(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    days = getattr(settings, "KC_CS_RETENTION_DAYS", MINIMUM_RETENTION_DAYS)
    if isinstance(days, int) and days >= MINIMUM_RETENTION_DAYS:
        return []
    return [
        Error(
            f"KC_CS_RETENTION_DAYS is {days!r}: controlled-substance records must be kept "
            f"at least {MINIMUM_RETENTION_DAYS} days (two years, 21 CFR 1304.04(a)).",
            hint="Set KC_CS_RETENTION_DAYS to 730 or more, or leave it unset.",
            id="inventory.E001",
        )
    ]
