"""WebSocket consumers of the staff web shell."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from ketamine_clinic.access.policy import ANY_STAFF, AccessPolicy
from ketamine_clinic.accounts.middleware import session_expiry_reason
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.accounts.services.sessions import SESSION_LAST_SEEN_KEY, SESSION_SIGNED_IN_KEY
from ketamine_clinic.web.events import StaffEvent, StaffEventMessage, staff_group

# Close code for "not signed in, or not allowed": the 4000-4999 range is the
# application's; 4401 echoes HTTP 401. The page's script does not reconnect after it.
CLOSE_NOT_ALLOWED = 4401


def socket_admits(
    *, policy: AccessPolicy, user: User | AnonymousUser | None, session: SessionBase | None
) -> bool:
    """Whether a socket may open for this session: what a page request would need.

    The access policy, and the session conditions StaffSessionMiddleware enforces on
    every page (idle and absolute timeouts, a verified second factor where the roles
    need one). Read-only: a socket is not activity and must not keep a session alive.
    """
    if user is None or session is None or not policy.allows(user):
        return False
    if not isinstance(user, User):
        return policy.public
    now_s = timezone.now().timestamp()
    reason = session_expiry_reason(
        now_s=now_s,
        signed_in_s=float(session.get(SESSION_SIGNED_IN_KEY, now_s)),
        last_seen_s=float(session.get(SESSION_LAST_SEEN_KEY, now_s)),
    )
    if reason:
        return False
    return not second_factor_required(user) or second_factor_verified(user=user, session=session)


def second_factor_verified(*, user: User, session: SessionBase) -> bool:
    """The session passed a code on one of the user's confirmed devices (as OTPMiddleware)."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and bool(device.confirmed)


class StaffEventsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes a member of staff's live events (see web/events.py) to each of their pages.

    Admitted by the same AccessPolicy the views use, and only for a session a page
    request would accept. A refused socket is accepted and then closed with
    CLOSE_NOT_ALLOWED rather than refused at the handshake, because a refused handshake
    reaches the browser without a code and the script would keep retrying.
    """

    policy: AccessPolicy = ANY_STAFF
    group_name = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        admitted = await database_sync_to_async(socket_admits)(
            policy=self.policy, user=user, session=self.scope.get("session")
        )
        if not admitted or user is None:
            await self.accept()
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        # Join before accepting: once the page sees the socket open, no event is missed.
        self.group_name = staff_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The page has nothing to say; anything it sends is ignored."""

    async def staff_event(self, message: StaffEventMessage) -> None:
        await self.send_json({"event": message["event"], "message": message["message"]})
        if message["event"] == StaffEvent.SESSION_ENDED:
            # The session is over: stop pushing this person's events to this page.
            await self.close(code=CLOSE_NOT_ALLOWED)
