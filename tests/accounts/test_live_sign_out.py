"""Deactivation and resets end the person's open pages through the staff-events socket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.passwords import (
    SESSION_ENDED_PASSWORD_RESET,
    user_reset_password,
)
from ketamine_clinic.accounts.services.second_factor import (
    SESSION_ENDED_SECOND_FACTOR_RESET,
    second_factor_reset,
)
from ketamine_clinic.accounts.services.users import SESSION_ENDED_DEACTIVATED, user_deactivate
from ketamine_clinic.web.events import StaffEvent, staff_group


def listen(user: User) -> str:
    """A channel subscribed to the person's group, as their open page would be."""
    layer = get_channel_layer()
    assert layer is not None
    channel: str = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(staff_group(user.pk), channel)
    return channel


def receive(channel: str) -> dict[str, Any]:
    """The next message, or a failure after 2 s (an event that never comes must not hang)."""
    layer = get_channel_layer()
    assert layer is not None

    async def next_message() -> dict[str, Any]:
        message: dict[str, Any] = await asyncio.wait_for(layer.receive(channel), timeout=2)
        return message

    return async_to_sync(next_message)()


def nothing_waiting(channel: str) -> bool:
    layer = get_channel_layer()
    return not layer.channels.get(channel)


@pytest.mark.parametrize(
    ("change", "expected_message"),
    [
        (lambda person, admin: user_deactivate(user=person, by=admin), SESSION_ENDED_DEACTIVATED),
        (
            lambda person, admin: user_reset_password(
                user=person, password="a-new-temporary-passphrase-77", by=admin
            ),
            SESSION_ENDED_PASSWORD_RESET,
        ),
        (
            lambda person, admin: second_factor_reset(user=person, by=admin),
            SESSION_ENDED_SECOND_FACTOR_RESET,
        ),
    ],
    ids=["deactivate", "reset-password", "reset-second-factor"],
)
def test_an_administrators_change_ends_the_persons_open_pages_after_commit(
    personas: dict[str, User],
    django_capture_on_commit_callbacks: Any,
    change: Callable[[User, User], object],
    expected_message: str,
) -> None:
    person, admin = personas["nurse"], personas["administrator"]
    channel = listen(person)

    with django_capture_on_commit_callbacks(execute=True):
        change(person, admin)

    message = receive(channel)
    assert message["event"] == StaffEvent.SESSION_ENDED.value
    assert message["message"] == expected_message


def test_a_deactivation_that_rolls_back_tells_nobody(
    personas: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    person, admin = personas["nurse"], personas["administrator"]
    channel = listen(person)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                user_deactivate(user=person, by=admin)
                raise RuntimeError("the request failed after the write")
        except RuntimeError:
            pass

    assert callbacks == []
    assert nothing_waiting(channel)
