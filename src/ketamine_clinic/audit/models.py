"""Audit entries and the head of their hash chain."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.chain import ChainFields, StoredEntry
from ketamine_clinic.audit.enums import AuditAction


class AuditEntry(models.Model):
    """One audited event. Rows are only ever inserted (by `audit_record`).

    Who is copied as text as well as linked, so the entry still reads correctly if the
    account is later renamed. On PostgreSQL a trigger refuses UPDATE, DELETE and
    TRUNCATE (migration 0002); everywhere, `audit verify` detects any change.

    Django's test flush truncates every table, so on PostgreSQL the suite uses
    transaction-wrapped tests only (browser tests with a live server run on SQLite).
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # the entry must outlive anything, even a broken FK
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_roles = models.CharField(max_length=200, blank=True, help_text="Comma-separated, sorted.")
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The patient whose data this touched."
    )
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["actor", "at"], name="audit_entry_actor_at")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or 'system'}"

    @property
    def actor_role_labels(self) -> list[str]:
        """The roles the actor held when the entry was written, as people read them."""
        labels = dict(Role.choices)
        return [labels.get(value, value) for value in self.actor_roles.split(",") if value]

    @property
    def detail_summary(self) -> str:
        """The detail as `key: value` pairs for the audit page (nested values as JSON)."""
        parts = []
        for key in sorted(self.detail):
            value = self.detail[key]
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            parts.append(f"{key}: {text}")
        return "; ".join(parts)

    @property
    def patient_pk(self) -> int | None:
        """The patient's id as a number, for a link to the chart; None if there is none."""
        return int(self.patient_id) if self.patient_id.isdecimal() else None

    def chain_fields(self) -> ChainFields:
        return ChainFields(
            seq=self.seq,
            at=self.at,
            actor_id=self.actor_id,
            actor_username=self.actor_username,
            actor_roles=tuple(r for r in self.actor_roles.split(",") if r),
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            patient_id=self.patient_id,
            request_id=self.request_id,
            client_address=self.client_address,
            channel=self.channel,
            reason=self.reason,
            detail=self.detail,
        )

    @classmethod
    def row_values(cls, fields: ChainFields, *, prev_hash: str, hash_: str) -> dict[str, Any]:
        """Column values for a row holding `fields`: the inverse of `chain_fields`."""
        return {
            "seq": fields.seq,
            "at": fields.at,
            "actor_id": fields.actor_id,
            "actor_username": fields.actor_username,
            "actor_roles": ",".join(fields.actor_roles),
            "action": fields.action,
            "object_type": fields.object_type,
            "object_id": fields.object_id,
            "patient_id": fields.patient_id,
            "request_id": fields.request_id,
            "client_address": fields.client_address,
            "channel": fields.channel,
            "reason": fields.reason,
            "detail": fields.detail,
            "prev_hash": prev_hash,
            "hash": hash_,
        }

    def as_stored(self) -> StoredEntry:
        return StoredEntry(
            pk=self.pk, fields=self.chain_fields(), prev_hash=self.prev_hash, hash=self.hash
        )


class AuditChainHead(models.Model):
    """The single row that says what was appended last.

    Writers lock it to take the next seq, which serialises appends (two writers never
    fork the chain), and `audit verify` compares it with the last entry so that
    deleting the newest entries is caught too. On PostgreSQL a trigger lets it only
    advance one seq at a time and refuses DELETE and TRUNCATE (migration 0002).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chainhead_single_row")
        ]

    def __str__(self) -> str:
        return f"head at seq {self.last_seq}"
