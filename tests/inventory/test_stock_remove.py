"""Disposal and returns: everything left in the vial leaves, before one witness for a
return and two for destruction on site or breakage; the witnesses re-enter their own
password (and code), are licensed, and are neither the actor nor each other."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import is_locked
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory import witness as witness_rules
from ketamine_clinic.inventory.enums import Bucket, DisposalMethod, DisposalReason, EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services import stock
from ketamine_clinic.inventory.services.stock import RemovalRequest, stock_remove, witnesses_needed
from ketamine_clinic.inventory.services.use import DrawLine, syringe_draw
from ketamine_clinic.inventory.witness import WitnessCredentials
from tests.conftest import make_staff
from tests.inventory.support import (
    LEDGER_MODELS,
    Stock,
    cheap_order,
    entries,
    preparation,
    row_counts,
    witness,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def vials(personas: dict[str, User]) -> list[Container]:
    return Stock(personas["custodian"]).receive("K2611A", containers=3)


def _remove(
    container: Container,
    by: User,
    method: DisposalMethod,
    reason: DisposalReason,
    first: WitnessCredentials | None,
    second: WitnessCredentials | None = None,
    notes: str = "",
) -> StockEntry:
    return stock_remove(
        RemovalRequest(
            container=container,
            method=method,
            reason=reason,
            reference="Form 41 #2026-007",
            notes=notes,
        ),
        by=by,
        witness=first,
        second_witness=second,
    )


@pytest.mark.parametrize(
    ("method", "reason", "needed"),
    [
        (DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED, 1),
        (DisposalMethod.REVERSE_DISTRIBUTOR, DisposalReason.EXPIRED, 1),
        (DisposalMethod.REVERSE_DISTRIBUTOR, DisposalReason.DAMAGED, 2),
        (DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.EXPIRED, 2),
        (DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.CONTAMINATED, 2),
    ],
)
def test_witnesses_needed(method: DisposalMethod, reason: DisposalReason, needed: int) -> None:
    assert witnesses_needed(method, reason) == needed


def test_a_return_needs_one_witness_and_takes_everything_on_hand(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    entry = _remove(
        vials[0], keeper, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED, witness(nurse)
    )
    assert (entry.kind, entry.mg, entry.witness, entry.second_witness) == (
        EntryKind.RETURNED,
        Decimal("500.00"),
        nurse,
        None,
    )
    assert (entry.method, entry.reason, entry.reference) == (
        DisposalMethod.SUPPLIER_RETURN,
        DisposalReason.RECALLED,
        "Form 41 #2026-007",
    )
    [balance] = lot_balances()
    assert balance.buckets[Bucket.RETURNED] == Decimal("500.00")
    assert balance.buckets[Bucket.ON_HAND] == Decimal("1000.00")
    assert balance.balances
    [line] = AuditEntry.objects.filter(object_type="stock_entry")
    assert (line.actor, line.detail["witness"], line.detail["mg"]) == (
        keeper,
        nurse.username,
        "500.00",
    )


def test_destruction_on_site_needs_a_second_witness(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse, prescriber = personas["custodian"], personas["nurse"], personas["prescriber"]
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _remove(
            vials[0], keeper, DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.EXPIRED,
            witness(nurse),
        )  # fmt: skip
    assert refused.value.message_dict == {"second_witness": [witness_rules.WITNESS_MISSING]}
    with pytest.raises(ValidationError) as twice:
        _remove(
            vials[0], keeper, DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.EXPIRED,
            witness(nurse), witness(nurse),
        )  # fmt: skip
    assert twice.value.message_dict == {"second_witness": [witness_rules.WITNESS_TWICE]}
    assert row_counts(*LEDGER_MODELS) == before
    entry = _remove(
        vials[0], keeper, DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.EXPIRED,
        witness(nurse), witness(prescriber),
    )  # fmt: skip
    assert (entry.kind, entry.mg, entry.witness, entry.second_witness) == (
        EntryKind.DISPOSED,
        Decimal("500.00"),
        nurse,
        prescriber,
    )


def test_a_broken_vial_returned_needs_two_witnesses_too(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse, prescriber = personas["custodian"], personas["nurse"], personas["prescriber"]
    with pytest.raises(ValidationError) as refused:
        _remove(
            vials[1], keeper, DisposalMethod.REVERSE_DISTRIBUTOR, DisposalReason.DAMAGED,
            witness(nurse),
        )  # fmt: skip
    assert list(refused.value.message_dict) == ["second_witness"]
    entry = _remove(
        vials[1], keeper, DisposalMethod.REVERSE_DISTRIBUTOR, DisposalReason.DAMAGED,
        witness(nurse), witness(prescriber),
    )  # fmt: skip
    assert (entry.kind, entry.second_witness) == (EntryKind.RETURNED, prescriber)


def test_a_partly_used_vial_disposes_of_what_is_left(
    personas: dict[str, User], vials: list[Container]
) -> None:
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    syringe = preparation(cheap_order(prescriber), nurse, stock_ml="0.73")
    syringe_draw(syringe, [DrawLine(vials[0].pk, Decimal("0.73"))], by=nurse)
    entry = _remove(
        vials[0], prescriber, DisposalMethod.ON_SITE_DESTRUCTION, DisposalReason.CONTAMINATED,
        witness(nurse), witness(personas["custodian"]),
    )  # fmt: skip
    assert entry.mg == Decimal("463.50")  # 500.00 - 0.73 mL x 50 mg/mL
    assert entries(vials[0]) == [
        (EntryKind.RECEIVED, Decimal("500.00")),
        (EntryKind.DRAWN, Decimal("36.50")),
        (EntryKind.DISPOSED, Decimal("463.50")),
    ]


def test_an_empty_vial_cannot_be_removed_again(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    _remove(
        vials[2], keeper, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED, witness(nurse)
    )
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _remove(
            vials[2], keeper, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED,
            witness(nurse),
        )  # fmt: skip
    assert refused.value.message_dict == {
        "container": [stock.DISPOSE_NOTHING.format(label="K2611A-03")]
    }
    assert row_counts(*LEDGER_MODELS) == before


def test_other_needs_notes(personas: dict[str, User], vials: list[Container]) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    with pytest.raises(ValidationError) as refused:
        _remove(
            vials[0], keeper, DisposalMethod.SUPPLIER_RETURN, DisposalReason.OTHER,
            witness(nurse), notes="  ",
        )  # fmt: skip
    assert refused.value.message_dict == {"notes": [stock.OTHER_NEEDS_NOTES]}
    entry = _remove(
        vials[0], keeper, DisposalMethod.SUPPLIER_RETURN, DisposalReason.OTHER,
        witness(nurse), notes=" Label unreadable ",
    )  # fmt: skip
    assert entry.notes == "Label unreadable"


# ---- the witness ------------------------------------------------------------------------


def _return_with(vial: Container, by: User, credentials: WitnessCredentials | None) -> StockEntry:
    return _remove(vial, by, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED, credentials)


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        WitnessCredentials("", "x"),
        WitnessCredentials("p_nurse", ""),
        WitnessCredentials(" ", "pw"),
    ],
)
def test_a_missing_witness_is_named(
    personas: dict[str, User], vials: list[Container], credentials: WitnessCredentials | None
) -> None:
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], personas["custodian"], credentials)
    assert refused.value.message_dict == {"witness": [witness_rules.WITNESS_MISSING]}
    assert row_counts(*LEDGER_MODELS) == before


def test_a_wrong_password_is_refused_audited_and_counts_towards_the_lock(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], keeper, witness(nurse, password="not-the-password"))
    assert refused.value.message_dict == {"witness": [witness_rules.WITNESS_REFUSED]}
    assert row_counts(*LEDGER_MODELS) == before
    [failure] = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert (failure.actor, failure.detail["failure"]) == (nurse, "wrong_password")
    nurse.refresh_from_db()
    assert nurse.failed_sign_ins == 1
    for _ in range(settings.KC_SIGN_IN_MAX_FAILURES - 1):
        with pytest.raises(ValidationError):
            _return_with(vials[0], keeper, witness(nurse, password="still-wrong"))
    nurse.refresh_from_db()
    assert is_locked(nurse)
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_LOCKED, actor=nurse).count() == 1
    # Locked: even the right password is refused now.
    with pytest.raises(ValidationError) as locked:
        _return_with(vials[0], keeper, witness(nurse))
    assert list(locked.value.message_dict) == ["witness"]
    assert row_counts(*LEDGER_MODELS) == before


def test_an_unknown_witness_is_refused_like_a_wrong_password(
    personas: dict[str, User], vials: list[Container]
) -> None:
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], personas["custodian"], WitnessCredentials("nobody", "pw"))
    assert refused.value.message_dict == {"witness": [witness_rules.WITNESS_REFUSED]}


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_witness_with_an_authenticator_must_enter_a_valid_code(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    device = TOTPDevice.objects.create(user=nurse, name="Phone", confirmed=True)
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as no_code:
        _return_with(vials[0], keeper, witness(nurse))
    assert no_code.value.message_dict == {"witness": [witness_rules.WITNESS_CODE_MISSING]}
    valid = _code(device)
    wrong = f"{(int(valid) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as bad_code:
        _return_with(vials[0], keeper, witness(nurse, code=wrong))
    assert bad_code.value.message_dict == {"witness": [witness_rules.WITNESS_CODE_REFUSED]}
    assert row_counts(*LEDGER_MODELS) == before
    failure = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED).get()
    assert failure.detail["failure"] == "wrong_code"
    # django-otp throttles after a wrong code; a later code is accepted once that lapses.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    entry = _return_with(vials[0], keeper, witness(nurse, code=_code(device)))
    assert entry.witness == nurse


def test_an_unconfirmed_authenticator_asks_for_no_code(
    personas: dict[str, User], vials: list[Container]
) -> None:
    nurse = personas["nurse"]
    TOTPDevice.objects.create(user=nurse, name="Phone", confirmed=False)
    assert _return_with(vials[0], personas["custodian"], witness(nurse)).witness == nurse


def test_the_actor_cannot_witness_their_own_act(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper = personas["custodian"]
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], keeper, witness(keeper))
    assert refused.value.message_dict == {"witness": [witness_rules.WITNESS_IS_ACTOR]}
    assert StockEntry.objects.exclude(kind=EntryKind.RECEIVED).count() == 0


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_LEAD, Role.ADMINISTRATOR, None])
def test_only_a_licensed_person_can_witness(
    personas: dict[str, User], vials: list[Container], role: Role | None
) -> None:
    who = personas[role.value if role else "no_role"]
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], personas["custodian"], witness(who))
    assert refused.value.message_dict == {
        "witness": [witness_rules.WITNESS_NOT_LICENSED.format(name=who.display_name)]
    }
    assert StockEntry.objects.exclude(kind=EntryKind.RECEIVED).count() == 0


def test_a_witness_holding_a_licensed_role_among_others_may_witness(
    personas: dict[str, User], vials: list[Container]
) -> None:
    both = make_staff("desk_and_nurse", Role.FRONT_DESK, Role.NURSE)
    assert _return_with(vials[0], personas["prescriber"], witness(both)).witness == both


def test_a_deactivated_witness_is_refused_even_with_the_right_password(
    personas: dict[str, User], vials: list[Container]
) -> None:
    nurse = personas["nurse"]
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as refused:
        _return_with(vials[0], personas["custodian"], witness(nurse))
    assert refused.value.message_dict == {"witness": [witness_rules.WITNESS_REFUSED]}
    [failure] = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED)
    assert failure.detail["failure"] == "inactive"
    assert StockEntry.objects.exclude(kind=EntryKind.RECEIVED).count() == 0
