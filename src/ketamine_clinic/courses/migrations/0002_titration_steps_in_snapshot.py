"""Give every course's protocol snapshot its titration steps.

The room's raise/lower steps moved from a constant of the clinic-day form into the
protocol (``Protocol.titration_steps_percent`` / ``titration_steps_mg_per_kg_per_h``).
Courses started before that have snapshots without them; they get the steps they were
titrated with until now, so ``courses.selectors.visit_titration_steps`` reads every
course from its own snapshot and falls back to the default protocol only for boosters.

The values are written out here, not read from ``protocols_data``: a migration records
what was true when it ran (the form's steps, the same as ``STANDARD_SIX``'s today), and
must not change meaning if the protocol data changes later.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# The steps of clinicday.forms.TITRATION_STEPS before this change: ±10 % and ±0.05 mg/kg/h.
TITRATION_STEPS_PERCENT = [10, -10]
TITRATION_STEPS_MG_PER_KG_PER_H = [0.05, -0.05]


def add_titration_steps(apps: Any, schema_editor: Any) -> None:
    """Add the two keys to each snapshot lacking them; a snapshot that has them is kept."""
    course_model = apps.get_model("courses", "Course")
    for course in course_model.objects.only("pk", "protocol").iterator():
        snapshot = dict(course.protocol)
        if "titration_steps_percent" in snapshot and "titration_steps_mg_per_kg_per_h" in snapshot:
            continue
        snapshot.setdefault("titration_steps_percent", list(TITRATION_STEPS_PERCENT))
        snapshot.setdefault(
            "titration_steps_mg_per_kg_per_h", list(TITRATION_STEPS_MG_PER_KG_PER_H)
        )
        course.protocol = snapshot
        course.save(update_fields=["protocol"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_treatment_courses"),
    ]

    # Backwards is a no-op: code from before this migration ignores the extra keys.
    operations = [
        migrations.RunPython(add_titration_steps, migrations.RunPython.noop),
    ]
