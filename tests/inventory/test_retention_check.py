"""The retention rule may be longer than two years, never shorter: a start-up error."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from ketamine_clinic.inventory.checks import retention_at_least_two_years


@pytest.mark.parametrize("days", [730, 731, 3650])
def test_two_years_or_more_passes(days: int) -> None:
    with override_settings(KC_CS_RETENTION_DAYS=days):
        assert retention_at_least_two_years() == []


@pytest.mark.parametrize("days", [729, 365, 0, -730, "730", 730.0])
def test_less_than_two_years_or_not_a_whole_number_of_days_is_an_error(days: object) -> None:
    with override_settings(KC_CS_RETENTION_DAYS=days):
        [error] = retention_at_least_two_years()
    assert error.id == "inventory.E001"
    assert error.msg.startswith(f"KC_CS_RETENTION_DAYS is {days!r}: ")


def test_the_check_is_registered_and_stops_manage_py_check() -> None:
    with override_settings(KC_CS_RETENTION_DAYS=729):
        assert "inventory.E001" in {message.id for message in run_checks()}
        with pytest.raises(SystemCheckError, match=r"inventory\.E001"):
            call_command("check")
    assert "inventory.E001" not in {message.id for message in run_checks()}
