"""The visit page's stock forms: drawing the syringe from the stock list, and its account.

A refused form comes back (422) with the message beside the field it concerns (the
row of the container it names, the witness's username) and nothing written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry, SyringeAccount
from ketamine_clinic.inventory.services.use import DRAW_STRENGTH, DRAW_TOO_LITTLE
from ketamine_clinic.inventory.witness import WITNESS_IS_ACTOR
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.visits.models import Visit
from tests.clinicday.support import recovering_visit
from tests.conftest import PERSONA_PASSWORD, client_for
from tests.infusion.support import at, make_ready_visit
from tests.inventory.stock_support import receive_lot, receive_stock, vial_product
from tests.visits.support import NOW, frozen

pytestmark = pytest.mark.django_db


def _page(user: User, visit: Visit, minutes: float = 0) -> str:
    with frozen(at(minutes)):
        page = client_for(user).get(f"/visits/{visit.pk}/")
    assert page.status_code == 200
    return page.content.decode()


@dataclass(frozen=True)
class Reply:
    status_code: int
    text: str


def _post(user: User, visit: Visit, action: str, data: dict[str, str], minutes: float = 0) -> Reply:
    with frozen(at(minutes)):
        response = client_for(user).post(f"/visits/{visit.pk}/{action}", data)
    return Reply(response.status_code, response.text)


def _cell(text: str, field: str) -> str:
    """The table cell of the prepare form that holds `field`, with its errors."""
    match = re.search(rf'<td[^>]*>(?:(?!</td>).)*name="prepare-{field}".*?</td>', text, re.S)
    assert match is not None, field
    return match.group(0)


@pytest.fixture
def stocked(personas: dict[str, User]) -> dict[str, Container]:
    keeper = personas["custodian"]
    with frozen(NOW - timedelta(days=60)):
        receive_lot(keeper, "K2512X", NOW.date() - timedelta(days=1))  # expired yesterday
    with frozen(NOW - timedelta(days=7)):
        receive_stock(personas)
        receive_lot(keeper, "K10MG", NOW.date() + timedelta(days=100),
                    product=vial_product(strength_mg_per_ml="10.00", ndc="0409-2051-05"))  # fmt: skip
    return {c.label: c for c in Container.objects.all()}


def test_the_stock_list_offers_vials_in_date_soonest_expiry_first(
    personas: dict[str, User], stocked: dict[str, Container]
) -> None:
    visit = make_ready_visit(personas)
    text = _page(personas["nurse"], visit)
    assert "<strong>0.73 mL</strong> of 50 mg/mL stock (36.25 mg base)" in text
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', text)
    labels = [option.split(" · ")[0] for option in options if " · lot " in option]
    # Each of the three rows lists the same stock; K10MG expires soonest of those in date.
    assert labels[:4] == ["K10MG-01", "K2611A-01", "K2611A-02", "K2702B-01"]
    assert "K2512X-01" not in text
    assert "K2611A-01 · 10.00 mL left · exp 2027-05-31 · lot K2611A · 50 mg/mL" in options
    # The first row suggests the soonest-expiring vial of the ordered strength.
    first = _cell(text, "container_1")
    assert f'<option value="{stocked["K2611A-01"].pk}" selected>' in first
    assert 'value="0.73"' in _cell(text, "volume_ml_1")


def test_a_draw_from_two_vials_is_recorded(
    personas: dict[str, User], stocked: dict[str, Container]
) -> None:
    visit = make_ready_visit(personas)
    response = _post(
        personas["nurse"],
        visit,
        "prepare",
        {
            "prepare-container_1": str(stocked["K2611A-01"].pk),
            "prepare-volume_ml_1": "0.50",
            "prepare-container_2": str(stocked["K2702B-01"].pk),
            "prepare-volume_ml_2": "0.23",
        },
    )
    assert response.status_code == 302
    syringe = SyringePreparation.objects.get()
    assert syringe.vial_lots == "K2611A, K2702B"
    mg = StockEntry.objects.filter(preparation=syringe, kind=EntryKind.DRAWN).order_by("id")
    assert [entry.mg for entry in mg] == [Decimal("25.00"), Decimal("11.50")]
    assert "lot K2611A, K2702B" in _page(personas["nurse"], visit)


def test_a_refused_draw_comes_back_beside_its_row(
    personas: dict[str, User], stocked: dict[str, Container]
) -> None:
    visit = make_ready_visit(personas)
    response = _post(
        personas["nurse"],
        visit,
        "prepare",
        {
            "prepare-container_1": str(stocked["K2611A-01"].pk),
            "prepare-volume_ml_1": "0.50",
            "prepare-container_2": str(stocked["K10MG-01"].pk),
            "prepare-volume_ml_2": "0.23",
        },
    )
    assert response.status_code == 422
    text = response.text
    message = DRAW_STRENGTH.format(label="K10MG-01", have="10.00", want="50.00")
    assert message in _cell(text, "container_2")
    assert message not in _cell(text, "container_1")
    assert not SyringePreparation.objects.exists()
    assert not StockEntry.objects.filter(kind=EntryKind.DRAWN).exists()


def test_too_little_and_half_filled_rows_are_refused(
    personas: dict[str, User], stocked: dict[str, Container]
) -> None:
    visit = make_ready_visit(personas)
    nurse = personas["nurse"]
    vial = str(stocked["K2611A-01"].pk)
    short = _post(
        nurse, visit, "prepare", {"prepare-container_1": vial, "prepare-volume_ml_1": "0.5"}
    )
    assert short.status_code == 422
    too_little = DRAW_TOO_LITTLE.format(want="0.73", have="0.50")
    assert too_little in short.text
    half = _post(nurse, visit, "prepare", {"prepare-container_1": vial, "prepare-volume_ml_2": "1"})
    assert half.status_code == 422
    assert "Enter the mL drawn from this container." in _cell(half.text, "volume_ml_1")
    assert "Choose the container these mL came from." in _cell(half.text, "container_2")
    expired = str(stocked["K2512X-01"].pk)
    stale = _post(
        nurse, visit, "prepare", {"prepare-container_1": expired, "prepare-volume_ml_1": "1"}
    )
    assert stale.status_code == 422
    assert "Select a valid choice" in _cell(stale.text, "container_1")
    assert not SyringePreparation.objects.exists()


def _account_data(syringe: SyringePreparation, witness: User, password: str) -> dict[str, str]:
    return {
        "account-preparation": str(syringe.pk),
        "account-witness": witness.username,
        "account-witness_password": password,
    }


def test_the_account_form_after_the_infusion(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    text = _page(personas["nurse"], visit, 60)
    assert "Account for the syringe" in text
    assert "Drawn</dt><dd>36.50 mg" in text
    assert '36.21 mg <span class="muted">(pump record: 36.21 mL infused at 1.00 mg/mL)' in text
    assert "<strong>0.29 mg</strong>" in text
    assert 'name="account-witness_password"' in text
    # The clinic lead and the front desk read the figures; only clinical staff account.
    for role in ("clinic_lead", "front_desk"):
        theirs = _page(personas[role], visit, 60)
        assert "<strong>0.29 mg</strong>" in theirs
        assert 'name="account-witness_password"' not in theirs
    # The room page points there.
    with frozen(at(60)):
        room = client_for(personas["nurse"]).get(f"/visits/{visit.pk}/room")
    assert "1 syringe drawn for this visit is not accounted for yet" in room.content.decode()


def test_a_wrong_password_or_the_nurse_as_witness_is_refused_beside_the_witness(
    personas: dict[str, User],
) -> None:
    visit = recovering_visit(personas)
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    syringe = SyringePreparation.objects.get()
    wrong = _post(nurse, visit, "account", _account_data(syringe, prescriber, "nope"), 60)
    assert wrong.status_code == 422
    text = wrong.text
    field = re.search(r'<div class="field invalid">.*?</div>', text, re.S)
    assert field is not None
    assert 'name="account-witness"' in field.group(0)
    assert "username and password were not accepted" in field.group(0)
    assert 'value="nope"' not in text  # a password is never sent back
    own = _post(nurse, visit, "account", _account_data(syringe, nurse, PERSONA_PASSWORD), 60)
    assert own.status_code == 422
    assert WITNESS_IS_ACTOR in own.text
    assert not SyringeAccount.objects.exists()


def test_the_account_is_recorded_and_shown(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    syringe = SyringePreparation.objects.get()
    done = _post(nurse, visit, "account", _account_data(syringe, prescriber, PERSONA_PASSWORD), 60)
    assert done.status_code == 302
    account = SyringeAccount.objects.get()
    assert (account.wasted_mg, account.witness) == (Decimal("0.29"), prescriber)
    text = _page(nurse, visit, 61)
    assert f"by {nurse.display_name}, witnessed by {prescriber.display_name}" in text
    assert 'name="account-witness_password"' not in text
    again = _post(nurse, visit, "account", _account_data(syringe, prescriber, PERSONA_PASSWORD), 62)
    assert again.status_code == 422
    assert "This syringe has already been accounted for." in again.text
    assert SyringeAccount.objects.count() == 1


def test_another_visits_syringe_cannot_be_posted_here(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    other = make_ready_visit(personas)
    syringe = SyringePreparation.objects.get(order__visit=visit)
    response = _post(
        personas["nurse"], other, "account",
        _account_data(syringe, personas["prescriber"], PERSONA_PASSWORD), 60,
    )  # fmt: skip
    assert response.status_code == 422
    assert "not drawn for this visit" in response.text
    assert not SyringeAccount.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("nurse", 302),
        ("prescriber", 302),
        ("front_desk", 403),
        ("clinic_lead", 403),
        ("custodian", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_who_may_account_for_a_syringe(personas: dict[str, User], role: str, status: int) -> None:
    visit = recovering_visit(personas)
    syringe = SyringePreparation.objects.get()
    witness = personas["custodian"] if role == "prescriber" else personas["prescriber"]
    response = _post(
        personas[role], visit, "account", _account_data(syringe, witness, PERSONA_PASSWORD), 60
    )
    assert response.status_code == status
    assert SyringeAccount.objects.count() == (1 if status == 302 else 0)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("nurse", 302),
        ("prescriber", 302),
        ("front_desk", 403),
        ("clinic_lead", 403),
        ("custodian", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_who_may_draw_a_syringe(
    personas: dict[str, User], stocked: dict[str, Container], role: str, status: int
) -> None:
    visit = make_ready_visit(personas)
    data = {"prepare-container_1": str(stocked["K2611A-01"].pk), "prepare-volume_ml_1": "0.73"}
    assert _post(personas[role], visit, "prepare", data).status_code == status
    drawn = StockEntry.objects.filter(kind=EntryKind.DRAWN).count()
    assert drawn == (1 if status == 302 else 0)
