"""Rows that are never edited: the base of every record a correction must not overwrite.

Screenings, eligibility decisions, consent versions, signatures and withdrawals are
facts of what happened; a change is a new, linked row. ``save`` on an existing row is a
programming error and raises, so no code path can rewrite one through the ORM.
"""

from __future__ import annotations

from typing import Any

from django.db import models

RECORD_IS_IMMUTABLE = "{model} rows are never edited: record a new one instead."


class InsertOnlyModel(models.Model):
    """Refuses ``save`` on a row that already exists (a programming error, not input)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(RECORD_IS_IMMUTABLE.format(model=type(self).__name__))
        super().save(*args, **kwargs)
