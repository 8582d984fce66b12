"""HTTP security settings: safe when nothing is set, and visible on real responses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from ketamine_clinic.accounts.models import User
from tests.config.conftest import SettingsLoader
from tests.conftest import client_for


def test_with_nothing_set_debug_is_off_and_cookies_are_secure(
    load_settings: SettingsLoader,
) -> None:
    security = load_settings("security")
    assert security["DEBUG"] is False
    assert security["SESSION_COOKIE_SECURE"] is True
    assert security["CSRF_COOKIE_SECURE"] is True
    assert security["SESSION_COOKIE_HTTPONLY"] is True
    assert security["CSRF_COOKIE_HTTPONLY"] is True
    assert security["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_with_nothing_set_only_this_machine_is_an_allowed_host(
    load_settings: SettingsLoader,
) -> None:
    security = load_settings("security")
    assert security["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert security["CSRF_TRUSTED_ORIGINS"] == []


def test_with_nothing_set_framing_sniffing_and_referrers_are_refused(
    load_settings: SettingsLoader,
) -> None:
    security = load_settings("security")
    assert security["X_FRAME_OPTIONS"] == "DENY"
    assert security["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert security["SECURE_REFERRER_POLICY"] == "same-origin"
    assert security["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"


def test_with_nothing_set_hsts_is_off_and_no_proxy_header_is_trusted(
    load_settings: SettingsLoader,
) -> None:
    security = load_settings("security")
    assert security["SECURE_HSTS_SECONDS"] == 0
    assert security["SECURE_PROXY_SSL_HEADER"] is None


def test_kc_hsts_seconds_turns_hsts_on(load_settings: SettingsLoader) -> None:
    security = load_settings("security", KC_HSTS_SECONDS="31536000", KC_HSTS_INCLUDE_SUBDOMAINS="1")
    assert security["SECURE_HSTS_SECONDS"] == 31536000
    assert security["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_a_negative_hsts_value_is_refused(load_settings: SettingsLoader) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^KC_HSTS_SECONDS must be at least 0"):
        load_settings("security", KC_HSTS_SECONDS="-1")


def test_debug_needs_a_valid_flag(load_settings: SettingsLoader) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^KC_DEBUG must be one of"):
        load_settings("security", KC_DEBUG="sure")


def test_behind_a_tls_proxy_the_forwarded_proto_header_is_trusted(
    load_settings: SettingsLoader,
) -> None:
    security = load_settings("security", KC_BEHIND_TLS_PROXY="1")
    assert security["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_the_csp_allows_no_inline_code_and_no_other_origin(load_settings: SettingsLoader) -> None:
    directives = load_settings("security")["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_production_settings_refuse_to_start_without_a_secret_key(
    load_settings: SettingsLoader,
) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^KC_SECRET_KEY \(or KC_SECRET_KEY_FILE\)"):
        load_settings("django.base")


def test_the_sign_in_page_carries_the_security_headers(db: None) -> None:
    response = Client().get("/accounts/sign-in/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response


def test_the_csrf_cookie_is_secure_and_hidden_from_scripts(db: None) -> None:
    response = Client().get("/accounts/sign-in/")
    cookie = response.cookies["kc_csrftoken"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_session_cookie_is_secure_and_hidden_from_scripts(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["nurse"]).get("/")
    assert response.status_code == 200
    cookie = response.cookies["kc_session"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    # The cookie ends with the browser and never outlives the idle timeout.
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_with_hsts_set_a_secure_response_carries_the_header(db: None) -> None:
    response = Client().get("/accounts/sign-in/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
