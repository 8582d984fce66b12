"""Visits point at a booking Room instead of carrying a free-text room label.

Each distinct label becomes a Room of that name (in label order), so no visit loses
where it was; the label column then goes.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def labels_to_rooms(apps: Any, schema_editor: Any) -> None:
    Visit = apps.get_model("visits", "Visit")
    Room = apps.get_model("booking", "Room")
    labels = sorted(
        {label for label in Visit.objects.values_list("room_label", flat=True) if label}
    )
    for order, label in enumerate(labels):
        room, _ = Room.objects.get_or_create(name=label, defaults={"display_order": order})
        Visit.objects.filter(room_label=label).update(room=room)


def rooms_to_labels(apps: Any, schema_editor: Any) -> None:
    Visit = apps.get_model("visits", "Visit")
    for visit in Visit.objects.exclude(room=None).select_related("room"):
        Visit.objects.filter(pk=visit.pk).update(room_label=visit.room.name)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0001_initial"),
        ("visits", "0001_visits_transitions_and_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="room",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to="booking.room",
            ),
        ),
        migrations.RunPython(labels_to_rooms, rooms_to_labels),
        migrations.RemoveField(model_name="visit", name="room_label"),
    ]
