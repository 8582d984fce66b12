"""Reading an export back: every file's cells as text, CSV and Parquet alike."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]

TABLE_NAMES = ("patients", "courses", "visits", "vitals", "scores")
# What a Parquet export's directory holds, sorted by name.
PARQUET_EXPORT_FILES = sorted(
    [*(f"{name}.parquet" for name in TABLE_NAMES), "README.txt", "data_dictionary.csv"]
)


def csv_rows(directory: Path, table: str) -> list[dict[str, str]]:
    with (directory / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parquet_rows(directory: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(directory / f"{table}.parquet").to_pylist()  # type: ignore[no-any-return]


def as_csv_text(value: Any) -> str:
    """A Parquet value written the way the CSV file writes it (an independent copy of
    the rules in the data dictionary's README, so a writer bug shows as a difference)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        assert value.utcoffset() is not None, "Parquet timestamps must carry UTC"
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def every_text(directory: Path) -> list[str]:
    """Every header, cell and line of every file in an export, as text."""
    texts: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            texts += table.schema.names
            texts += [str(table.schema.metadata or {})]
            for row in table.to_pylist():
                for value in row.values():
                    texts.append(as_csv_text(value))
                    if isinstance(value, datetime):
                        texts.append(value.isoformat())
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                texts += [cell for row in csv.reader(handle) for cell in row]
            texts.append(path.read_text(encoding="utf-8"))
        else:
            texts.append(path.read_text(encoding="utf-8"))
        texts.append(path.name)
    return texts


def shifted(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
