"""On PostgreSQL the database itself refuses to change or remove audit rows."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ketamine_clinic.audit.chain import GENESIS_HASH
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.audit.services import audit_record
from tests.audit.tampering import tamper

REFUSED = "audit entries are append-only"

# A module name that starts with a digit can only be imported by name.
migration = importlib.import_module(
    "ketamine_clinic.audit.migrations.0002_append_only_triggers_and_chain_head"
)


@pytest.fixture
def entry(db: None) -> AuditEntry:
    audit_record(action=AuditAction.READ, actor=None, reason="first")
    return audit_record(action=AuditAction.READ, actor=None, reason="second")


@pytest.mark.postgres
def test_updating_an_entry_is_refused(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="edited")

    assert AuditEntry.objects.get(pk=entry.pk).reason == "second"


@pytest.mark.postgres
def test_saving_a_changed_entry_through_the_orm_is_refused(entry: AuditEntry) -> None:
    entry.action = AuditAction.CREATE

    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).action == "read"


@pytest.mark.postgres
def test_deleting_an_entry_is_refused(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
def test_raw_sql_cannot_update_or_delete_entries_either(entry: AuditEntry) -> None:
    for sql in (
        "UPDATE audit_auditentry SET reason = 'x'",
        "DELETE FROM audit_auditentry WHERE seq = %s",
    ):
        with (
            pytest.raises(DatabaseError, match=f"{REFUSED}: (UPDATE|DELETE) on audit_auditentry"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.seq] if "%s" in sql else None)

    assert audit_chain_verify()[1] is None


@pytest.mark.postgres
def test_truncating_the_trail_is_refused(entry: AuditEntry) -> None:
    with (
        pytest.raises(DatabaseError, match=f"{REFUSED}: TRUNCATE on audit_auditentry"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditentry")

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
def test_the_chain_head_cannot_be_wound_back_or_removed(entry: AuditEntry) -> None:
    with (
        pytest.raises(DatabaseError, match="the chain head may only advance by one entry"),
        transaction.atomic(),
    ):
        AuditChainHead.objects.filter(id=1).update(last_seq=entry.seq - 1)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AuditChainHead.objects.filter(id=1).delete()
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditchainhead")

    assert AuditChainHead.objects.get(id=1).last_seq == entry.seq
    # Appending, which moves the head on by one, still works.
    after = audit_record(action=AuditAction.READ, actor=None)
    assert after.seq == entry.seq + 1
    assert audit_chain_verify()[1] is None


def _run_create_head_row() -> None:
    schema_editor = SimpleNamespace(connection=connection)
    migration.create_head_row(apps, schema_editor)


def test_the_migration_creates_the_head_row_at_the_genesis(db: None) -> None:
    tamper("DELETE FROM audit_auditchainhead")

    _run_create_head_row()

    head = AuditChainHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (0, GENESIS_HASH)


def test_the_head_row_migration_leaves_an_existing_head_alone(db: None) -> None:
    entry = audit_record(action=AuditAction.READ, actor=None)

    _run_create_head_row()

    head = AuditChainHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (entry.seq, entry.hash)


def test_sqlite_has_no_triggers_so_verify_is_what_catches_changes_there(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite fact")
    audit_record(action=AuditAction.READ, actor=None, reason="first")

    changed = AuditEntry.objects.filter(reason="first").update(reason="edited")

    assert changed == 1
    broken = audit_chain_verify()[1]
    assert broken is not None
    assert broken.reason == "its contents were altered (hash does not match)"
