"""What each role sees first on its home page.

A card either links to a working page or, while that part of the clinic is not built
yet, says plainly what will be there. A card may also carry live figures (`live`): a
function the page calls while it renders, so the custodian sees at sign-in that a count
is overdue or a syringe still waits for its account, without opening another page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import formats, timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.inventory.selectors import (
    count_due,
    expiry_warnings,
    stock_on_hand,
    syringes_awaiting_account,
)
from ketamine_clinic.inventory.services.counts import unresolved_discrepancies


@dataclass(frozen=True)
class HomeFigure:
    """One live figure on a card; `tone` is "", "ok", "warn" or "danger" (a badge)."""

    key: str
    label: str
    value: str
    tone: str = ""


@dataclass(frozen=True)
class HomeCard:
    role: Role
    title: str
    text: str
    url_name: str | None = None  # None: not available yet; `text` says what will be here
    # Called by the template while it renders (Django calls a callable without arguments).
    live: Callable[[], list[HomeFigure]] | None = None


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M H:i")


def count_due_figure(*, now: datetime | None = None) -> HomeFigure:
    """When the next count is due, or since when it is overdue."""
    due = count_due()
    at = now or timezone.now()
    if due.due_at is None:
        return HomeFigure("count-due", "Next count", "Due now: no count has closed yet", "danger")
    if due.overdue(at):
        return HomeFigure("count-due", "Next count", f"Overdue since {_when(due.due_at)}", "danger")
    return HomeFigure("count-due", "Next count", f"Due {_when(due.due_at)}", "ok")


def controlled_substance_figures() -> list[HomeFigure]:
    """The record at a glance: what is on hand and what needs someone's attention."""
    on_hand = stock_on_hand()
    total_mg = sum((row.on_hand_mg for row in on_hand), Decimal("0.00"))
    awaiting = len(syringes_awaiting_account())
    discrepancies = len(unresolved_discrepancies())
    warnings = expiry_warnings(on_hand=on_hand)  # the stock just read: the ledger summed once
    expired = sum(1 for warning in warnings if warning.expired)
    if expired:
        expiry = HomeFigure(
            "expiry",
            "Expiry",
            f"{expired} lot{'s' if expired != 1 else ''} expired, "
            f"{len(warnings) - expired} expiring soon",
            "danger",
        )
    elif warnings:
        expiry = HomeFigure(
            "expiry",
            "Expiry",
            f"{len(warnings)} lot{'s' if len(warnings) != 1 else ''} expiring soon",
            "warn",
        )
    else:
        expiry = HomeFigure("expiry", "Expiry", "None expiring soon", "ok")
    return [
        HomeFigure(
            "on-hand",
            "On hand",
            f"{total_mg} mg base in {len(on_hand)} container{'s' if len(on_hand) != 1 else ''}",
        ),
        HomeFigure(
            "awaiting",
            "Syringes awaiting account",
            str(awaiting),
            "warn" if awaiting else "ok",
        ),
        HomeFigure(
            "discrepancies",
            "Unresolved discrepancies",
            str(discrepancies),
            "danger" if discrepancies else "ok",
        ),
        expiry,
        count_due_figure(),
    ]


CONTROLLED_SUBSTANCES_TEXT = (
    "Stock by vial and lot, receipts, counts and discrepancies, and the logs an inspector reads."
)

HOME_CARDS: list[HomeCard] = [
    HomeCard(
        Role.FRONT_DESK, "Find a patient", "Search by name, date of birth or MRN.", "patients:list"
    ),
    HomeCard(
        Role.FRONT_DESK,
        "Today's arrivals",
        "Today's visits by room and time: check patients in and confirm escorts.",
        "clinicday:day",
    ),
    HomeCard(
        Role.NURSE,
        "My rooms",
        "Today's visits by room: checks, orders, the pump and recovery.",
        "clinicday:day",
    ),
    HomeCard(
        Role.NURSE, "Find a patient", "Open a chart by name, date of birth or MRN.", "patients:list"
    ),
    HomeCard(
        Role.PRESCRIBER,
        "Awaiting your review",
        "Suicide-risk flags and screening decisions, oldest first; orders to sign and "
        "soft-limit overrides will join them once orders are set up.",
        "review:queue",
    ),
    HomeCard(
        Role.PRESCRIBER,
        "Find a patient",
        "Open a chart by name, date of birth or MRN.",
        "patients:list",
    ),
    HomeCard(
        Role.PRESCRIBER,
        "Controlled substances",
        CONTROLLED_SUBSTANCES_TEXT,
        "inventory:dashboard",
        controlled_substance_figures,
    ),
    HomeCard(
        Role.CUSTODIAN,
        "Controlled substances",
        CONTROLLED_SUBSTANCES_TEXT,
        "inventory:dashboard",
        controlled_substance_figures,
    ),
    HomeCard(
        Role.CUSTODIAN,
        "Receive stock",
        "Record a delivery of ketamine: lot, expiry, supplier, invoice and the containers.",
        "inventory:receive",
    ),
    HomeCard(
        Role.CLINIC_LEAD,
        "Audit trail",
        "Who read or changed what, and when; filter by person, patient and date.",
        "audit:entries",
    ),
    HomeCard(
        Role.CLINIC_LEAD,
        "Controlled substances",
        CONTROLLED_SUBSTANCES_TEXT,
        "inventory:dashboard",
        controlled_substance_figures,
    ),
    HomeCard(
        Role.CLINIC_LEAD,
        "Outcomes",
        "Response, remission and any benefit across courses, each with its definition, "
        "denominator and 95% interval; for whom, and how long a response lasts.",
        "outcomes:dashboard",
    ),
    HomeCard(
        Role.CLINIC_LEAD,
        "Research export",
        "De-identified tables of courses, infusions, vitals and scores for approved research, "
        "as CSV or Parquet.",
        "research:export",
    ),
    HomeCard(
        Role.ADMINISTRATOR,
        "Staff accounts",
        "Create accounts, set roles, reset passwords and second factors, deactivate.",
        "accounts:staff_list",
    ),
    HomeCard(
        Role.ADMINISTRATOR,
        "Devices",
        "Which monitor and pump is in which room, when each last sent, and data from devices "
        "no visit was running for.",
        "devices:list",
    ),
]


def home_cards_for(roles: frozenset[Role]) -> list[HomeCard]:
    """Cards for the user's roles, in role order, without repeating a linked page."""
    cards: list[HomeCard] = []
    seen_urls: set[str] = set()
    for card in HOME_CARDS:
        if card.role not in roles:
            continue
        if card.url_name is not None:
            if card.url_name in seen_urls:
                continue
            seen_urls.add(card.url_name)
        cards.append(card)
    return cards
