"""Migration 0009 keeps an existing database's numerics: each message's ``Observation``
rows become its ``NumericSet``, with each value, invalid ones and own times kept, and
back again when reversed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketamine_clinic.monitoring.models import NumericSet
from tests.monitoring.support import MONITOR, T0

# SQLite cannot alter tables inside the test's transaction, so there the test commits;
# PostgreSQL can (and must not commit: the flush after a committing test is refused by
# the audit trail's append-only triggers).
_COMMITS = connection.vendor == "sqlite"
BEFORE = [("monitoring", "0008_device_rows_without_fk_constraints")]
AFTER = [("monitoring", "0009_numeric_sets")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=_COMMITS)
def test_existing_observations_become_one_set_per_message_and_back() -> None:
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    message_model = old.get_model("monitoring", "DeviceMessage")
    observation = old.get_model("monitoring", "Observation")
    messages = [
        message_model.objects.create(
            sender="s", control_id=f"c{n}", content_sha256=f"{n:064d}", message_type="ORU^R01",
            sent_at=T0, received_at=T0, peer="p", device_eui64=MONITOR, raw="MSH|",
        )
        for n in range(2)
    ]  # fmt: skip
    rows = [
        (messages[0], 147842, Decimal("72.0000"), "72", T0),
        (messages[0], 150456, None, "-?-", T0),
        (messages[0], 150021, Decimal("131.0000"), "131", T0 - timedelta(minutes=3)),
        (messages[1], 147842, Decimal("80.0000"), "80", T0 + timedelta(seconds=1)),
    ]
    for message, code, value, raw, at in rows:
        observation.objects.create(
            message=message, device_eui64=MONITOR, code=code, name=f"N{code}", value=value,
            raw_value=raw, unit="u", observed_at=at, status="R",
        )  # fmt: skip

    _migrate(AFTER)
    sets = list(NumericSet.objects.order_by("message_id"))
    assert [(s.message_id, s.observed_at, s.first_observed_at) for s in sets] == [
        (messages[0].pk, T0, T0 - timedelta(minutes=3)),
        (messages[1].pk, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1)),
    ]
    read = [(r.code, r.value, r.raw_value, r.observed_at) for s in sets for r in s.readings()]
    assert read == [(code, value, raw, at) for _m, code, value, raw, at in rows]

    executor = _migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps.get_model("monitoring", "Observation")
    assert sorted(
        back.objects.values_list("code", "value", "raw_value", "observed_at", "message_id")
    ) == sorted((code, value, raw, at, m.pk) for m, code, value, raw, at in rows)
    _migrate(AFTER)
