"""A visit ready for its infusion: every pre-infusion check passed and the order given."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.visits.models import Visit
from tests.infusion.support import make_ready_visit


@pytest.fixture
def ready_visit(personas: dict[str, User]) -> Visit:
    return make_ready_visit(personas)
