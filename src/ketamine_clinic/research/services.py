"""The de-identified research export: written to a directory (the CLI) or a zip (the page).

What it is and what it is not
-----------------------------
The export follows HIPAA's Safe Harbor method (45 CFR 164.514(b)(2)) with one stated
departure that issue 8 asks for. Of the eighteen identifiers, none is exported: names
(patient, preferred, escort, emergency contact, referrer, staff), addresses and every
geographic unit, telephone and fax numbers, e-mail addresses, SSN, MRN, health-plan and
account numbers, licence numbers, vehicle and device identifiers and serial numbers
(no device, pump or monitor column exists), URLs, IP addresses, biometrics, photographs
(consent signature images) and every other unique code: database ids are replaced by
random study ids drawn for each export. All free text is dropped (comments, notes,
reasons, adverse-event descriptions and interventions, diagnosis titles). The date of
birth is never exported, only the age at the first infusion, with ages over 89 as "90+".

The departure: Safe Harbor removes all elements of dates except the year. Issue 8 asks
instead for dates shifted by a random offset per patient, which keeps what research
needs (intervals between one patient's infusions, scores and vitals, and the time of day)
and exports no real date: every exported time is the real one moved by the patient's
offset, whole days in -182..+182 and never 0, and every such column is named
``..._shifted`` and marked SHIFTED in the data dictionary. A shifted date is not the
real date, but it is a full date, not a year: strictly, this is not Safe Harbor's date
rule, and a clinic releasing the files under Safe Harbor alone should have that judged
(an expert determination under 164.514(b)(1) covers date shifting). The offsets and
study ids come from a random source used once and are not stored, so nobody, including
the clinic, can reverse them from the files.

The --since/--until window selects records by their real times and is not written into
the files (only into the audit trail): a recipient told a narrow window could bound
each patient's offset from it, so share the window no more precisely than needed.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.research.deidentify import OFFSET_MAX_DAYS, ExportSecret
from ketamine_clinic.research.requests import (
    AUDIT_OBJECT_TYPE,
    EXPORT_OUT_NOT_A_DIRECTORY,
    EXPORT_OUT_NOT_EMPTY,
    EXPORT_OUT_UNWRITABLE,
    ExportRequest,
    ResearchExportError,
)
from ketamine_clinic.research.selectors import research_rows
from ketamine_clinic.research.tables import DICTIONARY_COLUMNS, TABLES, dictionary_rows
from ketamine_clinic.research.writers import TableWriter, open_writer

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

DICTIONARY_FILE = "data_dictionary.csv"
README_FILE = "README.txt"


@dataclass(frozen=True)
class ExportResult:
    file_format: str
    row_counts: dict[str, int]
    files: tuple[str, ...]


README_TEXT = f"""\
De-identified research export of the ketamine clinic's records.

Tables: {", ".join(table.name for table in TABLES)} (one file each); every column, its
unit and how it was de-identified are in {DICTIONARY_FILE}.

Method: HIPAA Safe Harbor (45 CFR 164.514(b)(2)) identifiers removed: no names, addresses,
telephone or fax numbers, e-mail, SSN, MRN, health-plan, account or licence numbers,
vehicle or device identifiers or serial numbers, URLs, IP addresses, biometrics,
photographs, and no free text. Record ids are random study ids drawn for this export
only; another export of the same clinic gives everyone different ids.

Dates: every time in these files is SHIFTED (columns named *_shifted): the real UTC time
moved by a random whole number of days, -{OFFSET_MAX_DAYS}..+{OFFSET_MAX_DAYS} and never
0, one offset per patient, so intervals within a patient and the time of day are exact
but no date (and no weekday) is real. This is the date shifting the clinic's issue asks
for in place of Safe Harbor's "all date elements except the year" rule: a shifted date is
not the real date, but it is a full date, so releasing these files as Safe Harbor
de-identified data needs that judged (for example by an expert determination). The
offsets were drawn at random for this export and were not stored: nobody can undo them.

Ages: age at the first infusion in completed years; ages over 89 are "90+". The date of
birth is not exported.

CSV: UTF-8 with a header row; lists are JSON arrays; times are ISO 8601 UTC (Z); a text
cell that would start with = + - @ starts with an apostrophe instead.
Parquet: typed columns (int64, float64, string, bool, timestamp[ms, UTC] in whole seconds, lists).
"""


def _write_tables(
    directory: Path, request: ExportRequest, *, secret: ExportSecret, now: datetime
) -> dict[str, int]:
    writers: dict[str, TableWriter] = {}
    try:
        for table in TABLES:
            writers[table.name] = open_writer(table, directory, request.file_format)
        for table, rows in research_rows(window=request.window(), secret=secret, now=now):
            writers[table.name].write(rows)
    finally:
        for writer in writers.values():
            writer.close()
    with (directory / DICTIONARY_FILE).open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(DICTIONARY_COLUMNS)
        out.writerows(dictionary_rows())
    (directory / README_FILE).write_text(README_TEXT, encoding="utf-8")
    return {name: writer.rows_written for name, writer in writers.items()}


def _audit(
    *, by: User | None, request: ExportRequest, counts: dict[str, int], destination: str
) -> None:
    audit_record(
        action=AuditAction.EXPORT,
        actor=by,
        object_type=AUDIT_OBJECT_TYPE,
        detail={
            "format": request.file_format,
            "since": None if request.since is None else request.since.isoformat(),
            "until": None if request.until is None else request.until.isoformat(),
            "row_counts": counts,
            "destination": destination,
        },
    )


def _file_names(request: ExportRequest) -> tuple[str, ...]:
    suffix = "parquet" if request.file_format == "parquet" else "csv"
    return (*(f"{table.name}.{suffix}" for table in TABLES), DICTIONARY_FILE, README_FILE)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ResearchExportError("out", EXPORT_OUT_NOT_A_DIRECTORY.format(path=out))
    if out.is_dir() and any(out.iterdir()):
        raise ResearchExportError("out", EXPORT_OUT_NOT_EMPTY.format(path=out))


def research_export_write(
    *,
    out: Path,
    request: ExportRequest,
    by: User | None,
    secret: ExportSecret | None = None,
) -> ExportResult:
    """Write the export into `out` (created if absent, refused if it holds files).

    Everything is written into a private temporary directory beside `out` first and
    moved into place only when complete and audited, so a refused or failed export
    leaves nothing behind.
    """
    request.check()
    out = out.expanduser()
    _check_out(out)
    parent = out.absolute().parent
    try:
        staging = Path(tempfile.mkdtemp(prefix=".research-export-", dir=parent))
    except OSError as exc:
        raise ResearchExportError(
            "out", EXPORT_OUT_UNWRITABLE.format(path=out, reason=exc.strerror or exc)
        ) from exc
    try:
        counts = _write_tables(
            staging, request, secret=secret or ExportSecret(), now=timezone.now()
        )
        _audit(by=by, request=request, counts=counts, destination=f"directory {out}")
        if out.is_dir():
            for name in _file_names(request):
                os.replace(staging / name, out / name)
            staging.rmdir()
        else:
            staging.rename(out)
    except OSError as exc:
        raise ResearchExportError(
            "out", EXPORT_OUT_UNWRITABLE.format(path=out, reason=exc.strerror or exc)
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(request.file_format, counts, _file_names(request))


def research_export_zip(
    *, request: ExportRequest, by: User, secret: ExportSecret | None = None
) -> tuple[IO[bytes], ExportResult]:
    """The export as a zip in an anonymous temporary file (gone when closed), audited."""
    request.check()
    with tempfile.TemporaryDirectory(prefix="research-export-") as staging:
        directory = Path(staging)
        counts = _write_tables(
            directory, request, secret=secret or ExportSecret(), now=timezone.now()
        )
        names = _file_names(request)
        archive = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in names:
                bundle.write(directory / name, arcname=name)
        _audit(by=by, request=request, counts=counts, destination="download")
    archive.seek(0)
    return archive, ExportResult(request.file_format, counts, names)
