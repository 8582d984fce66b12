"""The generated clinic's ketamine: receipts of 10 mL vials and which vial each syringe
came from, so the controlled-substance record balances to the hundredth of a milligram.

Pure. The custodian receives a new lot a few days before
the safe would run out (about a month's use); syringes are drawn from the open vial first and, when it holds
too little, the rest from the next one (``inventory.services.use.syringe_draw`` takes
several containers for one syringe). Each vial holds 500 mg (50 mg/mL x 10 mL).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

VIAL_ML: Final = Decimal("10.00")
VIAL_STRENGTH: Final = Decimal("50.00")
MAX_VIALS_PER_RECEIPT: Final = 100  # under inventory.services.stock's 200 per receipt
RECEIPT_EVERY_DAYS: Final = 30  # about monthly, so no lot nears its expiry in the safe
SHELF_LIFE_DAYS: Final = 730
LEAD_DAYS: Final = (2, 7)  # received this many days before the first draw that needs it


@dataclass
class ReceiptPlan:
    received_on: date
    lot_number: str
    expiry_date: date
    vials: int
    first_vial: int  # index of its first container in the clinic's list


@dataclass(frozen=True)
class Draw:
    vial: int  # container index
    volume_ml: Decimal
    mg: Decimal


@dataclass
class StockPlan:
    receipts: list[ReceiptPlan] = field(default_factory=list)
    draws: dict[int, list[Draw]] = field(default_factory=dict)  # by syringe key

    @property
    def vials(self) -> int:
        return sum(receipt.vials for receipt in self.receipts)


def plan_stock(syringes: list[tuple[int, datetime, Decimal]], *, seed: int) -> StockPlan:
    """``syringes``: (key, drawn at, stock mL) in time order; every draw before expiry."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    stock = StockPlan()
    per_receipt = MAX_VIALS_PER_RECEIPT
    if syringes:
        days = max(1, (syringes[-1][1] - syringes[0][1]).days)
        total_vials = sum((ml for _, _, ml in syringes), Decimal(0)) / VIAL_ML
        per_receipt = max(
            5, min(MAX_VIALS_PER_RECEIPT, int(total_vials * RECEIPT_EVERY_DAYS / days) + 1)
        )
    left = Decimal("0.00")  # mL left in the open vial
    vial = -1
    lots_in_month: dict[str, int] = {}

    def receive(before: date) -> None:
        received_on = before - timedelta(days=rng.randint(*LEAD_DAYS))
        month = f"{received_on:%y%m}"
        lots_in_month[month] = lots_in_month.get(month, 0) + 1
        letter = "ABCDEFGHJKLMNPQRSTUVWXYZ"[lots_in_month[month] - 1]
        stock.receipts.append(
            ReceiptPlan(
                received_on=received_on,
                lot_number=f"KG{month}{letter}",
                expiry_date=received_on + timedelta(days=SHELF_LIFE_DAYS),
                vials=per_receipt,
                first_vial=stock.vials,
            )
        )

    for key, at, volume_ml in syringes:
        needed = volume_ml
        lines: list[Draw] = []
        while needed > 0:
            if left <= 0:
                vial += 1
                if vial >= stock.vials:
                    receive(at.date())
                left = VIAL_ML
            take = min(left, needed)
            lines.append(
                Draw(vial=vial, volume_ml=take, mg=(take * VIAL_STRENGTH).quantize(Decimal("0.01")))
            )
            left -= take
            needed -= take
        stock.draws[key] = lines
    return stock
