"""Who and where a piece of work comes from, for the audit entries it writes.

Set once per request by RequestContextMiddleware (and once per CLI command), read by
`audit_record`. A context variable rather than a `request` argument so that services
deep in a call need not carry the request; asgiref copies context variables into
`sync_to_async` threads, so it holds under ASGI too.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    request_id: str
    client_address: str
    channel: str  # "web", "api", "cli", "device", "system"


SYSTEM_CONTEXT = AuditContext(request_id="", client_address="", channel="system")

_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "ketamine_clinic_audit_context", default=SYSTEM_CONTEXT
)


def current_audit_context() -> AuditContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def audit_context(context: AuditContext) -> Iterator[AuditContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
