"""With counting in the background on (production's default), a page after new data
shows the last figures at once, says they are being recounted, and the next page after
the recount has the new data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings

from ketamine_clinic.accounts.models import User
from ketamine_clinic.outcomes import selectors
from tests.conftest import client_for
from tests.outcomes.builders import Plan, build

pytestmark = pytest.mark.django_db

URL = "/outcomes/"
PENDING = "Data recorded since then is being counted"


@override_settings(KC_OUTCOMES_RECOUNT_IN_BACKGROUND=True)
def test_new_data_is_counted_in_the_background_and_shows_on_a_later_page(
    personas: dict[str, User], prescriber: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Callable[[], None]] = []
    monkeypatch.setattr(selectors, "start_recount_thread", started.append)
    client = client_for(personas["clinic_lead"])
    build([Plan(baseline=20, end=15)], by=prescriber)

    first = client.get(URL).content.decode()  # no count yet: counted while the page waits
    assert "0 of 1" in first and PENDING not in first and started == []

    build([Plan(baseline=20, end=5)], by=prescriber)  # a second course that responds
    stale = client.get(URL).content.decode()
    assert "0 of 1" in stale and PENDING in stale
    assert len(started) == 1
    again = client.get(URL).content.decode()  # one recount at a time per instrument
    assert PENDING in again and len(started) == 1

    started[0]()  # the background thread's work
    fresh = client.get(URL).content.decode()
    assert "1 of 2" in fresh and PENDING not in fresh


@override_settings(KC_OUTCOMES_RECOUNT_IN_BACKGROUND=True)
def test_a_failed_recount_keeps_the_last_figures_and_the_next_page_tries_again(
    personas: dict[str, User], prescriber: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Callable[[], None]] = []
    monkeypatch.setattr(selectors, "start_recount_thread", started.append)
    client = client_for(personas["clinic_lead"])
    build([Plan(baseline=20, end=15)], by=prescriber)
    client.get(URL)
    build([Plan(baseline=20, end=5)], by=prescriber)
    client.get(URL)

    def broken(instrument_key: str) -> selectors.ClinicOutcomes:
        raise RuntimeError("database went away")

    monkeypatch.setattr(selectors, "compute_clinic_outcomes", broken)
    started[0]()  # logged, not raised
    monkeypatch.undo()
    monkeypatch.setattr(selectors, "start_recount_thread", started.append)
    assert "0 of 1" in client.get(URL).content.decode()
    assert len(started) == 2  # the failed recount let go of its place
