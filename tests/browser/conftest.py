"""Headless Chromium (Debian's /usr/bin/chromium) driving the real ASGI app.

Why not pytest-django's `live_server`: it is a WSGI server, and every signed-in page
opens a WebSocket (web/static/web/app.js), which WSGI cannot answer. So the app is
served here as in production, the ASGI application under uvicorn, on a thread of this
process: it shares the in-memory SQLite test database (which is why these tests run in
the SQLite pass only) and the settings, so `override_settings` reaches it.

Playwright's sync API keeps an event loop running on this thread while it is started,
which Django's async-safety check mistakes for async code calling the ORM: for the
browser tests only, DJANGO_ALLOW_ASYNC_UNSAFE is set. Anything that itself needs an
event loop (sending a channel-layer event) goes through `in_a_thread`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.support.services import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    chromium_available,
    need,
    sqlite_pass_only,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
T = TypeVar("T")

# Every browser test module carries these marks: `-m "not browser"` leaves them out, and
# the server shares this process's in-memory SQLite test database.
BROWSER_TEST = [
    pytest.mark.browser,
    sqlite_pass_only("the browser drives a server sharing the in-memory test database"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    need("BROWSER", chromium_available(), f"Chromium at {CHROMIUM_PATH}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def app_server(transactional_db: None) -> Iterator[str]:
    """The production ASGI app under uvicorn on a free port; yields its base URL."""
    from ketamine_clinic.config.asgi import application

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, lifespan="off", log_level="warning", ws="auto")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test ASGI server did not start", pytrace=False)
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    listener.close()


@dataclass
class Console:
    """What the page said on its console: errors (CSP violations among them)."""

    errors: list[str] = field(default_factory=list)

    def record(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "assert"}:
            self.errors.append(f"{message.type}: {message.text} ({message.location})")


@dataclass
class Visit:
    """A browser tab on the test server, with its console and screenshots."""

    page: Page
    base_url: str
    console: Console
    name: str
    shots: int = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)

    def screenshot(self, what: str) -> Path:
        """Save the whole page to tests/artifacts/ (look at it: layout bugs show there)."""
        self.shots += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{what}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(browser: Browser, app_server: str, request: pytest.FixtureRequest) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    console = Console()
    page.on("console", console.record)
    page.on("pageerror", lambda error: console.errors.append(f"pageerror: {error}"))
    yield Visit(page=page, base_url=app_server, console=console, name=request.node.name)
    context.close()


def in_a_thread(work: Callable[[], T]) -> T:
    """Run `work` on a thread with no event loop (Playwright's occupies this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=30)
