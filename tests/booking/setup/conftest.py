"""The browser fixtures (tests/browser/conftest.py), for this folder's browser test."""

from __future__ import annotations

from tests.browser.conftest import app_server, browser, visit

__all__ = ["app_server", "browser", "visit"]
