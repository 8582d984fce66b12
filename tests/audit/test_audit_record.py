"""audit_record: what an entry holds, and what it refuses to store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.chain import GENESIS_HASH, canonical_bytes, entry_hash
from ketamine_clinic.audit.context import AuditContext, audit_context
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.audit.services import AuditDetailError, audit_record

NESTED_DETAIL: dict[str, Any] = {
    "zeta": 1,
    "alpha": {"b": [1, "two", True, None, {"y": "é ✓", "x": -5}], "a": ""},
    "mid": False,
    "long key name": ["", [], {}],
    "big": 2**62,
}


def test_an_entry_records_who_what_where_and_links_to_the_previous_one(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    before = AuditEntry.objects.order_by("-seq").first()
    context = AuditContext(request_id="req-0123456789", client_address="10.1.2.3", channel="web")

    with (
        time_machine.travel(datetime(2026, 5, 4, 13, 30, 15, 123456, tzinfo=UTC), tick=False),
        audit_context(context),
    ):
        entry = audit_record(
            action=AuditAction.READ,
            actor=nurse,
            object_type="patient",
            object_id=42,
            patient_id=42,
            reason="checking allergies",
            detail={"section": "chart"},
        )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.seq == (before.seq + 1 if before else 1)
    assert stored.prev_hash == (before.hash if before else GENESIS_HASH)
    assert stored.at == datetime(2026, 5, 4, 13, 30, 15, 123456, tzinfo=UTC)
    assert stored.actor_id == nurse.pk
    assert stored.actor_username == "p_nurse"
    assert stored.actor_roles == "nurse"
    assert stored.actor_role_labels == ["Nurse"]
    assert stored.action == "read"
    assert (stored.object_type, stored.object_id, stored.patient_id) == ("patient", "42", "42")
    assert (stored.request_id, stored.client_address, stored.channel) == (
        "req-0123456789",
        "10.1.2.3",
        "web",
    )
    assert stored.reason == "checking allergies"
    assert stored.detail == {"section": "chart"}
    assert stored.hash == entry_hash(stored.prev_hash, stored.chain_fields())
    head = AuditChainHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (stored.seq, stored.hash)


def test_a_failed_sign_in_names_the_account_it_tried_without_an_actor(db: None) -> None:
    entry = audit_record(action=AuditAction.SIGN_IN_FAILED, actor=None, actor_username="mallory")

    assert entry.actor_id is None
    assert entry.actor_username == "mallory"
    assert entry.actor_roles == ""


def test_a_nested_detail_reads_back_identically_and_still_hashes_the_same(db: None) -> None:
    entry = audit_record(action=AuditAction.READ, actor=None, detail=NESTED_DETAIL)

    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.detail == NESTED_DETAIL
    assert canonical_bytes(stored.chain_fields()) == canonical_bytes(entry.chain_fields())
    assert entry_hash(stored.prev_hash, stored.chain_fields()) == stored.hash
    if connection.vendor == "postgresql":
        # jsonb really does reorder keys (shorter first), which is why the encoding sorts.
        assert list(stored.detail) == ["big", "mid", "zeta", "alpha", "long key name"]
    else:
        assert list(stored.detail) == list(NESTED_DETAIL)
    assert audit_chain_verify()[1] is None


def test_the_entry_keeps_the_detail_as_it_was_when_recorded(db: None) -> None:
    detail: dict[str, Any] = {"ids": [1, 2]}
    entry = audit_record(action=AuditAction.READ, actor=None, detail=detail)

    detail["ids"].append(3)

    assert entry.detail == {"ids": [1, 2]}
    assert audit_chain_verify()[1] is None


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            {"detail": {"dose_mg": 12.5}},
            "detail['dose_mg'] is of type float; only str, int, bool, None and lists/dicts "
            "of those are allowed",
        ),
        (
            {"detail": {"at": datetime(2026, 1, 1, tzinfo=UTC)}},
            "detail['at'] is of type datetime; only str, int, bool, None and lists/dicts "
            "of those are allowed",
        ),
        (
            {"detail": {"ids": {1, 2}}},
            "detail['ids'] is of type set; only str, int, bool, None and lists/dicts of "
            "those are allowed",
        ),
        ({"detail": {"q": "a\x00"}}, "detail['q'] contains a NUL character"),
        ({"reason": "because\x00"}, "reason contains a NUL character"),
        ({"object_id": "x" * 65}, "object_id is 65 characters long; at most 64 fit"),
        ({"detail": ["not", "a", "dict"]}, "detail is a list, not a dict"),
    ],
)
def test_it_refuses_values_that_would_not_read_back_identically(
    db: None, arguments: dict[str, Any], problem: str
) -> None:
    count = AuditEntry.objects.count()

    with pytest.raises(AuditDetailError) as refused:
        audit_record(action=AuditAction.READ, actor=None, **arguments)

    assert str(refused.value) == f"audit_record: cannot store this entry: {problem}"
    assert AuditEntry.objects.count() == count


def test_entries_written_in_a_rolled_back_transaction_leave_no_trace(db: None) -> None:
    from django.db import transaction

    first = audit_record(action=AuditAction.READ, actor=None)

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=AuditAction.CREATE, actor=None)
        raise RuntimeError("the write it recorded failed")

    after = audit_record(action=AuditAction.READ, actor=None)
    assert after.seq == first.seq + 1
    assert after.prev_hash == first.hash
    assert audit_chain_verify()[1] is None
