"""The main menu, filtered by the same policies the views enforce.

An item shows only if the view behind its URL would let the user in, so the menu can
never offer a page the role matrix forbids.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.urls import resolve, reverse

from ketamine_clinic.access.policy import declared_policy
from ketamine_clinic.accounts.models import User


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


# (label, URL name) in menu order. Later parts of the clinic add theirs here.
MENU: list[tuple[str, str]] = [
    ("Today", "clinicday:day"),
    ("Monitoring", "monitoring:station"),
    ("Schedule", "booking:week"),
    ("Patients", "patients:list"),
    ("Review queue", "review:queue"),
    ("Outcomes", "outcomes:dashboard"),
    ("Consent", "consent:documents"),
    ("Controlled substances", "inventory:dashboard"),
    ("Devices", "devices:list"),
    ("Staff", "accounts:staff_list"),
    ("Audit trail", "audit:entries"),
    ("Research export", "research:export"),
]


def nav_items_for(user: User | AnonymousUser) -> list[NavItem]:
    items = []
    for label, url_name in MENU:
        url = reverse(url_name)
        policy = declared_policy(resolve(url).func)
        if policy is not None and policy.allows(user):
            items.append(NavItem(label=label, url=url))
    return items
