"""Coded values of the controlled-substance record.

Every stock entry moves milligrams of ketamine base from one bucket to another; the
kind names the move. `BUCKET_MOVES` is the one table that says which, so the balances,
the invariant and the reports all read the same rule.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Bucket(StrEnum):
    """Where a milligram of a lot can be at any moment."""

    ON_HAND = "on_hand"  # in a container in the safe
    IN_SYRINGE = "in_syringe"  # drawn for a visit, not yet accounted as given or wasted
    GIVEN = "given"
    WASTED = "wasted"
    DISPOSED = "disposed"
    RETURNED = "returned"
    LOST = "lost"


class EntryKind(models.TextChoices):
    RECEIVED = "received", "Received"
    DRAWN = "drawn", "Drawn into a syringe"
    GIVEN = "given", "Given to the patient"
    WASTED = "wasted", "Wasted (witnessed)"
    DISPOSED = "disposed", "Disposed of (witnessed)"
    RETURNED = "returned", "Returned (witnessed)"
    LOST = "lost", "Lost or stolen"


# kind -> (from, to). None is outside the clinic: a receipt brings mg in from the supplier.
BUCKET_MOVES: dict[str, tuple[Bucket | None, Bucket]] = {
    EntryKind.RECEIVED: (None, Bucket.ON_HAND),
    EntryKind.DRAWN: (Bucket.ON_HAND, Bucket.IN_SYRINGE),
    EntryKind.GIVEN: (Bucket.IN_SYRINGE, Bucket.GIVEN),
    EntryKind.WASTED: (Bucket.IN_SYRINGE, Bucket.WASTED),
    EntryKind.DISPOSED: (Bucket.ON_HAND, Bucket.DISPOSED),
    EntryKind.RETURNED: (Bucket.ON_HAND, Bucket.RETURNED),
    EntryKind.LOST: (Bucket.ON_HAND, Bucket.LOST),
}


class DisposalReason(models.TextChoices):
    EXPIRED = "expired", "Expired"
    DAMAGED = "damaged", "Damaged or broken (non-recoverable)"
    CONTAMINATED = "contaminated", "Contaminated or suspect"
    RECALLED = "recalled", "Recalled by the manufacturer"
    OTHER = "other", "Other (say why in the notes)"


class DisposalMethod(models.TextChoices):
    """How stock left: destroyed on site (DEA Form 41) or sent to a reverse distributor."""

    ON_SITE_DESTRUCTION = "on_site", "Destroyed on site (DEA Form 41)"
    REVERSE_DISTRIBUTOR = "reverse_distributor", "Sent to a reverse distributor"
    SUPPLIER_RETURN = "supplier", "Returned to the supplier"


class CountKind(models.TextChoices):
    ROUTINE = "routine", "Routine count"
    BIENNIAL = "biennial", "Biennial inventory (DEA)"


class CountTiming(models.TextChoices):
    """21 CFR 1304.11(a): the biennial inventory says whether it was taken at the opening
    or the close of business."""

    OPENING = "opening", "Opening of business"
    CLOSE = "close", "Close of business"


class DiscrepancyOutcome(models.TextChoices):
    COUNT_ERROR = "count_error", "Miscount: the record stands"
    RECORD_CORRECTED = "record_corrected", "A record was wrong and has been corrected"
    LOSS = "loss", "Loss or theft confirmed (DEA Form 106)"
    # A vial recorded lost that turns up: the lead, who confirmed the loss, reverses it.
    FOUND = "found", "Stock recorded lost has been found: the loss is reversed"


class StrengthBasis(models.TextChoices):
    """How a label states a product's strength (pharmacology.md: 1 mg base = 1.153 mg HCl)."""

    BASE = "base", "As ketamine base"
    SALT = "salt", "As ketamine hydrochloride (HCl salt)"
