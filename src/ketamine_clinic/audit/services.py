"""Writing to the audit trail. The only code that inserts audit rows."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.chain import ChainFields, detail_problem, entry_hash, text_problem
from ketamine_clinic.audit.context import current_audit_context
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

# Raised for a caller's mistake (a programming error, never a user's input): the entry
# would not hash the same after a round trip through the database, or would not fit.
AUDIT_BAD_DETAIL = "audit_record: cannot store this entry: {problem}"

# Lengths of the text columns (see models.AuditEntry), checked here so that SQLite,
# which does not enforce them, behaves as PostgreSQL does.
_MAX_LENGTHS = {
    "actor_username": 150,
    "object_type": 60,
    "object_id": 64,
    "patient_id": 64,
}


class AuditDetailError(ValueError):
    """An entry's values cannot be stored so that they hash the same when read back."""


def _check_entry(texts: dict[str, str], detail: dict[str, Any]) -> None:
    for name, value in texts.items():
        problem = text_problem(value, name)
        limit = _MAX_LENGTHS.get(name)
        if problem is None and limit is not None and len(value) > limit:
            problem = f"{name} is {len(value)} characters long; at most {limit} fit"
        if problem is not None:
            raise AuditDetailError(AUDIT_BAD_DETAIL.format(problem=problem))
    if not isinstance(detail, dict):
        raise AuditDetailError(
            AUDIT_BAD_DETAIL.format(problem=f"detail is a {type(detail).__name__}, not a dict")
        )
    problem = detail_problem(detail)
    if problem is not None:
        raise AuditDetailError(AUDIT_BAD_DETAIL.format(problem=problem))


def audit_record(
    *,
    action: AuditAction,
    actor: User | None,
    object_type: str = "",
    object_id: str | int = "",
    patient_id: str | int = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
    actor_username: str | None = None,
) -> AuditEntry:
    """Append one entry, in the caller's transaction if there is one.

    Call it inside the transaction of the write it records, so the two commit or roll
    back together. `actor_username` names an actor that has no account (a failed
    sign-in with an unknown name); otherwise the actor's own username is used.
    `detail` holds str, int, bool and None, and lists/dicts of those only, so that it
    hashes the same after a round trip through any database's JSON column; anything
    else raises `AuditDetailError` before a row is written.
    """
    context = current_audit_context()
    username = actor.username if actor is not None else (actor_username or "")
    plain_detail: dict[str, Any] = {} if detail is None else detail
    _check_entry(
        {
            "actor_username": username,
            "object_type": object_type,
            "object_id": str(object_id),
            "patient_id": str(patient_id),
            "reason": reason,
        },
        plain_detail,
    )
    # The caller's dict (and what it nests) may change after we return; the entry must not.
    plain_detail = copy.deepcopy(plain_detail)
    with transaction.atomic():
        # Lock the head: the next seq and the previous hash must come from one writer
        # at a time, or two entries would claim the same link.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        fields = ChainFields(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_username=username,
            actor_roles=tuple(sorted(actor.roles)) if actor is not None else (),
            action=str(action),
            object_type=object_type,
            object_id=str(object_id),
            patient_id=str(patient_id),
            request_id=context.request_id,
            client_address=context.client_address,
            channel=context.channel,
            reason=reason,
            detail=plain_detail,
        )
        digest = entry_hash(head.last_hash, fields)
        entry = AuditEntry.objects.create(
            **AuditEntry.row_values(fields, prev_hash=head.last_hash, hash_=digest)
        )
        head.last_seq = fields.seq
        head.last_hash = digest
        head.save(update_fields=["last_seq", "last_hash"])
    return entry
