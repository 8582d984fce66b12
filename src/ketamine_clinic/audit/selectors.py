"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterator

from ketamine_clinic.audit.chain import ChainBreak, StoredEntry, first_break
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry


def _stored_entries() -> Iterator[StoredEntry]:
    # Ordered by seq, streamed: the trail grows without bound.
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        yield entry.as_stored()


def audit_chain_verify() -> tuple[int, ChainBreak | None]:
    """Check the whole chain; return how many entries there are and the first break."""
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "")
    count = AuditEntry.objects.count()
    return count, first_break(_stored_entries(), head_seq=head_seq, head_hash=head_hash)
