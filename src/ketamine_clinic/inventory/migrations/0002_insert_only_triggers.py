"""On PostgreSQL, refuse UPDATE and DELETE of every controlled-substance record.

The models already refuse `save` on an existing row (InsertOnlyModel); these triggers
also stop a queryset `update()`/`delete()` or a hand-typed SQL statement. TRUNCATE is
left alone so a test database can still be emptied between tests; the audit trail,
which has its own triggers, records who did anything. Products, locations and suppliers
are reference data and stay editable. SQLite gets no triggers, as for the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = [
    "inventory_dearegistration",
    "inventory_lot",
    "inventory_receipt",
    "inventory_container",
    "inventory_stockentry",
    "inventory_syringeaccount",
    "inventory_count",
    "inventory_countentry",
    "inventory_countclosure",
    "inventory_countline",
    "inventory_discrepancy",
    "inventory_discrepancyresolution",
]

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION inventory_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'controlled-substance records are never edited or deleted: % on % is refused',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION_SQL, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();",
            params=None,
        )


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table};", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS inventory_refuse_change();", params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_controlled_substance_record")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
