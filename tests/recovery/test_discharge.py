"""Recovery and discharge: the guard names every unmet criterion; once the minimum time,
an Aldrete of 9 or more, the review and the escort handover are in, the patient leaves.
The summary adds up what happened."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.infusion.services import (
    adverse_event_record,
    infusion_start,
    infusion_stop,
    infusion_titrate,
)
from ketamine_clinic.inventory.services.use import syringe_account
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.recovery.selectors import (
    DISCHARGE_ADVICE,
    UNACCOUNTED_SYRINGE,
    discharge_criteria,
    visit_summary,
)
from ketamine_clinic.recovery.services import (
    NOTE_UNRESOLVED,
    discharge_review_record,
    escort_handover_record,
    visit_discharge,
)
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition
from tests.infusion.support import at, prepared
from tests.inventory.stock_support import witness
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db


def infused(visit: Visit, personas: dict[str, User]) -> Visit:
    """Started at 0, +10% at 10 min, stopped at 55 min: in recovery."""
    nurse = personas["nurse"]
    prepared(visit, personas)
    with frozen(at(0)):
        infusion_start(visit, by=nurse)
    with frozen(at(10)):
        infusion_titrate(visit, by=nurse, step=TitrationStep.by_percent(10), step_text="+10%")
    with frozen(at(30)):
        adverse_event_record(visit, by=nurse, kind="nausea", intervention="ondansetron 4 mg IV")
    with frozen(at(55)):
        infusion_stop(visit, by=nurse)
    # The caller's copy still says "infusing": recovery reads the stored state itself.
    with frozen(at(56)):
        escort_handover_record(visit, by=nurse, name="Jordan Escortperson", phone="555-0142")
    visit.refresh_from_db()
    return visit


def test_the_pump_cannot_start_without_a_verified_syringe_even_directly(
    personas: dict[str, User], ready_visit: Visit
) -> None:
    with frozen(), pytest.raises(ValidationError) as info:
        visit_transition(ready_visit, "infusing", by=personas["nurse"])
    assert list(info.value.message_dict) == ["state"]
    assert "verified syringe" in info.value.message_dict["state"][0]


def test_discharge_waits_for_every_criterion(personas: dict[str, User], ready_visit: Visit) -> None:
    nurse = personas["nurse"]
    visit = infused(ready_visit, personas)
    syringe = SyringePreparation.objects.get(order__visit=visit)
    with frozen(at(60)), pytest.raises(ValidationError) as info:
        visit_discharge(visit, by=nurse)
    problems = info.value.message_dict["state"]
    assert [p.split(":")[0] for p in problems[:3]] == [
        "Minimum recovery of 30 min",
        "Modified Aldrete score 9 or more",
        "Side effects resolved or noted, advice given",
    ]
    # The syringe drawn from the safe at 09:30 (NOW) is not closed yet either.
    unaccounted = UNACCOUNTED_SYRINGE.format(time="09:30", who=nurse.display_name)
    assert problems[3:] == [unaccounted]
    with frozen(at(70)):
        record_response(visit.patient, "aldrete", [2, 2, 2, 2, 1], actor=nurse, channel="staff")
        with pytest.raises(ValidationError) as unresolved:
            discharge_review_record(visit, by=nurse, side_effects_resolved=False, advice_given=True)
        assert unresolved.value.message_dict == {"side_effects_note": [NOTE_UNRESOLVED]}
        discharge_review_record(
            visit, by=nurse, side_effects_resolved=False,
            side_effects_note="Mild nausea, settling", advice_given=True,
        )  # fmt: skip
        with pytest.raises(ValidationError) as early:
            visit_discharge(visit, by=nurse)  # 15 min of recovery, 30 needed
        assert early.value.message_dict["state"] == [
            "Minimum recovery of 30 min: 16 min to go",
            unaccounted,
        ]
    with frozen(at(85)):
        assert all(c.met for c in discharge_criteria(visit))
        with pytest.raises(ValidationError) as stock:
            visit_discharge(visit, by=nurse)
        assert stock.value.message_dict["state"] == [unaccounted]
        syringe_account(syringe, by=nurse, witness=witness(personas["prescriber"]))
        visit_discharge(visit, by=nurse)
    visit.refresh_from_db()
    assert visit.state == "discharged"


def test_an_aldrete_below_9_keeps_the_patient(
    personas: dict[str, User], ready_visit: Visit
) -> None:
    visit = infused(ready_visit, personas)
    with frozen(at(90)):
        record_response(
            visit.patient, "aldrete", [2, 2, 2, 1, 1], actor=personas["nurse"], channel="staff"
        )
        criterion = discharge_criteria(visit)[1]
    assert (criterion.met, criterion.detail) == (False, "scored 8")


def test_the_summary_adds_up_the_visit(personas: dict[str, User], ready_visit: Visit) -> None:
    visit = infused(ready_visit, personas)
    with frozen(at(60)):
        summary = visit_summary(visit)
    # 10 min at 39.5 mL/h, then 45 min at the raised rate; 1 mg/mL; 72.5 kg.
    raised = visit.pump_events.get(kind="rate_change").rate_ml_per_h
    expected_mg = 39.5 * 10 / 60 + float(raised or 0) * 45 / 60
    assert summary.total_dose_mg == pytest.approx(expected_mg)
    assert summary.total_dose_mg_per_kg == pytest.approx(expected_mg / 72.5)
    assert summary.infusing_min == pytest.approx(55)
    assert (summary.rate_changes, summary.pauses) == (1, 0)
    assert summary.adverse_events == ["Nausea (ondansetron 4 mg IV)"]
    assert summary.systolic_max_mmhg == 122
    assert summary.scores == ["PHQ-9: 8"]  # recorded this morning, by short name
    assert any("night's sleep" in line for line in DISCHARGE_ADVICE)
