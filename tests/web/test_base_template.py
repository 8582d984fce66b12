"""The page shell: what it hands to app.js, and no inline code in any template (strict CSP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

import ketamine_clinic
from ketamine_clinic.accounts.models import User
from tests.conftest import client_for

TEMPLATES = sorted(Path(ketamine_clinic.__file__).parent.glob("*/templates/**/*.html"))

# What a strict CSP (script-src 'self'; style-src 'self') would block in a browser.
INLINE_CODE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "a <style> block": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def body_tag(html: str) -> str:
    match = re.search(r"<body[^>]*>", html)
    assert match is not None
    return match.group(0)


def test_there_are_templates_to_check() -> None:
    assert any(path.name == "base.html" for path in TEMPLATES)


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=[f"{p.parts[-3]}/{p.parts[-2]}/{p.name}" for p in TEMPLATES]
)
def test_no_template_carries_inline_code_or_style(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE_CODE.items() if pattern.search(text)]
    assert found == []


def test_the_inline_code_check_catches_each_kind() -> None:
    samples = {
        "an inline <script>": "<script>alert(1)</script>",
        "a <style> block": "<style>p{}</style>",
        "a style attribute": '<p style="color:red">',
        "an event-handler attribute": '<a onclick="go()">',
        "a javascript: URL": '<a href="javascript:go()">',
    }
    for what, sample in samples.items():
        assert INLINE_CODE[what].search(sample), what
    assert not INLINE_CODE["an inline <script>"].search('<script src="/static/web/app.js" defer>')


def test_a_signed_in_page_gives_the_script_the_events_path_and_idle_minutes(
    personas: dict[str, User],
) -> None:
    html = client_for(personas["nurse"]).get("/").content.decode()
    assert body_tag(html) == (
        '<body data-sign-in-url="/accounts/sign-in/" '
        'data-staff-events="/ws/v1/staff-events/" data-idle-minutes="15">'
    )


@override_settings(KC_SESSION_IDLE_MINUTES=7)
def test_the_idle_minutes_follow_the_setting(personas: dict[str, User]) -> None:
    html = client_for(personas["front_desk"]).get("/").content.decode()
    assert 'data-idle-minutes="7"' in body_tag(html)


def test_the_sign_in_page_opens_no_socket_and_runs_no_idle_clock(db: None) -> None:
    html = Client().get("/accounts/sign-in/").content.decode()
    assert body_tag(html) == '<body data-sign-in-url="/accounts/sign-in/">'


def test_every_page_loads_the_shared_script_from_this_server(db: None) -> None:
    html = Client().get("/accounts/sign-in/").content.decode()
    assert '<script src="/static/web/app.js" defer></script>' in html


def test_the_shared_script_and_stylesheet_are_served(db: None) -> None:
    client = Client()
    script = client.get("/static/web/app.js")
    assert script.status_code == 200
    assert b"session.ended" in b"".join(script.streaming_content)  # type: ignore[attr-defined]
    assert client.get("/static/web/app.css").status_code == 200


def test_every_signed_in_page_offers_to_change_ones_own_password(
    personas: dict[str, User],
) -> None:
    for persona in personas.values():
        html = client_for(persona).get("/").content.decode()
        assert '<a class="who-link" href="/accounts/password/">Change password</a>' in html


def test_the_sign_in_page_offers_no_password_change(db: None) -> None:
    html = Client().get("/accounts/sign-in/").content.decode()
    assert "/accounts/password/" not in html
