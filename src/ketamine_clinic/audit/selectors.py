"""Reading the audit trail: verifying the chain, and the clinic lead's filtered view."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from ketamine_clinic.audit.chain import GENESIS_HASH, ChainBreak, StoredEntry, first_break
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditChainHead, AuditEntry
from ketamine_clinic.audit.services import audit_record

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

AUDIT_PAGE_SIZE = 50

# Messages the audit page's filter form shows (tests assert them exactly).
FILTER_DATES_REVERSED = "The end date is before the start date."
FILTER_UNKNOWN_MRN = "No patient has MRN {mrn}."
FILTER_BAD_PATIENT = "Enter a patient id (a number) or an MRN such as KC000042."


def audit_chain_head() -> tuple[int, str]:
    """The last seq and hash the head records (0 and the genesis hash when empty)."""
    head = AuditChainHead.objects.filter(id=1).first()
    return (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)


def _stored_entries(up_to_seq: int) -> Iterator[StoredEntry]:
    # Ordered by seq, streamed: the trail grows without bound.
    entries = AuditEntry.objects.filter(seq__lte=up_to_seq).order_by("seq")
    for entry in entries.iterator(chunk_size=2000):
        yield entry.as_stored()


def audit_chain_verify() -> tuple[int, ChainBreak | None]:
    """Check the whole chain; return how many entries were checked and the first break.

    The head is read first and the chain checked up to it, so entries that writers
    append while a long verify runs are not mistaken for forgeries; they are checked
    next time. An entry beyond a head re-read at the end was inserted without going
    through the head (`audit_record` always moves both), so it is reported.
    """
    head_seq, head_hash = audit_chain_head()
    count = AuditEntry.objects.filter(seq__lte=head_seq).count()
    broken = first_break(_stored_entries(head_seq), head_seq=head_seq, head_hash=head_hash)
    if broken is not None:
        return count, broken
    later_head_seq, _ = audit_chain_head()
    stray = AuditEntry.objects.filter(seq__gt=later_head_seq).order_by("seq").first()
    if stray is not None:
        return count, ChainBreak(
            stray.seq,
            stray.pk,
            f"it lies beyond the chain head (seq {later_head_seq}): it was inserted "
            "outside the audit service",
        )
    return count, None


@dataclass(frozen=True)
class AuditFilters:
    """What the clinic lead asked to see. Dates are calendar days in the clinic's zone."""

    username: str = ""
    patient_id: str = ""
    action: AuditAction | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_detail(self) -> dict[str, str]:
        """The filters as recorded in the AUDIT_VIEWED entry (only those that were set)."""
        values = {
            "person": self.username,
            "patient_id": self.patient_id,
            "action": str(self.action) if self.action else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def _clinic_midnight_utc(day: date) -> datetime:
    """The UTC instant a clinic-local calendar day starts (DST-aware)."""
    zone = timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _filtered(filters: AuditFilters) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.order_by("-seq")
    if filters.username:
        entries = entries.filter(actor_username__iexact=filters.username)
    if filters.patient_id:
        entries = entries.filter(patient_id=filters.patient_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.date_from:
        entries = entries.filter(at__gte=_clinic_midnight_utc(filters.date_from))
    if filters.date_to:
        entries = entries.filter(at__lt=_clinic_midnight_utc(filters.date_to + timedelta(days=1)))
    return entries


def audit_entries_filtered(
    *, filters: AuditFilters, page_number: str | int | None, by: User
) -> Page[AuditEntry]:
    """One page (newest first) of the entries matching `filters`; the viewing is audited.

    Reading the trail is itself recorded (AUDIT_VIEWED, with the filters and page), once
    per call, after the page is read: the page shows the trail as it was when asked.
    An out-of-range or malformed page number gives the nearest page, as a lead
    following an old link expects.
    """
    paginator = Paginator(_filtered(filters), AUDIT_PAGE_SIZE)
    page = paginator.get_page(page_number)
    page.object_list = list(page.object_list)
    audit_record(
        action=AuditAction.AUDIT_VIEWED,
        actor=by,
        object_type="audit_trail",
        patient_id=filters.patient_id,
        detail={"filters": filters.as_detail(), "page": page.number, "count": paginator.count},
    )
    return page
