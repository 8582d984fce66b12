"""Every model change has its migration: a field or choice changed without one would
leave a clinic's database behind its code after `ketamine-clinic migrate`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db  # makemigrations reads which migrations the database has applied
def test_the_models_and_their_migrations_agree() -> None:
    out = StringIO()
    # --check exits non-zero (SystemExit) when a migration is missing, naming it.
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
