"""The main menu, filtered by the same policies the views enforce.

An item shows only if the view behind its URL would let the user in, so the menu can
never offer a page the role matrix forbids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import get_urlconf, resolve, reverse

from ketamine_clinic.access.policy import AccessPolicy, declared_policy
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


@lru_cache(maxsize=4)
def _menu_policies(urlconf: str | None) -> tuple[tuple[NavItem, AccessPolicy | None], ...]:
    """Each menu item with the policy of the view behind it, per URL configuration: the
    URLs do not change while a process runs, and reversing and resolving twelve of them
    was a sixth of the CPU of the lightest pages (every page draws the menu)."""
    items = []
    for label, url_name in MENU:
        url = reverse(url_name, urlconf=urlconf)
        items.append((NavItem(label=label, url=url), declared_policy(resolve(url, urlconf).func)))
    return tuple(items)


def nav_items_for(user: User | AnonymousUser) -> list[NavItem]:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return [
        item
        for item, policy in _menu_policies(urlconf)
        if policy is not None and policy.allows(user)
    ]
