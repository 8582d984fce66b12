"""Every controlled-substance service against every role: the custodian and prescribers
keep the stock, nurses and prescribers draw and account, only the clinic lead resolves a
discrepancy; anyone else (or a deactivated keeper) is refused and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory.enums import (
    DiscrepancyOutcome,
    DisposalMethod,
    DisposalReason,
    EntryKind,
)
from ketamine_clinic.inventory.models import (
    Count,
    CountClosure,
    CountEntry,
    DeaRegistration,
    DiscrepancyResolution,
    StockEntry,
    Supplier,
    SyringeAccount,
)
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
    unresolved_discrepancies,
)
from ketamine_clinic.inventory.services.stock import (
    RemovalRequest,
    entry_correct,
    registration_record,
    stock_receive,
    stock_remove,
    supplier_save,
)
from ketamine_clinic.inventory.services.use import DrawLine, syringe_account, syringe_draw
from ketamine_clinic.visits.enums import VisitState
from tests.conftest import make_staff
from tests.inventory.support import (
    CLINIC_DEA,
    Stock,
    cheap_order,
    preparation,
    row_counts,
    today,
    witness,
)

pytestmark = pytest.mark.django_db

KEEPERS = {Role.CUSTODIAN, Role.PRESCRIBER}
DRAWERS = {Role.NURSE, Role.PRESCRIBER}
LEADS = {Role.CLINIC_LEAD}
PEOPLE = [*(role.value for role in Role), "no_role"]
WRITTEN = (
    StockEntry,
    DeaRegistration,
    Supplier,
    Count,
    CountEntry,
    CountClosure,
    DiscrepancyResolution,
    SyringeAccount,
    AuditEntry,
)


def _other_witness(personas: dict[str, User], actor: User) -> User:
    return personas["prescriber"] if actor == personas["nurse"] else personas["nurse"]


Act = Callable[[User], object]


def _setup(name: str, personas: dict[str, User]) -> Act:
    """The state the service needs, made by someone allowed; returns the act to try."""
    keeper, nurse = personas["custodian"], personas["nurse"]
    store = Stock(keeper)
    a, b = store.receive("K2611A")

    if name == "registration_record":
        return lambda actor: registration_record(
            by=actor,
            number=CLINIC_DEA,
            registrant_name="Clinic",
            address="1 Quay",
            expires_on=today() + timedelta(days=700),
        )
    if name == "supplier_save":
        return lambda actor: supplier_save(
            by=actor, name="Second Distribution", address="2 Depot Road", dea_number="AB0000000"
        )
    if name == "stock_receive":
        return lambda actor: stock_receive(store.request("K2612B"), by=actor)
    if name == "stock_remove":
        request = RemovalRequest(a, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED)
        return lambda actor: stock_remove(
            request, by=actor, witness=witness(_other_witness(personas, actor))
        )
    if name == "entry_correct":
        received = StockEntry.objects.get(container=a, kind=EntryKind.RECEIVED)
        return lambda actor: entry_correct(
            received,
            by=actor,
            difference_mg=Decimal("-1.00"),
            reason="Short fill",
            witness=witness(_other_witness(personas, actor)),
        )
    if name == "count_start":
        return lambda actor: count_start(by=actor)
    count = count_start(by=keeper)
    if name == "count_enter":
        return lambda actor: count_enter(count, by=actor, container=a, counted_ml=Decimal("10"))
    for who in ("custodian", "prescriber"):
        for vial in (a, b):
            count_enter(count, by=personas[who], container=vial, counted_ml=Decimal("9.90"))
    if name == "count_close":
        return lambda actor: count_close(count, by=actor)
    count_close(count, by=keeper)
    if name == "discrepancy_resolve":
        first = unresolved_discrepancies()[0]
        return lambda actor: discrepancy_resolve(
            first, by=actor, outcome=DiscrepancyOutcome.LOSS, notes="Investigated"
        )
    order = cheap_order(personas["prescriber"], state=VisitState.RECOVERY)
    syringe = preparation(order, nurse)
    if name == "syringe_draw":
        return lambda actor: syringe_draw(syringe, [DrawLine(b.pk, Decimal("1.00"))], by=actor)
    syringe_draw(syringe, [DrawLine(b.pk, Decimal("1.00"))], by=nurse)
    assert name == "syringe_account", name
    return lambda actor: syringe_account(
        syringe, by=actor, witness=witness(_other_witness(personas, actor))
    )


SERVICES: dict[str, set[Role]] = {
    "registration_record": KEEPERS,
    "supplier_save": KEEPERS,
    "stock_receive": KEEPERS,
    "stock_remove": KEEPERS,
    "entry_correct": KEEPERS,
    "count_start": KEEPERS,
    "count_enter": KEEPERS,
    "count_close": KEEPERS,
    "discrepancy_resolve": LEADS,
    "syringe_draw": DRAWERS,
    "syringe_account": DRAWERS,
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("service", list(SERVICES))
def test_each_service_serves_exactly_its_roles(
    personas: dict[str, User], service: str, person: str
) -> None:
    act = _setup(service, personas)
    actor = personas[person]
    before = row_counts(*WRITTEN)
    if person in SERVICES[service]:
        assert act(actor) is not None
        assert row_counts(*WRITTEN) != before
    else:
        with pytest.raises(PermissionDenied, match=r"^Only an? .+ may "):
            act(actor)
        assert row_counts(*WRITTEN) == before


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_deactivated_holder_of_the_right_role_is_refused(
    personas: dict[str, User], service: str
) -> None:
    act = _setup(service, personas)
    role = sorted(SERVICES[service])[0]
    former = make_staff(f"former_{role.value}", role)
    former.is_active = False
    former.save(update_fields=["is_active"])
    before = row_counts(*WRITTEN)
    with pytest.raises(PermissionDenied):
        act(former)
    assert row_counts(*WRITTEN) == before
