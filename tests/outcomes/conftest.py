from __future__ import annotations

from collections.abc import Iterator

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.outcomes.selectors import forget_cached_outcomes


@pytest.fixture(autouse=True)
def _fresh_outcomes_cache() -> Iterator[None]:
    # Each test's database is rolled back and may hand out the same ids again, so the
    # version a cached result was computed at could repeat with other data.
    forget_cached_outcomes()
    yield
    forget_cached_outcomes()


@pytest.fixture
def prescriber(personas: dict[str, User]) -> User:
    return personas["prescriber"]
