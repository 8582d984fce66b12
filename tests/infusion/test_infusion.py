"""A visit's infusion: start on a verified syringe, titrate within the library, pause,
resume, stop into recovery; the delivered dose and the predicted Cp follow the events.

Known answer: 72.5 kg, 0.5 mg/kg over 55 min at 1 mg/mL = 36.25 mg in 36.25 mL at
39.5 mL/h (36.25 / 55 x 60 = 39.55, to the pump's 0.1 mL/h).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.infusion.models import PumpEvent
from ketamine_clinic.infusion.selectors import infusion_status, timeline_entries
from ketamine_clinic.infusion.services import (
    START_NEEDS_SYRINGE,
    adverse_event_record,
    infusion_pause,
    infusion_resume,
    infusion_start,
    infusion_stop,
    infusion_titrate,
    session_note_record,
)
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.visits.models import Visit
from tests.infusion.support import at, prepared
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db


def test_no_start_without_a_verified_syringe(personas: dict[str, User], ready_visit: Visit) -> None:
    prepared(ready_visit, personas, verify=False)
    with frozen(), pytest.raises(ValidationError) as info:
        infusion_start(ready_visit, by=personas["nurse"])
    assert info.value.message_dict == {"syringe": [START_NEEDS_SYRINGE]}
    ready_visit.refresh_from_db()
    assert ready_visit.state == "ready"


def test_a_whole_infusion_with_a_titration_and_a_pause(
    personas: dict[str, User], ready_visit: Visit
) -> None:
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    prepared(ready_visit, personas)
    with frozen(at(0)):
        start = infusion_start(ready_visit, by=nurse)
    assert float(start.rate_ml_per_h or 0) == 39.5
    with frozen(at(10)):
        status = infusion_status(ready_visit)
        assert status is not None
        assert status.delivered_mg == pytest.approx(39.5 / 6)  # 10 min at 39.5 mL/h, 1 mg/mL
        assert status.cp_now_ng_per_ml is not None and status.cp_now_ng_per_ml > 0
        raised = infusion_titrate(
            ready_visit, by=nurse, step=TitrationStep.by_percent(10), step_text="+10%"
        )
    assert float(raised.rate_ml_per_h or 0) == pytest.approx(43.5, abs=0.1)
    with frozen(at(20)):
        infusion_pause(ready_visit, by=nurse, reason="nausea")
        adverse_event_record(
            ready_visit, by=nurse, kind="nausea", intervention="ondansetron 4 mg IV"
        )
    with frozen(at(25)):
        paused = infusion_status(ready_visit)
        assert paused is not None and paused.remaining_min is None
        infusion_resume(ready_visit, by=nurse)
        session_note_record(ready_visit, by=nurse, kind="setting", text="Eye mask on, music low")
    with frozen(at(30)):
        status = infusion_status(ready_visit)
        assert status is not None
        expected_ml = 39.5 / 6 + float(raised.rate_ml_per_h or 0) * (10 + 5) / 60
        assert status.pump.infused_ml == pytest.approx(expected_ml)
        assert status.pump.infusing_min == pytest.approx(25)
        infusion_stop(ready_visit, by=prescriber)
    ready_visit.refresh_from_db()
    assert ready_visit.state == "recovery"
    kinds = list(PumpEvent.objects.filter(visit=ready_visit).values_list("kind", flat=True))
    assert kinds == ["start", "rate_change", "pause", "resume", "stop"]
    assert AuditEntry.objects.filter(object_type="pump_event").count() == 5
    titles = [entry.title for entry in timeline_entries(ready_visit.patient)]
    assert "Adverse event: Nausea" in titles


def test_a_hard_limit_titration_is_refused(personas: dict[str, User], ready_visit: Visit) -> None:
    prepared(ready_visit, personas)
    with frozen(at(0)):
        infusion_start(ready_visit, by=personas["nurse"])
    with frozen(at(5)), pytest.raises(ValidationError) as info:
        infusion_titrate(
            ready_visit, by=personas["prescriber"], step=TitrationStep.to_dose_rate(2.0),
            step_text="set 2.0 mg/kg/h", override_reason="trying",
        )  # fmt: skip
    assert list(info.value.message_dict) == ["step"]
    assert PumpEvent.objects.filter(kind="rate_change").count() == 0


def test_a_soft_limit_titration_needs_a_prescribers_reason(
    personas: dict[str, User], ready_visit: Visit
) -> None:
    prepared(ready_visit, personas)
    with frozen(at(0)):
        infusion_start(ready_visit, by=personas["nurse"])
    step = TitrationStep.to_dose_rate(1.2)  # above the soft 1.0, below the hard 1.5 mg/kg/h
    with frozen(at(5)):
        with pytest.raises(ValidationError) as info:
            infusion_titrate(ready_visit, by=personas["nurse"], step=step, step_text="set 1.2",
                             override_reason="patient asks")  # fmt: skip
        assert list(info.value.message_dict) == ["override_reason"]
        event = infusion_titrate(
            ready_visit, by=personas["prescriber"], step=step, step_text="set 1.2",
            override_reason="No dissociation at 0.55 mg/kg/h after two infusions.",
        )  # fmt: skip
    assert event.override_reason.startswith("No dissociation")


def test_an_abort_on_the_pump_stops_it_and_records_the_pumps_dose(
    personas: dict[str, User], ready_visit: Visit
) -> None:
    """Known answer: 12 min at 39.5 mL/h of 1 mg/mL = 7.90 mg, then the pump stays still."""
    from decimal import Decimal

    from ketamine_clinic.infusion.services import infusion_abort

    nurse, prescriber = personas["nurse"], personas["prescriber"]
    prepared(ready_visit, personas)
    with frozen(at(0)):
        infusion_start(ready_visit, by=nurse)
    with frozen(at(12)):
        infusion_abort(ready_visit, by=prescriber, reason="BP 182/110 despite pausing")
    ready_visit.refresh_from_db()
    assert ready_visit.state == "aborted"
    assert ready_visit.dose_given_before_abort_mg == Decimal("7.90")
    kinds = list(PumpEvent.objects.filter(visit=ready_visit).values_list("kind", flat=True))
    assert kinds == ["start", "stop"]
    with frozen(at(60)):
        later = infusion_status(ready_visit)
    assert later is not None and later.delivered_mg == pytest.approx(7.9)
    assert not later.pump.running
