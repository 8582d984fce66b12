"""`ketamine-clinic check-deploy`: exit 0 on a safe configuration, 1 listing each problem."""

from __future__ import annotations

import pytest
from django.test import override_settings

from ketamine_clinic.deploy_checks import HSTS_OFF, SECRET_IS_KNOWN
from tests.cli.conftest import STRONG_TEST_SECRET, run_main

SAFE = {
    "SECRET_KEY": STRONG_TEST_SECRET,
    "SECURE_HSTS_SECONDS": 31536000,
    "ALLOWED_HOSTS": ["clinic.example.org"],
    "REDIS_URL": "",
    "KC_WEB_WORKERS": 1,
    "KC_CLINIC_PHONE": "(555) 010-0142",
}


def test_a_safe_configuration_passes(capsys: pytest.CaptureFixture[str]) -> None:
    with override_settings(**SAFE):
        code, out, err = run_main(capsys, "check-deploy")
    assert (code, err) == (0, "")
    assert out == "check-deploy: configuration is safe for production\n"


def test_the_test_configuration_fails_naming_each_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The test settings run on a published test-only key and without HSTS.
    with override_settings(KC_WEB_WORKERS=1):
        code, out, err = run_main(capsys, "check-deploy")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"UNSAFE: {SECRET_IS_KNOWN}",
        f"UNSAFE: {HSTS_OFF}",
        "check-deploy: 2 problem(s); this configuration must not hold patient data",
    ]


def test_workers_default_to_kc_web_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with override_settings(**{**SAFE, "KC_WEB_WORKERS": 3, "REDIS_URL": ""}):
        code, _, err = run_main(capsys, "check-deploy")
    assert code == 1
    assert (
        "UNSAFE: 3 web workers with the in-memory channel layer: live updates would not "
        "cross workers; set REDIS_URL"
    ) in err.splitlines()


def test_the_workers_option_overrides_kc_web_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with override_settings(**{**SAFE, "KC_WEB_WORKERS": 3, "REDIS_URL": "redis://r:6379/0"}):
        code, out, _ = run_main(capsys, "check-deploy", "--workers", "1")
    assert code == 0
    assert out == "check-deploy: configuration is safe for production\n"
