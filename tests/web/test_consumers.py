"""The staff-events WebSocket, through the production ASGI app, on both channel layers.

Each test signs someone in with a real session cookie and connects the way a browser
does (Origin header included), so the session auth, the origin check, the routing and
the access policy are all the production ones.

SQLite pass only: the socket's database reads run on other threads, so the tests
commit (transaction=True), and the flush after such a test is refused on PostgreSQL by
the audit trail's append-only triggers. Nothing here depends on the database vendor.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer
from django.test import Client, override_settings

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.sessions import SESSION_LAST_SEEN_KEY
from ketamine_clinic.config.asgi import application
from ketamine_clinic.config.settings.channels import channel_layers_for
from ketamine_clinic.config.websockets import STAFF_EVENTS_PATH
from ketamine_clinic.web.consumers import CLOSE_NOT_ALLOWED
from ketamine_clinic.web.events import StaffEvent, staff_event_send
from tests.conftest import client_for, make_staff
from tests.support.services import TEST_REDIS_URL, sqlite_pass_only

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
DEACTIVATED = "An administrator deactivated your account."

pytestmark = [
    sqlite_pass_only("transactional tests cannot flush the append-only audit trail"),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]


# Sockets a test opened: each is closed, and the layer's connections with it, while the
# test's event loop still runs. A consumer left waiting on Redis until the loop shuts down
# is cancelled mid-read, and that cancellation could hang the run.
OPEN_SOCKETS: list[WebsocketCommunicator] = []


@pytest_asyncio.fixture(params=["in_memory", "redis"])
async def channel_layer(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Every test here runs on the in-memory layer and on Redis (a layer of its own)."""
    if request.param == "in_memory":
        layers: dict[str, Any] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    else:
        request.getfixturevalue("redis_required")
        # The production configuration, with a prefix of its own: nothing left by another
        # test (or run) can arrive here.
        layers = channel_layers_for(TEST_REDIS_URL, prefix=f"kc-test-{uuid.uuid4().hex}")
    with override_settings(CHANNEL_LAYERS=layers):
        layer = get_channel_layer()
        assert type(layer).__name__ == layers["default"]["BACKEND"].rsplit(".")[-1]
        yield request.param
        while OPEN_SOCKETS:
            await close_quietly(OPEN_SOCKETS.pop())
        if isinstance(layer, RedisChannelLayer):
            await layer.flush()  # deletes this test's keys and closes its connections


async def close_quietly(socket: WebsocketCommunicator) -> None:
    """Tell the consumer the page went away; one that already ended is left as it is."""
    if socket.future.done():
        return
    await socket.disconnect()


def cookie_of(client: Client) -> bytes:
    return f"kc_session={client.cookies['kc_session'].value}".encode()


def signed_in_cookie(user: User) -> bytes:
    """A session as a full sign-in leaves it (second factor passed where needed)."""
    return cookie_of(client_for(user))


async def staff_with_cookie(username: str, *roles: Role) -> tuple[User, bytes]:
    def create() -> tuple[User, bytes]:
        user = make_staff(username, *roles)
        return user, signed_in_cookie(user)

    return await sync_to_async(create)()


def communicator(*headers: tuple[bytes, bytes]) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, STAFF_EVENTS_PATH, headers=[ORIGIN, *headers])
    OPEN_SOCKETS.append(socket)
    return socket


@pytest_asyncio.fixture
async def nurse_socket(channel_layer: str) -> AsyncIterator[tuple[User, WebsocketCommunicator]]:
    nurse, cookie = await staff_with_cookie("okafor", Role.NURSE)
    socket = communicator((b"cookie", cookie))
    connected, _ = await socket.connect()
    assert connected
    yield nurse, socket
    await socket.disconnect()


async def send_event(user_id: int, event: str, message: str) -> None:
    await sync_to_async(staff_event_send)(user_id=user_id, event=event, message=message)


async def test_an_anonymous_visitor_is_closed_with_4401(channel_layer: str) -> None:
    socket = communicator()
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_ALLOWED}


async def test_a_deactivated_account_is_closed_with_4401(channel_layer: str) -> None:
    def deactivated_cookie() -> bytes:
        user = make_staff("former", Role.NURSE)
        cookie = signed_in_cookie(user)
        User.objects.filter(pk=user.pk).update(is_active=False)
        return cookie

    socket = communicator((b"cookie", await sync_to_async(deactivated_cookie)()))
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_ALLOWED}


async def test_a_page_from_another_site_cannot_open_the_socket(channel_layer: str) -> None:
    _, cookie = await staff_with_cookie("victim", Role.PRESCRIBER)
    socket = WebsocketCommunicator(
        application,
        STAFF_EVENTS_PATH,
        headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
    )
    OPEN_SOCKETS.append(socket)
    connected, _ = await socket.connect()
    assert connected is False


async def test_a_session_idle_past_the_timeout_is_closed_with_4401(channel_layer: str) -> None:
    def idle_cookie() -> bytes:
        client = client_for(make_staff("dozing", Role.NURSE))
        session = client.session
        session[SESSION_LAST_SEEN_KEY] = time.time() - 16 * 60
        session.save()
        return cookie_of(client)

    socket = communicator((b"cookie", await sync_to_async(idle_cookie)()))
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_ALLOWED}


async def test_a_prescriber_who_has_not_passed_the_code_is_closed_with_4401(
    channel_layer: str,
) -> None:
    def password_only_cookie() -> bytes:
        client = Client()
        client.force_login(make_staff("halfway", Role.PRESCRIBER))
        return cookie_of(client)

    socket = communicator((b"cookie", await sync_to_async(password_only_cookie)()))
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_ALLOWED}


async def test_a_prescriber_who_passed_the_code_connects(channel_layer: str) -> None:
    prescriber, cookie = await staff_with_cookie("natarajan", Role.PRESCRIBER)
    socket = communicator((b"cookie", cookie))
    connected, _ = await socket.connect()
    assert connected
    await send_event(prescriber.pk, "note.test", "Order 12 awaits your signature.")
    assert (await socket.receive_json_from(timeout=2))["message"] == (
        "Order 12 awaits your signature."
    )
    await socket.disconnect()


async def test_staff_without_a_role_may_still_connect(channel_layer: str) -> None:
    _, cookie = await staff_with_cookie("newcomer")
    socket = communicator((b"cookie", cookie))
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_nothing(timeout=0.1)
    await socket.disconnect()


async def test_an_event_for_the_signed_in_person_reaches_their_page(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    nurse, socket = nurse_socket
    await send_event(nurse.pk, "note.test", "Room 3 needs you.")
    assert await socket.receive_json_from(timeout=2) == {
        "event": "note.test",
        "message": "Room 3 needs you.",
    }


async def test_every_open_page_of_the_person_gets_the_event(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    nurse, first = nurse_socket
    second = communicator((b"cookie", await sync_to_async(signed_in_cookie)(nurse)))
    assert (await second.connect())[0]
    await send_event(nurse.pk, "note.test", "hello")
    assert (await first.receive_json_from(timeout=2))["message"] == "hello"
    assert (await second.receive_json_from(timeout=2))["message"] == "hello"
    await second.disconnect()


async def test_an_event_for_someone_else_does_not_arrive(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    _, socket = nurse_socket
    other, _ = await staff_with_cookie("reyes", Role.FRONT_DESK)
    await send_event(other.pk, StaffEvent.SESSION_ENDED, DEACTIVATED)
    assert await socket.receive_nothing(timeout=0.3)


async def test_session_ended_is_delivered_and_then_the_socket_closes(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    nurse, socket = nurse_socket
    await send_event(nurse.pk, StaffEvent.SESSION_ENDED, DEACTIVATED)
    assert await socket.receive_json_from(timeout=2) == {
        "event": "session.ended",
        "message": DEACTIVATED,
    }
    assert await socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": CLOSE_NOT_ALLOWED,
    }


async def test_a_closed_page_no_longer_receives_events(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    nurse, socket = nurse_socket
    await socket.disconnect()
    later = communicator((b"cookie", await sync_to_async(signed_in_cookie)(nurse)))
    assert (await later.connect())[0]
    await send_event(nurse.pk, "note.test", "only the open page")
    assert (await later.receive_json_from(timeout=2))["message"] == "only the open page"
    await later.disconnect()


async def test_what_the_page_sends_is_ignored(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    _, socket = nurse_socket
    await socket.send_json_to({"event": "session.ended", "message": "forged"})
    assert await socket.receive_nothing(timeout=0.2)


@pytest.mark.parametrize("channel_layer", ["redis"], indirect=True)
async def test_a_page_idle_longer_than_redis_blocking_wait_still_gets_its_event(
    nurse_socket: tuple[User, WebsocketCommunicator],
) -> None:
    # With redis-py 8's default 5 s read timeout the consumer died here.
    nurse, socket = nurse_socket
    await asyncio.sleep(6.5)
    await send_event(nurse.pk, "note.test", "still here")
    assert (await socket.receive_json_from(timeout=2))["message"] == "still here"
