"""Writing the export's tables: CSV (UTF-8, a header row, formula-safe text) or Parquet
(typed columns), in batches so memory stays flat whatever the clinic's size.

Both writers take the same rows (tuples of Python values in the table's column order)
and give the same content; only the representation differs (see `ColumnType`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from ketamine_clinic.csv_cells import formula_safe
from ketamine_clinic.research.deidentify import json_list
from ketamine_clinic.research.tables import ColumnType, Table

Row = tuple[Any, ...]


class TableWriter(Protocol):
    rows_written: int

    def write(self, rows: Sequence[Row]) -> None: ...

    def close(self) -> None: ...


def csv_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv_value(kind: ColumnType, value: Any) -> str:
    if value is None:
        return ""
    if kind is ColumnType.TEXT:
        return formula_safe(str(value))
    if kind is ColumnType.TIMESTAMP:
        return csv_timestamp(value)
    if kind is ColumnType.BOOLEAN:
        return "true" if value else "false"
    if kind in (ColumnType.INTEGER_LIST, ColumnType.TEXT_LIST):
        return json_list(value)
    if kind is ColumnType.FLOAT:
        return repr(float(value))
    return str(int(value))


class CsvTableWriter:
    def __init__(self, table: Table, path: Path) -> None:
        self.table = table
        self.rows_written = 0
        self._kinds = [column.type for column in table.columns]
        # newline="" as the csv module asks; its default dialect ends rows with CRLF.
        self._file = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(table.column_names)

    def write(self, rows: Sequence[Row]) -> None:
        kinds = self._kinds
        self._csv.writerows(
            [_csv_value(kind, value) for kind, value in zip(kinds, row, strict=True)]
            for row in rows
        )
        self.rows_written += len(rows)

    def close(self) -> None:
        self._file.close()


ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.INTEGER: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.TEXT: pa.string(),
    ColumnType.BOOLEAN: pa.bool_(),
    # Parquet has no seconds unit (pyarrow would store ms anyway): ms, whole seconds.
    ColumnType.TIMESTAMP: pa.timestamp("ms", tz="UTC"),
    ColumnType.INTEGER_LIST: pa.list_(pa.int64()),
    ColumnType.TEXT_LIST: pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [pa.field(column.name, ARROW_TYPES[column.type], nullable=True) for column in table.columns]
    )


class ParquetTableWriter:
    def __init__(self, table: Table, path: Path) -> None:
        self.table = table
        self.rows_written = 0
        self._schema = arrow_schema(table)
        self._writer = pq.ParquetWriter(str(path), self._schema)

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = [
            pa.array([row[index] for row in rows], type=field.type)
            for index, field in enumerate(self._schema)
        ]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self._schema))
        self.rows_written += len(rows)

    def close(self) -> None:
        # An empty table still gets a file with its schema (ParquetWriter writes it on close).
        self._writer.close()


def open_writer(table: Table, directory: Path, file_format: str) -> TableWriter:
    if file_format == "parquet":
        return ParquetTableWriter(table, directory / f"{table.name}.parquet")
    return CsvTableWriter(table, directory / f"{table.name}.csv")
