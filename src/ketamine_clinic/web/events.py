"""Live events pushed to one member of staff's open pages over the WebSocket.

A service calls `staff_event_send` inside its transaction; the event leaves only after
the commit, so a page never reacts to a change that was rolled back (a deactivation that
failed must not sign anyone out). The page's script (web/static/web/app.js) acts on it.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import models, transaction

logger = logging.getLogger(__name__)

# The consumer method a group message is dispatched to ("staff.event" -> staff_event).
STAFF_EVENT_TYPE = "staff.event"


class StaffEvent(models.TextChoices):
    """What a page can be told. The script knows each of these by its value."""

    # The person's session is over (deactivated, password reset): leave the page, which
    # may show patient data, for the sign-in page with the reason.
    SESSION_ENDED = "session.ended", "Session ended"


class StaffEventMessage(TypedDict):
    """A group message as the channel layer carries it to StaffEventsConsumer."""

    type: str
    event: str
    message: str


def staff_group(user_id: int) -> str:
    """The channel-layer group of every open page of one member of staff."""
    return f"staff-{user_id}"


def staff_event_send(*, user_id: int, event: str, message: str) -> None:
    """Tell every open page of `user_id` about `event`, once the current transaction commits.

    `message` is shown to the person as plain text. Outside a transaction it is sent at
    once. A channel layer that is down (Redis) is logged, never raised: the write it
    follows has already committed and must not look as if it failed.
    """
    payload: StaffEventMessage = {"type": STAFF_EVENT_TYPE, "event": event, "message": message}
    group = staff_group(user_id)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            logger.warning("no channel layer configured; event %s for %s dropped", event, group)
            return
        async_to_sync(layer.group_send)(group, payload)

    transaction.on_commit(send, robust=True)
