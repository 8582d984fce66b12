"""Recovery on the visit page: criteria, Aldrete, review, handover, discharge; the sheet."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.recovery.models import DischargeReview, EscortHandover
from ketamine_clinic.visits.models import Visit
from tests.clinicday.support import recovering_visit
from tests.conftest import PERSONA_PASSWORD, client_for
from tests.infusion.support import at
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db
ALDRETE_10 = {
    f"aldrete-{item}": "2"
    for item in ("activity", "respiration", "circulation", "consciousness", "spo2")
}


def _post(user: User, visit: Visit, action: str, data: dict[str, str], minutes: float) -> int:
    with frozen(at(minutes)):
        response = client_for(user).post(f"/visits/{visit.pk}/{action}", data)
    if response.status_code == 302:
        assert response["Location"] == f"/visits/{visit.pk}/"
    return response.status_code


def _page(user: User, visit: Visit, minutes: float, path: str = "") -> str:
    with frozen(at(minutes)):
        page = client_for(user).get(f"/visits/{visit.pk}/{path}")
    assert page.status_code == 200
    return page.content.decode()


def test_the_criteria_show_unmet_then_met_and_discharge_follows(
    personas: dict[str, User],
) -> None:
    visit = recovering_visit(personas)
    nurse = personas["nurse"]
    text = _page(nurse, visit, 60)
    assert text.count("Not yet</span>") == 4
    assert 'name="aldrete-activity"' in text
    assert _post(nurse, visit, "aldrete", ALDRETE_10, 56) == 302
    assert (
        _post(
            nurse,
            visit,
            "discharge-review",
            {"discharge_review-side_effects_resolved": "on", "discharge_review-advice_given": "on"},
            57,
        )
        == 302
    )
    assert (
        _post(
            nurse,
            visit,
            "handover",
            {"handover-escort_name": "Jordan Escort", "handover-escort_phone": "555-0142"},
            58,
        )
        == 302
    )
    # Stopped at 55 min: the protocol's minimum recovery has not passed at 59 min.
    early = _post(nurse, visit, "discharge", {}, 59)
    assert early == 422
    visit.refresh_from_db()
    assert visit.state == "recovery"
    # Every criterion met, but the syringe drawn from the safe is not accounted for yet.
    later = 55 + visit.planned_recovery_min + 1
    with frozen(at(later)):
        refused = client_for(nurse).post(f"/visits/{visit.pk}/discharge", {})
    assert refused.status_code == 422
    assert "has not been accounted for" in refused.content.decode()
    witnessed = {
        "account-preparation": str(SyringePreparation.objects.get(order__visit=visit).pk),
        "account-witness": personas["prescriber"].username,
        "account-witness_password": PERSONA_PASSWORD,
    }
    assert _post(nurse, visit, "account", witnessed, later) == 302
    assert _post(nurse, visit, "discharge", {}, later) == 302
    visit.refresh_from_db()
    assert visit.state == "discharged"


def test_an_unanswered_aldrete_item_is_refused(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    data = dict(ALDRETE_10)
    del data["aldrete-spo2"]
    assert _post(personas["nurse"], visit, "aldrete", data, 70) == 422
    assert not QuestionnaireResponse.objects.filter(instrument_key="aldrete").exists()


def test_unresolved_side_effects_need_a_note(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    status = _post(
        personas["nurse"],
        visit,
        "discharge-review",
        {"discharge_review-advice_given": "on"},
        70,
    )
    assert status == 422
    assert not DischargeReview.objects.exists()


def test_a_handover_needs_name_and_phone(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    with frozen(at(70)):
        page = client_for(personas["nurse"]).post(f"/visits/{visit.pk}/handover", {})
    assert page.status_code == 422
    assert "name the escort" in page.content.decode()
    assert not EscortHandover.objects.exists()


def test_the_discharge_sheet_summarises_and_advises(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    text = _page(personas["front_desk"], visit, 70, "discharge-sheet")
    assert "After your ketamine infusion" in text
    assert "mg/kg" in text
    assert "Do not drive" in text
    assert "call 911" in text
    assert "on <strong>(555) 010-0142</strong>" in text
    assert "55 min" in text
    assert AuditEntry.objects.filter(
        action="read", object_type="visit", detail__page="discharge_sheet"
    ).exists()
