"""`ketamine-clinic audit verify` through the CLI entry point, on a trail tampered by hand."""

from __future__ import annotations

import dataclasses

import pytest
from django.db.utils import DatabaseError

from ketamine_clinic.audit import selectors
from ketamine_clinic.audit.chain import entry_hash
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.cli import main
from tests.audit.tampering import tamper

Outcome = tuple[int, str, str]


@pytest.fixture
def trail(db: None) -> list[AuditEntry]:
    """Five entries, seq 1..5 (each test starts from an empty trail)."""
    entries = [
        audit_record(
            action=AuditAction.READ,
            actor=None,
            object_type="patient",
            object_id=n,
            patient_id=n,
            reason=f"reason {n}",
            detail={"n": n, "nested": {"b": [n, "x"], "a": True}},
        )
        for n in range(1, 6)
    ]
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    return entries


def verify(capsys: pytest.CaptureFixture[str]) -> Outcome:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def forge(seq: int, prev_hash: str, like: AuditEntry, **changes: object) -> AuditEntry:
    """Insert a row that is internally consistent (its hash is right for its fields)."""
    fields = dataclasses.replace(like.chain_fields(), seq=seq, **changes)  # type: ignore[arg-type]
    return AuditEntry.objects.create(
        **AuditEntry.row_values(fields, prev_hash=prev_hash, hash_=entry_hash(prev_hash, fields))
    )


def test_an_intact_trail_exits_0_with_the_count_and_the_head(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify(capsys) == (
        0,
        f"audit trail intact: 5 entries (head seq 5, hash {trail[-1].hash})\n",
        "",
    )


def test_an_empty_trail_is_intact(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(capsys) == (
        0,
        f"audit trail intact: 0 entries (head seq 0, hash {'0' * 64})\n",
        "",
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "nothing to see here"),
        ("action", "create"),
        ("actor_username", "someone_else"),
        ("patient_id", "4"),
        ("client_address", "203.0.113.9"),
    ],
)
def test_a_row_changed_by_hand_fails_and_names_that_entry(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    # `column` comes from the parametrize list above, never from input.
    sql = f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3"  # noqa: S608
    assert tamper(sql, [value]) == 1

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 3 (id {trail[2].pk}): "
        "its contents were altered (hash does not match)\n",
    )


def test_a_row_whose_hash_was_recomputed_after_the_change_breaks_the_next_link(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    fields = dataclasses.replace(trail[2].chain_fields(), reason="rewritten")
    new_hash = entry_hash(trail[2].prev_hash, fields)
    tamper(
        "UPDATE audit_auditentry SET reason = %s, hash = %s WHERE seq = 3", ["rewritten", new_hash]
    )

    code, _, err = verify(capsys)

    assert code == 1
    assert err == (
        f"audit trail BROKEN at audit entry seq 4 (id {trail[3].pk}): "
        "its link to the previous entry does not match\n"
    )


def test_deleting_a_middle_row_fails_at_the_entry_after_the_gap(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    tamper("DELETE FROM audit_auditentry WHERE seq = 3")

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 4 (id {trail[3].pk}): "
        "expected seq 3: an entry is missing before it\n",
    )


def test_deleting_the_last_row_fails_because_the_head_is_ahead(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    tamper("DELETE FROM audit_auditentry WHERE seq = 5")

    assert verify(capsys) == (
        1,
        "",
        "audit trail BROKEN at audit trail: the chain ends at seq 4 but its head records "
        "seq 5: entries were deleted from the end or the head was altered\n",
    )


def test_deleting_the_last_row_and_winding_back_the_head_still_fails(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    # The attacker also fixes the head: only an outside copy of the head catches this,
    # which is why verify prints it. Here the head's hash gives it away.
    tamper("DELETE FROM audit_auditentry WHERE seq = 5")
    tamper("UPDATE audit_auditchainhead SET last_seq = 4 WHERE id = 1")

    code, _, err = verify(capsys)

    assert code == 1
    assert "its head records seq 4" in err


def test_a_forged_row_appended_past_the_head_fails_and_names_it(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    forged = forge(6, trail[-1].hash, trail[-1], reason="forged")

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 6 (id {forged.pk}): it lies beyond the "
        "chain head (seq 5): it was inserted outside the audit service\n",
    )


def test_a_forged_row_slipped_into_the_middle_fails_at_the_entry_after_it(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    # Make room at seq 3 (two steps: seq is unique), insert a row that links to seq 2
    # correctly, and move the head on so the count adds up.
    tamper("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq >= 3")
    tamper("UPDATE audit_auditentry SET seq = seq - 999 WHERE seq >= 1003")
    forge(3, trail[1].hash, trail[1], reason="forged")
    tamper("UPDATE audit_auditchainhead SET last_seq = 6 WHERE id = 1")

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 4 (id {trail[2].pk}): "
        "its link to the previous entry does not match\n",
    )


def test_a_forged_row_inserted_before_the_first_fails_as_out_of_order(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    forged = forge(0, "0" * 64, trail[0], reason="forged")

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 0 (id {forged.pk}): "
        "expected seq 1: it is out of order or duplicated\n",
    )


def test_two_rows_swapped_fail_at_the_first_position(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    tamper("UPDATE audit_auditentry SET seq = -1 WHERE seq = 2")
    tamper("UPDATE audit_auditentry SET seq = 2 WHERE seq = 3")
    tamper("UPDATE audit_auditentry SET seq = 3 WHERE seq = -1")

    assert verify(capsys) == (
        1,
        "",
        f"audit trail BROKEN at audit entry seq 2 (id {trail[2].pk}): "
        "its link to the previous entry does not match\n",
    )


def test_a_deleted_head_row_makes_every_entry_stray(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]
) -> None:
    tamper("DELETE FROM audit_auditchainhead")

    code, _, err = verify(capsys)

    assert code == 1
    assert err == (
        f"audit trail BROKEN at audit entry seq 1 (id {trail[0].pk}): it lies beyond the "
        "chain head (seq 0): it was inserted outside the audit service\n"
    )


def test_entries_appended_while_verify_runs_are_not_taken_for_forgeries(
    trail: list[AuditEntry], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_head = selectors.audit_chain_head
    calls: list[int] = []

    def head_then_a_writer_appends() -> tuple[int, str]:
        head = real_head()
        if not calls:
            audit_record(action=AuditAction.READ, actor=None, reason="written during verify")
        calls.append(head[0])
        return head

    monkeypatch.setattr(selectors, "audit_chain_head", head_then_a_writer_appends)

    code, out, _ = verify(capsys)

    assert code == 0
    assert out.startswith("audit trail intact: 5 entries")
    assert calls[:2] == [5, 6]  # the verify read the head before and after


def test_an_unreadable_trail_is_a_one_line_error_with_exit_2(
    db: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable() -> tuple[int, None]:
        raise DatabaseError('relation "audit_auditentry" does not exist')

    monkeypatch.setattr(selectors, "audit_chain_verify", unreadable)

    assert verify(capsys) == (
        2,
        "",
        "ketamine-clinic: error: audit verify: cannot read the audit trail: "
        'relation "audit_auditentry" does not exist\n',
    )
