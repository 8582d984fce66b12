"""Compress stored raw messages with lz4 on PostgreSQL (pglz is several times slower,
and every monitor message is stored raw). A server built without lz4 keeps pglz."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LZ4 = """
DO $$
BEGIN
    ALTER TABLE monitoring_devicemessage ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 not available; raw messages keep the default compression';
END
$$;
"""


def raw_lz4(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LZ4)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(raw_lz4, migrations.RunPython.noop)]
