"""One chart request's reads of a patient's rows, shared by the apps that draw the chart.

The chart is drawn by providers of several apps (timeline entries, the scores panel,
the trajectories, the course card, the consent card), and several of them need the
same rows: the questionnaire responses, the courses, the risk flags, the consent
signatures. Each used to read them itself, so one chart read the same tables two or
three times (52 queries). Inside ``chart_rows_scope()`` the first provider that asks
for a set of rows reads it, and the others get the same list.

Outside a scope ``shared_rows`` simply calls the loader: every other caller of these
selectors (a visit's checks, a report) reads fresh rows, and nothing can be served stale
after a write. The scope lives in a context variable, so threads and async tasks (the
device gateway's) never see another request's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from ketamine_clinic.patients.models import Patient

RowsT = TypeVar("RowsT")
ModelT = TypeVar("ModelT", bound="Model")

# (patient id, what) -> the rows read; None outside a chart's scope.
_ROWS: ContextVar[dict[tuple[int, str], object] | None] = ContextVar("chart_rows", default=None)


@contextmanager
def chart_rows_scope() -> Iterator[None]:
    """Share the rows read while drawing one chart; they are dropped when it ends."""
    token = _ROWS.set({})
    try:
        yield
    finally:
        _ROWS.reset(token)


def chart_rows_active() -> bool:
    """Whether a chart is being drawn (a selector may then derive from shared rows what it
    would otherwise ask the database for with a narrower query)."""
    return _ROWS.get() is not None


def shared_rows(patient: Patient, what: str, load: Callable[[], RowsT]) -> RowsT:
    """``load()``, read once per chart for ``patient`` and ``what`` ("app.rows").

    ``what`` must name one query: two callers sharing a name must want the very same rows
    (same filter, ordering and related objects), or one would see the other's.
    """
    rows = _ROWS.get()
    if rows is None:
        return load()
    key = (patient.pk, what)
    if key not in rows:
        rows[key] = load()
    return cast("RowsT", rows[key])


def shared_query(patient: Patient, what: str, query: QuerySet[ModelT]) -> list[ModelT]:
    """``shared_rows`` of a query's rows. A Django query runs only when it is read, so each
    caller may build it and only the first one in a chart runs it."""
    return shared_rows(patient, what, lambda: list(query))
