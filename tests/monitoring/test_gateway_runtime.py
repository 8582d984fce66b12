"""The gateway process's own settings (its runtime, not its protocol)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ketamine_clinic.monitoring.gateway_runtime import GC_THRESHOLDS, tune_gc


@pytest.fixture
def collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_the_gateway_freezes_start_up_objects_and_collects_young_ones_less_often(
    collector: None,
) -> None:
    gc.unfreeze()
    tune_gc()
    assert gc.get_freeze_count() > 1000  # Django's settings, models, this test's modules
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] > 700 * 10  # far rarer than the interpreter's default
