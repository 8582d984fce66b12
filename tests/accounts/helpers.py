"""Small helpers for the accounts tests: audit look-ups, TOTP codes, sign-in steps."""

from __future__ import annotations

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from tests.conftest import PERSONA_PASSWORD


def entries(action: AuditAction) -> list[AuditEntry]:
    """Audit entries of one kind, oldest first."""
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, drift=steps_ahead):06d}"


def enrolled_device(user: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return device


def post_password(
    client: Client, username: str, password: str = PERSONA_PASSWORD, next_url: str = ""
) -> str:
    """Submit the password step; returns where it redirected to ("" if it did not)."""
    url = "/accounts/sign-in/" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": username, "password": password})
    return str(response["Location"]) if response.status_code == 302 else ""


def is_signed_in(client: Client) -> bool:
    """Whether the client's session opens a staff page (the home page)."""
    return client.get("/").status_code == 200
