"""``chart_rows``: one chart's providers share a read; outside a chart nothing is kept."""

from __future__ import annotations

from collections.abc import Callable
from threading import Thread

from ketamine_clinic.patients.chart_rows import chart_rows_active, chart_rows_scope, shared_rows
from ketamine_clinic.patients.models import Patient


def _counting_loader(calls: list[int]) -> Callable[[], list[int]]:
    def load() -> list[int]:
        calls.append(1)
        return [len(calls)]

    return load


def test_outside_a_chart_every_call_reads_afresh() -> None:
    calls: list[int] = []
    patient = Patient(pk=1)

    first = shared_rows(patient, "app.rows", _counting_loader(calls))
    second = shared_rows(patient, "app.rows", _counting_loader(calls))

    assert (first, second, len(calls)) == ([1], [2], 2)
    assert not chart_rows_active()


def test_inside_a_chart_the_first_read_is_shared_per_patient_and_name() -> None:
    calls: list[int] = []
    avery, rowan = Patient(pk=1), Patient(pk=2)

    with chart_rows_scope():
        assert chart_rows_active()
        first = shared_rows(avery, "app.rows", _counting_loader(calls))
        again = shared_rows(avery, "app.rows", _counting_loader(calls))
        other_name = shared_rows(avery, "app.more", _counting_loader(calls))
        other_patient = shared_rows(rowan, "app.rows", _counting_loader(calls))

    assert first is again
    assert (first, other_name, other_patient) == ([1], [2], [3])
    assert not chart_rows_active()


def test_the_rows_are_dropped_when_the_chart_is_drawn_even_on_an_error() -> None:
    calls: list[int] = []
    patient = Patient(pk=1)
    try:
        with chart_rows_scope():
            shared_rows(patient, "app.rows", _counting_loader(calls))
            raise RuntimeError("the page failed")
    except RuntimeError:
        pass

    with chart_rows_scope():
        shared_rows(patient, "app.rows", _counting_loader(calls))

    assert len(calls) == 2
    assert not chart_rows_active()


def test_another_thread_never_sees_a_chart_s_rows() -> None:
    seen: list[bool] = []
    with chart_rows_scope():
        thread = Thread(target=lambda: seen.append(chart_rows_active()))
        thread.start()
        thread.join()

    assert seen == [False]
