"""staff_event_send: after the commit, never for a rollback, never raising after a commit."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from pytest_django import DjangoCaptureOnCommitCallbacks as CaptureOnCommit

from ketamine_clinic.web.events import StaffEvent, staff_event_send, staff_group


class RecordingLayer:
    """A channel layer that records group_send calls (or fails them)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("Redis is down")
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr("ketamine_clinic.web.events.get_channel_layer", lambda: recording)
    return recording


pytestmark = pytest.mark.django_db

SESSION_ENDED_MESSAGE = {
    "type": "staff.event",
    "event": "session.ended",
    "message": "An administrator deactivated your account.",
}


def test_a_staff_members_group_is_named_by_their_id() -> None:
    assert staff_group(42) == "staff-42"


def test_the_event_leaves_only_when_the_transaction_commits(
    layer: RecordingLayer, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        staff_event_send(
            user_id=7,
            event=StaffEvent.SESSION_ENDED,
            message="An administrator deactivated your account.",
        )
        assert layer.sent == []
    assert layer.sent == [("staff-7", SESSION_ENDED_MESSAGE)]


def test_a_rolled_back_transaction_sends_nothing(
    layer: RecordingLayer, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        staff_event_send(user_id=7, event=StaffEvent.SESSION_ENDED, message="gone")
        raise RuntimeError("the deactivation failed")
    assert callbacks == []
    assert layer.sent == []


def test_a_failing_layer_is_logged_and_does_not_undo_the_committed_write(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    failing = RecordingLayer(fail=True)
    monkeypatch.setattr("ketamine_clinic.web.events.get_channel_layer", lambda: failing)
    # Django runs the callback as a commit would; a robust one's exception is logged.
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        staff_event_send(user_id=9, event=StaffEvent.SESSION_ENDED, message="gone")
    [error] = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert isinstance(error, ConnectionError)
    assert str(error) == "Redis is down"


@override_settings(CHANNEL_LAYERS={})
def test_without_a_channel_layer_the_event_is_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="ketamine_clinic.web.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        staff_event_send(user_id=5, event=StaffEvent.SESSION_ENDED, message="gone")
    assert [record.getMessage() for record in caplog.records] == [
        "no channel layer configured; event session.ended for staff-5 dropped"
    ]
