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
