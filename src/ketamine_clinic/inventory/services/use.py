"""Ketamine used in a visit: drawn from named containers, then given or wasted.

A syringe is drawn from one or more containers when it is prepared (orders.services
calls `syringe_draw` in the same transaction). After the infusion, `syringe_account`
closes it: the pump's record of the visit says what was given, the rest of what was
drawn is waste, destroyed before a licensed witness who re-enters their password.
drawn = given + wasted, to the hundredth of a milligram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.infusion.selectors import delivered_dose
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import StockEntry, SyringeAccount
from ketamine_clinic.inventory.policies import DRAW_ROLES
from ketamine_clinic.inventory.services.common import audit, require_role
from ketamine_clinic.inventory.witness import WitnessCredentials, witness_confirm
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.selectors import verified_syringe
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

DRAW_NONE = "Name the container(s) the syringe was drawn from, with the mL from each."
DRAW_VOLUME = "Enter the mL drawn from {label}: more than 0, to two decimals."
DRAW_TWICE = "{label} is listed twice: enter its total once."
DRAW_UNKNOWN = "Container {pk} is not in the record."
DRAW_EXPIRED = "{label} is from lot {lot}, which expired on {day}: do not use it."
DRAW_STRENGTH = (
    "{label} holds {have} mg/mL, but the order was calculated for {want} mg/mL vials: "
    "draw from the ordered strength or have the order changed."
)
DRAW_TOO_LITTLE = "The order needs {want} mL of stock; {have} mL was entered."
DRAW_MORE_THAN_LEFT = "{label} holds {have} mL; {want} mL cannot be drawn from it."
ACCOUNT_TOO_EARLY = "The infusion is still {state}: account for the syringe once it has ended."
ACCOUNT_AGAIN = "This syringe has already been accounted for."
ACCOUNT_NOTHING_DRAWN = "Nothing was drawn into this syringe in the stock record."
ACCOUNT_GIVEN_EXCEEDS = (
    "The pump's record shows {given} mg given, more than the {drawn} mg drawn into the "
    "syringe: check the pump record and the draws before accounting for it."
)

# Once a visit is here, its pump has stopped for good: what was given is final.
ACCOUNTABLE_STATES = frozenset(
    {
        VisitState.RECOVERY,
        VisitState.DISCHARGED,
        VisitState.ABORTED,
        VisitState.CANCELLED,
        VisitState.DID_NOT_ATTEND,
    }
)


@dataclass(frozen=True)
class DrawLine:
    """`volume_ml` of stock drawn from the container `container_id`."""

    container_id: int
    volume_ml: Decimal


def _draw_error(message: str, container_id: int | None = None) -> ValidationError:
    """An error on `draws`; `params` names the container so a form can show it on its row."""
    params = {"container_id": container_id} if container_id is not None else None
    return ValidationError({"draws": ValidationError(message, code="draw", params=params)})


def syringe_draw(
    preparation: SyringePreparation, draws: Sequence[DrawLine], *, by: User
) -> list[StockEntry]:
    """Take the syringe's stock out of the named containers (inside the caller's atomic)."""
    require_role(by, DRAW_ROLES, "draw ketamine for a visit")
    if not draws:
        raise _draw_error(DRAW_NONE)
    order = preparation.order
    with transaction.atomic():
        locked = ledger.lock_containers(line.container_id for line in draws)
        balances = ledger.container_buckets(locked)
        today = timezone.localdate()
        seen: set[int] = set()
        total_ml = Decimal("0.00")
        planned: list[tuple[int, Decimal, Decimal]] = []
        for line in draws:
            container = locked.get(line.container_id)
            if container is None:
                raise _draw_error(DRAW_UNKNOWN.format(pk=line.container_id), line.container_id)
            if line.container_id in seen:
                raise _draw_error(DRAW_TWICE.format(label=container.label), container.pk)
            seen.add(line.container_id)
            volume = Decimal(line.volume_ml)
            if volume <= 0 or volume != volume.quantize(ledger.CENT):
                raise _draw_error(DRAW_VOLUME.format(label=container.label), container.pk)
            lot = container.lot
            if lot.expiry_date < today:
                raise _draw_error(
                    DRAW_EXPIRED.format(
                        label=container.label, lot=lot.lot_number, day=lot.expiry_date
                    ),
                    container.pk,
                )
            strength = lot.product.base_mg_per_ml
            if strength != order.vial_strength_mg_per_ml:
                raise _draw_error(
                    DRAW_STRENGTH.format(
                        label=container.label, have=strength, want=order.vial_strength_mg_per_ml
                    ),
                    container.pk,
                )
            mg = ledger.mg_of(volume * strength)
            # Checked here as well as in ledger.post, so the refusal names the row, in mL.
            on_hand = balances[container.pk][Bucket.ON_HAND]
            if on_hand < mg:
                raise _draw_error(
                    DRAW_MORE_THAN_LEFT.format(
                        label=container.label, have=ledger.mg_of(on_hand / strength), want=volume
                    ),
                    container.pk,
                )
            total_ml += volume
            planned.append((container.pk, volume, mg))
        needed_ml = ledger.mg_of(preparation.stock_volume_ml)
        if total_ml < needed_ml:
            raise _draw_error(DRAW_TOO_LITTLE.format(want=needed_ml, have=total_ml))
        now = timezone.now()
        entries = [
            ledger.post(
                container=locked[pk],
                kind=EntryKind.DRAWN,
                mg=mg,
                by=by,
                at=now,
                balances=balances[pk],
                visit_id=order.visit_id,
                preparation=preparation,
                notes=f"{volume} mL",
            )
            for pk, volume, mg in planned
        ]
        # In the draw's transaction: the entries and their audit line commit together.
        audit(
            AuditAction.CREATE,
            by,
            "stock_draw",
            preparation.pk,
            patient_id=order.visit.patient_id,
            visit=order.visit_id,
            draws=[f"{locked[pk].label}: {volume} mL = {mg} mg" for pk, volume, mg in planned],
        )
    return entries


def lots_drawn(preparation: SyringePreparation) -> str:
    """The lot numbers the syringe came from, for the preparation's own label."""
    lots = (
        StockEntry.objects.filter(preparation=preparation, kind=EntryKind.DRAWN)
        .values_list("container__lot__lot_number", flat=True)
        .order_by("container__lot__lot_number")
        .distinct()
    )
    return ", ".join(lots)


@dataclass(frozen=True)
class SyringeFigures:
    """What closing the syringe would record, shown to the nurse before the witness signs."""

    preparation: SyringePreparation
    drawn_mg: Decimal
    given_mg: Decimal
    wasted_mg: Decimal
    given_source: str


def syringe_figures(preparation: SyringePreparation) -> SyringeFigures:
    """Drawn from the stock record; given from the pump's record of the visit.

    Only the syringe that was on the pump (the newest verified one for the order in
    force) was given; any other syringe of the visit was never hung, so all of it is waste.
    """
    order = preparation.order
    visit = order.visit
    drawn = ledger.mg_of(
        StockEntry.objects.filter(preparation=preparation, kind=EntryKind.DRAWN).aggregate(
            total=Sum("mg")
        )["total"]
        or 0
    )
    hung = verified_syringe(visit)
    given = Decimal("0.00")
    source = "never on the pump: not the verified syringe of the order in force"
    if hung is not None and hung.pk == preparation.pk:
        dose = delivered_dose(visit)
        if dose is not None:
            # The pump was programmed with the order's VTBI and stops there: a stop
            # pressed after the syringe ran out does not add to what was given.
            vtbi_ml = float(dose.order.plan.get("vtbi_ml", dose.pump.infused_ml))
            infused_ml = min(dose.pump.infused_ml, vtbi_ml)
            given = ledger.mg_of(infused_ml * float(dose.order.concentration_mg_per_ml))
            source = (
                f"pump record: {infused_ml:.2f} mL infused at "
                f"{dose.order.concentration_mg_per_ml} mg/mL"
            )
            if dose.pump.infused_ml > vtbi_ml:
                source += " (the whole VTBI)"
    return SyringeFigures(
        preparation=preparation,
        drawn_mg=drawn,
        given_mg=given,
        wasted_mg=drawn - given,
        given_source=source,
    )


def syringe_account(
    preparation: SyringePreparation, *, by: User, witness: WitnessCredentials | None
) -> SyringeAccount:
    """Close the syringe: given per the pump, the rest wasted before a witness."""
    require_role(by, DRAW_ROLES, "account for a syringe")
    # The state as stored now: the caller's preparation may carry a visit read earlier.
    visit = Visit.objects.get(pk=preparation.order.visit_id)
    if visit.state not in ACCOUNTABLE_STATES:
        raise ValidationError(
            {"visit": ACCOUNT_TOO_EARLY.format(state=visit.get_state_display().lower())}
        )
    figures = syringe_figures(preparation)
    if figures.drawn_mg <= 0:
        raise ValidationError({"preparation": ACCOUNT_NOTHING_DRAWN})
    if figures.wasted_mg < 0:
        raise ValidationError(
            {
                "given_mg": ACCOUNT_GIVEN_EXCEEDS.format(
                    given=figures.given_mg, drawn=figures.drawn_mg
                )
            }
        )
    confirmed = (
        witness_confirm(witness, actor=by, field="witness") if figures.wasted_mg > 0 else None
    )
    return _account(figures, by=by, witness=confirmed)


@transaction.atomic
def _account(figures: SyringeFigures, *, by: User, witness: User | None) -> SyringeAccount:
    preparation = SyringePreparation.objects.select_for_update().get(pk=figures.preparation.pk)
    if SyringeAccount.objects.filter(preparation=preparation).exists():
        raise ValidationError({"preparation": ACCOUNT_AGAIN})
    draws = list(
        StockEntry.objects.filter(preparation=preparation, kind=EntryKind.DRAWN).order_by("id")
    )
    locked = ledger.lock_containers(entry.container_id for entry in draws)
    balances = ledger.container_buckets(locked)
    # Net drawn per container (a corrected draw counts as corrected), in the order drawn.
    drawn_by_container: dict[int, Decimal] = {}
    for entry in draws:
        drawn_by_container[entry.container_id] = (
            drawn_by_container.get(entry.container_id, Decimal(0)) + entry.mg
        )
    if sum(drawn_by_container.values(), Decimal(0)) != figures.drawn_mg:
        raise ValidationError(
            {"preparation": "The draws changed while this was open: reload the page."}
        )
    visit = preparation.order.visit
    now = timezone.now()
    to_give = figures.given_mg
    # What was given is attributed to the containers in the order they were drawn; the
    # remainder of each is its waste. Exact in hundredths of a mg, so per-lot sums close.
    for container_id, drawn in drawn_by_container.items():
        given_here = min(drawn, to_give)
        to_give -= given_here
        wasted_here = drawn - given_here
        container = locked[container_id]
        if given_here > 0:
            ledger.post(
                container=container,
                kind=EntryKind.GIVEN,
                mg=given_here,
                by=by,
                at=now,
                balances=balances[container_id],
                visit=visit,
                preparation=preparation,
            )
        if wasted_here > 0:
            ledger.post(
                container=container,
                kind=EntryKind.WASTED,
                mg=wasted_here,
                by=by,
                at=now,
                balances=balances[container_id],
                visit=visit,
                preparation=preparation,
                witness=witness,
            )
    account = SyringeAccount.objects.create(
        preparation=preparation,
        visit=visit,
        drawn_mg=figures.drawn_mg,
        given_mg=figures.given_mg,
        wasted_mg=figures.wasted_mg,
        given_source=figures.given_source,
        by=by,
        witness=witness,
        at=now,
    )
    audit(
        AuditAction.CREATE,
        by,
        "syringe_account",
        account.pk,
        patient_id=visit.patient_id,
        visit=visit.pk,
        preparation=preparation.pk,
        drawn_mg=figures.drawn_mg,
        given_mg=figures.given_mg,
        wasted_mg=figures.wasted_mg,
        witness=witness.username if witness else "",
    )
    return account
