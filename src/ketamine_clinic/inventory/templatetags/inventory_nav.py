"""The controlled-substance pages' sub-navigation, filtered like the main menu.

A link shows only if the view behind it would let the user in (the same rule as
web/navigation.py), and only once that page exists, so the stock, count and report
pages can each add theirs without the others' templates changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from ketamine_clinic.access.policy import declared_policy

register = template.Library()


@dataclass(frozen=True)
class SubNavItem:
    label: str
    url: str
    current: bool


# (label, URL name or path) in order. A path is used where the page's URL name belongs
# to another part of the record and may not exist yet.
SUBNAV: list[tuple[str, str]] = [
    ("Stock", "inventory:dashboard"),
    ("Receive", "inventory:receive"),
    ("Counts", "/inventory/counts/"),
    ("Reports", "/inventory/reports/"),
    ("DEA registration", "inventory:registration"),
    ("Suppliers", "inventory:supplier_list"),
    ("Products", "inventory:product_list"),
    ("Locations", "inventory:location_list"),
]


def _url(target: str) -> str | None:
    if target.startswith("/"):
        return target
    try:
        return reverse(target)
    except NoReverseMatch:
        return None


@register.simple_tag(takes_context=True)
def inventory_subnav(context: dict[str, Any]) -> list[SubNavItem]:
    request = context.get("request")
    user = getattr(request, "user", None)
    here = getattr(request, "path", "")
    items: list[SubNavItem] = []
    for label, target in SUBNAV:
        url = _url(target)
        if url is None or user is None:
            continue
        try:
            policy = declared_policy(resolve(url).func)
        except Resolver404:
            continue
        if policy is None or not policy.allows(user):
            continue
        dashboard = url.rstrip("/") == "/inventory"
        current = here == url if dashboard else here.startswith(url)
        items.append(SubNavItem(label=label, url=url, current=current))
    if items and not any(item.current for item in items) and here.startswith("/inventory/"):
        # A container, a receipt or a correction: pages reached from the stock list.
        first = items[0]
        items[0] = SubNavItem(label=first.label, url=first.url, current=True)
    return items
