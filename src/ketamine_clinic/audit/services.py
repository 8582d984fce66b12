"""Writing to the audit trail. The only code that inserts audit rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.chain import ChainFields, entry_hash
from ketamine_clinic.audit.context import current_audit_context
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User


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
    `detail` holds strings, integers and booleans only, so it hashes the same after a
    round trip through any database's JSON column.
    """
    context = current_audit_context()
    with transaction.atomic():
        # Lock the head: the next seq and the previous hash must come from one writer
        # at a time, or two entries would claim the same link.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        fields = ChainFields(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_username=actor.username if actor is not None else (actor_username or ""),
            actor_roles=tuple(sorted(actor.roles)) if actor is not None else (),
            action=str(action),
            object_type=object_type,
            object_id=str(object_id),
            patient_id=str(patient_id),
            request_id=context.request_id,
            client_address=context.client_address,
            channel=context.channel,
            reason=reason,
            detail=dict(detail or {}),
        )
        digest = entry_hash(head.last_hash, fields)
        entry = AuditEntry.objects.create(
            seq=fields.seq,
            at=fields.at,
            actor=actor,
            actor_username=fields.actor_username,
            actor_roles=",".join(fields.actor_roles),
            action=fields.action,
            object_type=fields.object_type,
            object_id=fields.object_id,
            patient_id=fields.patient_id,
            request_id=fields.request_id,
            client_address=fields.client_address,
            channel=fields.channel,
            reason=fields.reason,
            detail=fields.detail,
            prev_hash=head.last_hash,
            hash=digest,
        )
        head.last_seq = fields.seq
        head.last_hash = digest
        head.save(update_fields=["last_seq", "last_hash"])
    return entry
