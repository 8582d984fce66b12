"""What each role sees first on its home page.

A card either links to a working page or, while that part of the clinic is not built
yet, says plainly what will be there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketamine_clinic.accounts.enums import Role


@dataclass(frozen=True)
class HomeCard:
    role: Role
    title: str
    text: str
    url_name: str | None = None  # None: not available yet; `text` says what will be here


CONTROLLED_SUBSTANCES_TEXT = (
    "Stock on hand by vial and lot, whether every lot balances, receipts, syringes awaiting "
    "their waste witness, expiry warnings, the open count and discrepancies."
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
    ),
    HomeCard(
        Role.CUSTODIAN,
        "Controlled substances",
        CONTROLLED_SUBSTANCES_TEXT,
        "inventory:dashboard",
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
    ),
    HomeCard(
        Role.CLINIC_LEAD,
        "Outcomes",
        "Response and remission across courses, with their definitions and denominators, will "
        "appear here once outcomes are measured.",
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
