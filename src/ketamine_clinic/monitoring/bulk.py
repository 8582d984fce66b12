"""Fast appends of device rows: COPY on PostgreSQL, ``executemany`` on SQLite.

Why not ``bulk_create``: profiling the gateway at load showed three quarters of a batch's
time in Django building the INSERT (``prepare_value`` per field per row, ~40,000 rows
a second), more than the database spent storing them. The rows here are insert-only and
their values are already of the column's type (aware datetimes, Decimals quantised to
the column, bytes), so they go to the driver as they are. Column lists come from the
models, so a renamed field cannot silently drift from the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], names: Sequence[str]) -> list[str]:
    """The database columns of ``model``'s fields ``names`` (``message`` -> ``message_id``)."""
    found: list[str] = []
    for name in names:
        column = getattr(model._meta.get_field(name), "column", None)
        if not isinstance(column, str):
            raise ValueError(f"{model.__name__}.{name} is not a column")
        found.append(column)
    return found


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys for new rows, taken before the rows are written so that
    child rows can point at them in the same batch.

    PostgreSQL: from the table's sequence (concurrent writers each get their own).
    SQLite: after the current maximum; safe because the caller holds SQLite's one write
    lock (transactions begin IMMEDIATE) from this read to its commit.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 - our table
        first = int(cursor.fetchone()[0]) + 1
        return list(range(first, first + count))


def insert_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Append ``rows`` (values in the order of ``names``) to ``model``'s table; nothing to
    append costs no round trip."""
    if not rows:
        return
    table = model._meta.db_table
    cols = columns(model, names)
    quoted = ", ".join(f'"{c}"' for c in cols)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        prepared = [[adapt(v) if isinstance(v, datetime) else v for v in row] for row in rows]
        if prepared:
            marks = ", ".join(["%s"] * len(cols))
            cursor.executemany(
                f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',  # noqa: S608 - our columns
                prepared,
            )
