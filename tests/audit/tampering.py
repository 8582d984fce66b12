"""Changing audit rows behind the service's back, as an attacker with database access would.

On PostgreSQL the append-only triggers refuse such changes, so the helpers switch the
tables' user triggers off inside the test's own transaction (DDL is transactional
there, and the test's rollback switches them back on). That lets the tests of
`audit verify` run on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection

AUDIT_TABLES = ("audit_auditentry", "audit_auditchainhead")


@contextmanager
def triggers_off() -> Iterator[None]:
    """Run the body with the audit tables' user triggers disabled (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for table in AUDIT_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def tamper(sql: str, params: Sequence[Any] = ()) -> int:
    """Execute raw SQL against the audit tables; return the number of rows it touched."""
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
