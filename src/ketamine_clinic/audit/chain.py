"""The hash chain, as pure functions over plain values (no Django).

Each entry's hash is SHA-256 over the previous entry's hash and a canonical JSON
encoding of the entry's own fields. Altering, deleting or reordering any entry breaks
every link after it; `first_break` finds the first one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# Integers outside this range lose precision in some JSON readers (and SQLite's JSON
# functions turn them into reals); the chain must hash the same after any round trip.
DETAIL_INT_MIN = -(2**63)
DETAIL_INT_MAX = 2**63 - 1


def detail_problem(value: object, path: str = "detail") -> str | None:
    """Why `value` cannot go in an entry's `detail`, or None if it can.

    Only str, int, bool, None and lists/dicts (with str keys) of those: every database
    returns them exactly as given, so the canonical encoding, and so the hash, survives a
    round trip. Floats do not (1.0 comes back as 1, 0.1 may not come back at all), and
    PostgreSQL's jsonb refuses NUL characters and unpaired surrogates in strings.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not DETAIL_INT_MIN <= value <= DETAIL_INT_MAX:
            return f"{path} is an integer outside the signed 64-bit range"
        return None
    if isinstance(value, str):
        return text_problem(value, path)
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = detail_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has a key of type {type(key).__name__}; keys must be str"
            problem = text_problem(key, f"{path} key {key!r}") or detail_problem(
                item, f"{path}[{key!r}]"
            )
            if problem is not None:
                return problem
        return None
    return (
        f"{path} is of type {type(value).__name__}; only str, int, bool, None and "
        "lists/dicts of those are allowed"
    )


def text_problem(value: str, path: str) -> str | None:
    """Why a string cannot be stored identically on every database, or None."""
    if "\x00" in value:
        return f"{path} contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{path} contains an unpaired surrogate (not valid Unicode text)"
    return None


@dataclass(frozen=True)
class ChainFields:
    """The fields of an entry that the hash covers, in plain types."""

    seq: int
    at: datetime
    actor_id: int | None
    actor_username: str
    actor_roles: tuple[str, ...]
    action: str
    object_type: str
    object_id: str
    patient_id: str
    request_id: str
    client_address: str
    channel: str
    reason: str
    detail: dict[str, Any]


def canonical_bytes(fields: ChainFields) -> bytes:
    """The bytes the hash covers: sorted keys, no whitespace, ASCII only.

    Sorting the keys is what lets PostgreSQL's jsonb (which reorders them) and SQLite
    (which keeps them as written) give back a detail that encodes the same.
    """
    at = fields.at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = {
        "seq": fields.seq,
        "at": at,
        "actor_id": fields.actor_id,
        "actor_username": fields.actor_username,
        "actor_roles": list(fields.actor_roles),
        "action": fields.action,
        "object_type": fields.object_type,
        "object_id": fields.object_id,
        "patient_id": fields.patient_id,
        "request_id": fields.request_id,
        "client_address": fields.client_address,
        "channel": fields.channel,
        "reason": fields.reason,
        "detail": fields.detail,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(prev_hash: str, fields: ChainFields) -> str:
    """SHA-256 over the previous hash and this entry: the link that makes the chain."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_bytes(fields))
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage: its fields plus the links it claims."""

    pk: int
    fields: ChainFields
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first place the stored chain stops proving itself, and why."""

    seq: int | None
    pk: int | None
    reason: str

    def describe(self) -> str:
        where = (
            f"audit entry seq {self.seq} (id {self.pk})" if self.seq is not None else "audit trail"
        )
        return f"{where}: {self.reason}"


def first_break(
    entries: Iterable[StoredEntry], *, head_seq: int, head_hash: str
) -> ChainBreak | None:
    """Walk entries in seq order; return the first inconsistency, or None if intact.

    `head_seq`/`head_hash` are what the chain head says was last appended, which is how
    deletion of the newest entries is caught.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last: StoredEntry | None = None
    for entry in entries:
        seq = entry.fields.seq
        if seq != expected_seq:
            reason = (
                f"expected seq {expected_seq}: an entry is missing before it"
                if seq > expected_seq
                else f"expected seq {expected_seq}: it is out of order or duplicated"
            )
            return ChainBreak(seq, entry.pk, reason)
        if entry.prev_hash != prev_hash:
            return ChainBreak(seq, entry.pk, "its link to the previous entry does not match")
        if entry_hash(prev_hash, entry.fields) != entry.hash:
            return ChainBreak(seq, entry.pk, "its contents were altered (hash does not match)")
        prev_hash = entry.hash
        expected_seq += 1
        last = entry
    last_seq = last.fields.seq if last else 0
    if last_seq != head_seq or prev_hash != (head_hash if head_seq else GENESIS_HASH):
        return ChainBreak(
            None,
            None,
            f"the chain ends at seq {last_seq} but its head records seq {head_seq}: "
            "entries were deleted from the end or the head was altered",
        )
    return None
