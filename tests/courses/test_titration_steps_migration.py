"""Migration 0002 gives old course snapshots the titration steps they were titrated with
(the form's ±10 % and ±0.05 mg/kg/h) and leaves a snapshot that has steps as it is."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from ketamine_clinic.courses.models import Course

pytestmark = pytest.mark.django_db

# A module name that starts with a digit can only be imported by name.
migration = importlib.import_module(
    "ketamine_clinic.courses.migrations.0002_titration_steps_in_snapshot"
)


def _without_steps(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if not key.startswith("titration")}


def test_old_snapshots_get_the_steps_and_new_ones_are_kept(course: Course) -> None:
    old = _without_steps(course.protocol)
    Course.objects.filter(pk=course.pk).update(protocol=old)
    other = Course.objects.get(pk=course.pk)
    other.pk = None
    other.status = "completed"
    other.protocol = {**old, "titration_steps_percent": [5, -5]}
    other.protocol["titration_steps_mg_per_kg_per_h"] = []
    other.save()

    migration.add_titration_steps(apps, None)

    course.refresh_from_db()
    assert course.protocol == {
        **old,
        "titration_steps_percent": [10, -10],
        "titration_steps_mg_per_kg_per_h": [0.05, -0.05],
    }
    other.refresh_from_db()
    assert other.protocol["titration_steps_percent"] == [5, -5]
    assert other.protocol["titration_steps_mg_per_kg_per_h"] == []


def test_running_it_twice_changes_nothing_more(course: Course) -> None:
    Course.objects.filter(pk=course.pk).update(protocol=_without_steps(course.protocol))
    migration.add_titration_steps(apps, None)
    course.refresh_from_db()
    once = course.protocol
    migration.add_titration_steps(apps, None)
    course.refresh_from_db()
    assert course.protocol == once
