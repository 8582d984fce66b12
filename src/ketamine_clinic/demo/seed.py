"""Seed a demo clinic. Idempotent: running it again changes nothing already there.

Every person here is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_roles
from ketamine_clinic.accounts.services.users import user_create
from ketamine_clinic.demo.assessments import seed_demo_assessments, seed_demo_consents
from ketamine_clinic.demo.bookings import seed_demo_bookings
from ketamine_clinic.demo.day import seed_demo_day
from ketamine_clinic.demo.history import seed_demo_history
from ketamine_clinic.demo.patients import seed_demo_patients
from ketamine_clinic.demo.resources import seed_demo_resources
from ketamine_clinic.demo.stock import seed_demo_stock

# Demo-only passwords, printed on start; `validate=False` because they are memorable.
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - printed demo login, synthetic clinic only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    roles: tuple[Role, ...]
    note: str = ""


DEMO_STAFF: list[tuple[str, str, str, str, tuple[Role, ...]]] = [
    # username, first, last, credentials, roles
    ("frontdesk", "Dana", "Reyes", "", (Role.FRONT_DESK,)),
    ("nurse", "Sam", "Okafor", "RN", (Role.NURSE,)),
    ("prescriber", "Priya", "Natarajan", "MD", (Role.PRESCRIBER,)),
    ("custodian", "Lee", "Whitford", "PharmD", (Role.CUSTODIAN,)),
    ("lead", "Morgan", "Adeyemi", "RN", (Role.CLINIC_LEAD,)),
    ("admin", "Chris", "Lindqvist", "", (Role.ADMINISTRATOR,)),
]


@transaction.atomic
def seed_demo_clinic(*, history: bool = False) -> list[DemoLogin]:
    """The demo clinic; with ``history`` its generated past too (``history.py``), which
    `ketamine-clinic demo` asks for, so code and tests that seed the demo directly keep
    today's small clinic."""
    logins = []
    for username, first, last, credentials, roles in DEMO_STAFF:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                password=DEMO_PASSWORD,
                roles=roles,
                by=None,
                first_name=first,
                last_name=last,
                credentials=credentials,
                validate=False,
            )
        note = (
            "second factor: scan the QR code at first sign-in"
            if frozenset(roles) & second_factor_roles()
            else ""
        )
        logins.append(DemoLogin(username=username, password=DEMO_PASSWORD, roles=roles, note=note))
    seed_demo_patients()
    seed_demo_assessments()
    seed_demo_consents()
    seed_demo_resources()
    seed_demo_stock()
    seed_demo_day()
    seed_demo_bookings()
    if history:
        seed_demo_history()
    return logins


def print_logins(logins: list[DemoLogin]) -> None:
    print("Demo logins (synthetic clinic; never use these passwords for real):")
    for login in logins:
        roles = ", ".join(role.label for role in login.roles)
        print(
            f"  {login.username:<12} {login.password:<18} {roles}{'  (' + login.note + ')' if login.note else ''}"
        )
    print(
        "No phone at hand? The enrolment page shows a key; "
        "`.venv/bin/python -m ketamine_clinic.demo.totp_code KEY` prints its current code."
    )
