"""The stock pages through the Django client: what each role sees, each form's happy
path with real numbers, and each refusal (422, the message by its field, nothing written).

Who may open each URL at all is the role matrix's (tests/test_role_matrix.py); here each
page's content is checked for the roles that differ in what they see.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory import selectors
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    DeaRegistration,
    Product,
    Receipt,
    StockEntry,
    StorageLocation,
    Supplier,
)
from ketamine_clinic.inventory.services import reference
from ketamine_clinic.inventory.services import stock as stock_services
from ketamine_clinic.inventory.witness import WITNESS_MISSING, WITNESS_REFUSED
from tests.conftest import PERSONA_PASSWORD, client_for
from tests.inventory.pages.support import CLINIC_DEA, SUPPLIER_DEA, set_up, text_of, today

pytestmark = pytest.mark.django_db

DASHBOARD = "/inventory/"


def ledger_rows() -> tuple[int, int, int]:
    return (Receipt.objects.count(), Container.objects.count(), StockEntry.objects.count())


# ---- the dashboard and receiving -------------------------------------------------------


def test_receiving_three_vials_shows_1500_mg_and_30_ml_on_the_dashboard(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    client = client_for(personas["custodian"])

    response = client.post(reverse("inventory:receive"), setup.receive_form())

    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:receipt", args=[receipt.pk])
    assert [c.label for c in setup.containers()] == ["K2611A-01", "K2611A-02", "K2611A-03"]
    assert receipt.supplier_dea_number == SUPPLIER_DEA
    assert receipt.registration.number == CLINIC_DEA

    page = client.get(reverse("inventory:receipt", args=[receipt.pk]))
    assert page.status_code == 200
    assert page.context["received_mg"] == Decimal("1500.00")
    assert page.context["received_ml"] == Decimal("30.00")
    assert [row["container"].label for row in page.context["rows"]] == [
        "K2611A-01",
        "K2611A-02",
        "K2611A-03",
    ]

    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.context["total_mg"] == Decimal("1500.00")
    assert dashboard.context["total_ml"] == Decimal("30.00")
    html = text_of(dashboard)
    assert '<p class="glance-value" id="total-mg">1500.00</p>' in html
    assert (
        '<span id="total-ml">30.00</span> mL in <span id="total-containers">3</span> containers'
        in html
    )
    assert "0409-2053-10" in html
    assert html.count('<span class="badge badge-ok">Sealed</span>') == 3
    [lot] = dashboard.context["lots"]
    assert lot.received_mg == Decimal("1500.00")
    assert lot.buckets[Bucket.ON_HAND] == Decimal("1500.00")
    assert lot.balances is True
    assert dashboard.context["all_balance"] is True
    assert 'id="verdict">Balances</p>' in html


def test_a_nurse_sees_the_stock_on_hand_and_not_the_record_behind_it(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    container = Container.objects.get()

    response = client_for(personas["nurse"]).get(DASHBOARD)

    html = text_of(response)
    assert response.status_code == 200
    assert "K2611A-01" in html
    assert "500.00" in html
    assert reverse("inventory:container", args=[container.pk]) not in html
    assert "Balance per lot" not in html
    assert "lots" not in response.context
    assert "Receive stock" not in html


def test_the_clinic_lead_reads_the_record_but_is_offered_no_receive_button(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    container = Container.objects.get()

    html = text_of(client_for(personas["clinic_lead"]).get(DASHBOARD))

    assert reverse("inventory:container", args=[container.pk]) in html
    assert "Balance per lot" in html
    assert reverse("inventory:receive") not in html


def test_an_expired_lot_on_hand_is_warned_about(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    receipt = setup.receive(containers=2)
    # The receipt refuses a lot already expired, so the clock moves past its expiry.
    later = datetime.combine(receipt.lot.expiry_date + timedelta(days=2), time(12), tzinfo=UTC)
    with time_machine.travel(later):
        response = client_for(personas["custodian"]).get(DASHBOARD)
    [warning] = response.context["warnings"]
    assert (warning.expired, warning.days_left) == (True, -2)
    assert warning.on_hand_mg == Decimal("1000.00")
    assert warning.containers == ["K2611A-01", "K2611A-02"]
    assert "Dispose of or return it." in text_of(response)


def test_receiving_without_a_registration_is_refused_and_writes_nothing(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"], with_registration=False)

    response = client_for(personas["custodian"]).post(
        reverse("inventory:receive"), setup.receive_form()
    )

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [stock_services.NO_REGISTRATION]
    assert escape(stock_services.NO_REGISTRATION) in text_of(response)
    assert ledger_rows() == (0, 0, 0)


def test_an_already_expired_lot_is_refused_by_its_expiry_field(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    expired = today() - timedelta(days=1)

    response = client_for(personas["custodian"]).post(
        reverse("inventory:receive"), setup.receive_form(expiry_date=expired.isoformat())
    )

    assert response.status_code == 422
    assert response.context["form"].errors["expiry_date"] == [
        stock_services.EXPIRY_BEFORE_RECEIPT.format(day=expired)
    ]
    assert ledger_rows() == (0, 0, 0)


def test_receipt_notes_are_shown_as_text_not_markup(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    client = client_for(personas["custodian"])
    client.post(
        reverse("inventory:receive"),
        setup.receive_form(notes="<script>alert('x')</script> box dented"),
    )
    receipt = Receipt.objects.get()

    html = text_of(client.get(reverse("inventory:receipt", args=[receipt.pk])))

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; box dented" in html
    assert "<script>alert" not in html


# ---- the registration ------------------------------------------------------------------


def test_a_registration_with_a_wrong_check_digit_is_refused(personas: dict[str, User]) -> None:
    response = client_for(personas["prescriber"]).post(
        reverse("inventory:registration_record"),
        {
            "number": "BK1234564",
            "registrant_name": "Harbour Clinic",
            "address": "1 Quay",
            "schedules": "3, 3N",
            "expires_on": (today() + timedelta(days=300)).isoformat(),
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors["number"] == [
        stock_services.DEA_CHECK_DIGIT.format(number="BK1234564")
    ]
    assert DeaRegistration.objects.count() == 0


def test_a_renewal_becomes_the_registration_in_force_and_the_old_one_stays(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    client = client_for(personas["custodian"])
    renewed = today() + timedelta(days=3 * 365)

    response = client.post(
        reverse("inventory:registration_record"),
        {
            "number": "bk1234563",
            "registrant_name": "Harbour Ketamine Clinic (synthetic)",
            "address": "2 New Quay",
            "schedules": "3, 3N",
            "expires_on": renewed.isoformat(),
        },
    )

    assert response.status_code == 302
    page = client.get(reverse("inventory:registration"))
    assert page.context["current"].expires_on == renewed
    assert page.context["current"].address == "2 New Quay"
    assert [r.pk for r in page.context["history"]][1] == setup.registration.pk  # type: ignore[union-attr]
    assert 'badge badge-ok">In force' in text_of(page)
    assert AuditEntry.objects.filter(object_type="dea_registration").count() == 1


def test_the_lead_reads_the_registration_without_the_form(personas: dict[str, User]) -> None:
    set_up(personas["custodian"])

    response = client_for(personas["clinic_lead"]).get(reverse("inventory:registration"))

    assert response.status_code == 200
    assert CLINIC_DEA in text_of(response)
    assert reverse("inventory:registration_record") not in text_of(response)


# ---- suppliers, products, locations ----------------------------------------------------


def test_a_supplier_is_added_and_a_bad_dea_number_is_refused(personas: dict[str, User]) -> None:
    client = client_for(personas["custodian"])

    refused = client.post(
        reverse("inventory:supplier_add"),
        {"name": "Depot Two", "address": "3 Road", "dea_number": "PA7352015"},
    )
    added = client.post(
        reverse("inventory:supplier_add"),
        {"name": "Depot Two", "address": "3 Road", "dea_number": "pa7352014"},
    )

    assert refused.status_code == 422
    assert refused.context["form"].errors["dea_number"] == [
        stock_services.DEA_CHECK_DIGIT.format(number="PA7352015")
    ]
    assert added.status_code == 302
    supplier = Supplier.objects.get()
    assert (supplier.name, supplier.dea_number) == ("Depot Two", SUPPLIER_DEA)


def test_editing_a_supplier_leaves_past_receipts_as_they_were(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    receipt = setup.receive(containers=1)
    client = client_for(personas["custodian"])
    url = reverse("inventory:supplier_edit", args=[setup.supplier.pk])

    assert client.get(url).context["form"].initial["dea_number"] == SUPPLIER_DEA
    response = client.post(
        url, {"name": "Synthetic Pharma", "address": "10 New Depot", "dea_number": SUPPLIER_DEA}
    )

    assert response.status_code == 302
    setup.supplier.refresh_from_db()
    assert setup.supplier.address == "10 New Depot"
    receipt.refresh_from_db()
    assert receipt.supplier_address == "9 Depot Road"
    assert "9 Depot Road" in text_of(client.get(reverse("inventory:receipt", args=[receipt.pk])))


def test_a_product_stated_as_the_salt_is_recorded_as_base_and_salt(
    personas: dict[str, User],
) -> None:
    client = client_for(personas["prescriber"])

    response = client.post(
        reverse("inventory:product_add"),
        {
            "name": "Ketamine HCl 57.65 mg/mL (as salt), 10 mL",
            "ndc": "12345-678-90",
            "strength_mg_per_ml": "57.65",
            "strength_basis": "salt",
            "container_ml": "10",
        },
    )

    assert response.status_code == 302
    product = Product.objects.get()
    # 57.65 / 1.153 = 50.00 mg/mL base; 500.00 mg base in a 10 mL vial.
    assert (product.base_mg_per_ml, product.salt_mg_per_ml) == (Decimal("50.00"), Decimal("57.65"))
    assert product.container_mg == Decimal("500.00")
    html = text_of(client.get(reverse("inventory:product_list")))
    assert "1.153" in html
    assert '<td class="num">50.00</td>' in html
    assert '<td class="num">57.65</td>' in html


def test_a_product_with_a_malformed_ndc_is_refused(personas: dict[str, User]) -> None:
    response = client_for(personas["custodian"]).post(
        reverse("inventory:product_add"),
        {
            "name": "Ketamine 50",
            "ndc": "0409205310",
            "strength_mg_per_ml": "50",
            "strength_basis": "base",
            "container_ml": "10",
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors["ndc"] == [reference.NDC_FORMAT]
    assert Product.objects.count() == 0


def test_a_second_location_of_the_same_name_is_refused(personas: dict[str, User]) -> None:
    client = client_for(personas["custodian"])
    first = client.post(reverse("inventory:location_add"), {"name": "Safe B", "description": ""})
    second = client.post(reverse("inventory:location_add"), {"name": "safe b", "description": ""})

    assert first.status_code == 302
    assert second.status_code == 422
    assert second.context["form"].errors["name"] == [reference.LOCATION_TAKEN.format(name="safe b")]
    assert list(StorageLocation.objects.values_list("name", flat=True)) == ["Safe B"]


# ---- a container: disposal, return, corrections ----------------------------------------


def _remove_form(**changes: str) -> dict[str, str]:
    data = {
        "method": "on_site",
        "reason": "expired",
        "reference": "Form 41 #2026-11",
        "notes": "",
        "witness_username": "p_nurse",
        "witness_password": PERSONA_PASSWORD,
        "witness_code": "",
        "second_witness_username": "p_prescriber",
        "second_witness_password": PERSONA_PASSWORD,
        "second_witness_code": "",
    }
    data.update(changes)
    return data


def test_destroying_a_vial_on_site_before_two_witnesses(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=2)
    vial = Container.objects.get(label="K2611A-01")
    client = client_for(personas["custodian"])
    url = reverse("inventory:container_remove", args=[vial.pk])

    response = client.post(url, _remove_form(notes="<b>cracked</b> on the shelf"))

    assert response.status_code == 302
    entry = StockEntry.objects.get(kind=EntryKind.DISPOSED)
    assert (entry.mg, entry.witness, entry.second_witness) == (
        Decimal("500.00"),
        personas["nurse"],
        personas["prescriber"],
    )
    page = client.get(reverse("inventory:container", args=[vial.pk]))
    html = text_of(page)
    assert page.context["on_hand_mg"] == Decimal("0.00")
    assert "Form 41 #2026-11" in html
    assert "&lt;b&gt;cracked&lt;/b&gt; on the shelf" in html
    assert "P_Nurse Test, P_Prescriber Test" in html
    # The other vial is untouched, and the lot still balances.
    [lot] = selectors.lot_balances()
    assert lot.buckets[Bucket.ON_HAND] == Decimal("500.00")
    assert lot.buckets[Bucket.DISPOSED] == Decimal("500.00")
    assert lot.balances is True


def test_a_wrong_witness_password_is_refused_by_the_witness_field(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    vial = Container.objects.get()
    before = ledger_rows()

    response = client_for(personas["custodian"]).post(
        reverse("inventory:container_remove", args=[vial.pk]),
        _remove_form(witness_password="not-their-password"),
    )

    assert response.status_code == 422
    [message] = response.context["remove_form"].errors["witness_username"]
    assert message.startswith(WITNESS_REFUSED.split("{")[0])
    assert ledger_rows() == before
    assert selectors.stock_on_hand()[0].on_hand_mg == Decimal("500.00")
    # The password field is never sent back to the browser.
    assert "not-their-password" not in text_of(response)


def test_a_return_needs_one_witness_and_none_is_refused(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    vial = Container.objects.get()
    client = client_for(personas["prescriber"])
    url = reverse("inventory:container_remove", args=[vial.pk])
    returning = {"method": "supplier", "reason": "recalled", "reference": "RA-55"}

    refused = client.post(url, _remove_form(witness_username="", witness_password="", **returning))
    returned = client.post(
        url,
        _remove_form(witness_username="p_custodian", second_witness_username="", **returning),
    )

    assert refused.status_code == 422
    assert refused.context["remove_form"].errors["witness_username"] == [WITNESS_MISSING]
    assert returned.status_code == 302
    entry = StockEntry.objects.get(kind=EntryKind.RETURNED)
    assert (entry.mg, entry.witness, entry.second_witness) == (
        Decimal("500.00"),
        personas["custodian"],
        None,
    )


def test_a_received_entry_is_corrected_by_a_linked_witnessed_entry(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    vial = Container.objects.get()
    received = StockEntry.objects.get(kind=EntryKind.RECEIVED)
    client = client_for(personas["custodian"])
    url = reverse("inventory:entry_correct", args=[received.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "difference_mg": "-100.00",
            "reason": "Vial held 8 mL, not 10: <i>short fill</i>",
            "witness_username": "p_prescriber",
            "witness_password": PERSONA_PASSWORD,
        },
    )

    assert response.status_code == 302
    correction = StockEntry.objects.get(corrects=received)
    assert (correction.kind, correction.mg, correction.witness) == (
        EntryKind.RECEIVED,
        Decimal("-100.00"),
        personas["prescriber"],
    )
    page = client.get(reverse("inventory:container", args=[vial.pk]))
    html = text_of(page)
    assert page.context["on_hand_mg"] == Decimal("400.00")
    assert page.context["on_hand_ml"] == Decimal("8.00")
    assert f'Correction of <a href="#entry-{received.pk}">#{received.pk}</a>' in html
    assert "-100.00" in html
    assert "&lt;i&gt;short fill&lt;/i&gt;" in html
    assert f'Corrected by <a href="#entry-{correction.pk}">' in html


def test_a_correction_with_a_wrong_witness_password_writes_nothing(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    received = StockEntry.objects.get(kind=EntryKind.RECEIVED)
    before = ledger_rows()

    response = client_for(personas["custodian"]).post(
        reverse("inventory:entry_correct", args=[received.pk]),
        {
            "difference_mg": "-100.00",
            "reason": "Short fill",
            "witness_username": "p_prescriber",
            "witness_password": "wrong",
        },
    )

    assert response.status_code == 422
    assert response.context["form"].errors["witness_username"]
    assert ledger_rows() == before


def test_a_correction_that_would_take_more_than_is_on_hand_is_refused(
    personas: dict[str, User],
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    received = StockEntry.objects.get(kind=EntryKind.RECEIVED)

    response = client_for(personas["custodian"]).post(
        reverse("inventory:entry_correct", args=[received.pk]),
        {
            "difference_mg": "-600.00",
            "reason": "Typo",
            "witness_username": "p_prescriber",
            "witness_password": PERSONA_PASSWORD,
        },
    )

    assert response.status_code == 422
    # The ledger's own check names no form field (shown above the form); the service's
    # check of the entry's net amount names the difference. Either way it says 500.00 mg.
    errors = response.context["form"].errors
    messages = errors.get("difference_mg", []) + errors.get("__all__", [])
    assert len(messages) == 1
    assert "500.00 mg" in messages[0]
    assert StockEntry.objects.count() == 1


def test_the_lead_sees_a_container_without_its_action_forms(personas: dict[str, User]) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    vial = Container.objects.get()

    html = text_of(
        client_for(personas["clinic_lead"]).get(reverse("inventory:container", args=[vial.pk]))
    )

    assert "Received" in html
    assert reverse("inventory:container_remove", args=[vial.pk]) not in html
    assert "Correct</a>" not in html


def test_an_unknown_container_is_404(personas: dict[str, User]) -> None:
    response = client_for(personas["custodian"]).get(reverse("inventory:container", args=[999]))
    assert response.status_code == 404


# ---- the site navigation and the home page ---------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("custodian", True),
        ("prescriber", True),
        ("clinic_lead", True),
        ("front_desk", False),
        ("administrator", False),
    ],
)
def test_the_menu_and_home_offer_controlled_substances_to_those_who_keep_or_read_them(
    personas: dict[str, User], role: str, shown: bool
) -> None:
    html = text_of(client_for(personas[role]).get("/"))

    menu_link = f'<a href="{DASHBOARD}">Controlled substances</a>'
    home_card = f'<a href="{DASHBOARD}">Controlled substances</a></h2>'
    assert (menu_link in html) is shown
    assert (home_card in html) is shown


def test_the_custodian_home_links_to_receiving_stock(personas: dict[str, User]) -> None:
    html = text_of(client_for(personas["custodian"]).get("/"))
    assert f'<a href="{reverse("inventory:receive")}">Receive stock</a>' in html
    assert "will appear here once" not in html


def _subnav(html: str) -> list[str]:
    """The sub-navigation's link labels, current page marked with a star."""
    nav = html.split('aria-label="Controlled substances">', 1)[1].split("</nav>", 1)[0]
    return [
        ("*" if current else "") + label
        for current, label in re.findall(r'<a href="[^"]+"( aria-current="page")?>([^<]+)</a>', nav)
    ]


def test_the_sub_navigation_lists_only_pages_the_role_may_open(
    personas: dict[str, User],
) -> None:
    nurse = _subnav(text_of(client_for(personas["nurse"]).get(DASHBOARD)))
    keeper = _subnav(text_of(client_for(personas["custodian"]).get(reverse("inventory:receive"))))

    assert nurse == ["*Stock"]
    assert {"Stock", "*Receive", "DEA registration", "Suppliers", "Products", "Locations"} <= set(
        keeper
    )


def test_a_drawn_syringe_awaits_its_account_with_a_link_to_its_visit(
    personas: dict[str, User],
) -> None:
    from tests.infusion.support import make_ready_visit, prepared

    visit = make_ready_visit(personas)
    syringe = prepared(visit, personas)
    drawn = StockEntry.objects.get(preparation=syringe, kind=EntryKind.DRAWN)

    response = client_for(personas["custodian"]).get(DASHBOARD)

    [awaiting] = response.context["awaiting"]
    assert (awaiting.preparation_id, awaiting.visit_id) == (syringe.pk, visit.pk)
    assert awaiting.drawn_mg == drawn.mg > 0
    html = text_of(response)
    assert f'<a href="{reverse("clinicday:visit", args=[visit.pk])}">Visit {visit.pk}</a>' in html
    assert f"{drawn.mg} mg drawn by P_Nurse Test" in html
    # Drawn mg sits in the syringe bucket until the account: the lot still balances.
    lots = {balance.lot.pk: balance for balance in response.context["lots"]}
    drawn_lot = lots[drawn.container.lot_id]
    assert drawn_lot.buckets[Bucket.IN_SYRINGE] == drawn.mg
    assert drawn_lot.buckets[Bucket.ON_HAND] == drawn_lot.received_mg - drawn.mg
    assert all(balance.balances for balance in lots.values())


@pytest.mark.parametrize("role", ["nurse", "clinic_lead", "front_desk"])
def test_those_without_the_keys_cannot_post_stock_changes(
    personas: dict[str, User], role: str
) -> None:
    setup = set_up(personas["custodian"])
    setup.receive(containers=1)
    vial = Container.objects.get()
    received = StockEntry.objects.get()
    before = (ledger_rows(), Supplier.objects.count())
    client = client_for(personas[role])

    statuses = [
        client.post(reverse("inventory:receive"), setup.receive_form()).status_code,
        client.post(
            reverse("inventory:container_remove", args=[vial.pk]), _remove_form()
        ).status_code,
        client.post(
            reverse("inventory:entry_correct", args=[received.pk]),
            {"difference_mg": "-1", "reason": "x", "witness_username": "p_prescriber"},
        ).status_code,
        client.post(
            reverse("inventory:supplier_add"),
            {"name": "X", "address": "Y", "dea_number": SUPPLIER_DEA},
        ).status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    assert (ledger_rows(), Supplier.objects.count()) == before


# ---- when the next count is due, and the home page's live figures ----------------------

# Tuesday 10 March 2026 in New York (EDT, UTC-4), the day tests/infusion/support's visit
# is drawn for: stock arrives the day before, the count closes at 18:00.
RECEIVED_AT = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
COUNT_CLOSED_AT = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)  # 18:00 EDT


def _count_with_a_short_vial(keeper: User, second: User, short_label: str) -> int:
    """Both counters see what the record holds, except 0.10 mL (5.00 mg) less in one vial."""
    from ketamine_clinic.inventory.services.counts import count_close, count_enter, count_start

    with time_machine.travel(COUNT_CLOSED_AT - timedelta(minutes=30), tick=False):
        count = count_start(by=keeper)
        for counter in (keeper, second):
            for row in selectors.stock_on_hand():
                short = Decimal("0.10") if row.container.label == short_label else Decimal(0)
                count_enter(
                    count, by=counter, container=row.container, counted_ml=row.on_hand_ml - short
                )
    with time_machine.travel(COUNT_CLOSED_AT, tick=False):
        count_close(count, by=keeper)
    return count.pk


def test_before_any_count_has_closed_a_count_is_due_now(personas: dict[str, User]) -> None:
    set_up(personas["custodian"]).receive(containers=1)
    client = client_for(personas["custodian"])

    dashboard = client.get(DASHBOARD)
    home = text_of(client.get("/"))

    assert dashboard.context["count_due"].due_at is None
    html = text_of(dashboard)
    assert '<p class="glance-value verdict verdict-bad" id="count-due">Due now</p>' in html
    assert "No count has closed yet: count today." in html
    assert (
        '<td id="home-count-due"><span class="badge badge-danger">'
        "Due now: no count has closed yet</span></td>" in home
    )


def test_the_next_count_is_due_24_hours_after_the_last_closed_and_overdue_after_that(
    personas: dict[str, User],
) -> None:
    with time_machine.travel(RECEIVED_AT, tick=False):
        set_up(personas["custodian"]).receive(containers=2)
    count_id = _count_with_a_short_vial(personas["custodian"], personas["prescriber"], "K2611A-02")

    # A client each time: an hour between two pages would end the session (idle limit).
    with time_machine.travel(COUNT_CLOSED_AT + timedelta(hours=23), tick=False):
        client = client_for(personas["custodian"])
        before = client.get(DASHBOARD)
        home_before = text_of(client.get("/"))
    with time_machine.travel(COUNT_CLOSED_AT + timedelta(hours=24, minutes=1), tick=False):
        client = client_for(personas["custodian"])
        after = client.get(DASHBOARD)
        home_after = text_of(client.get("/"))

    assert before.context["count_due"].due_at == COUNT_CLOSED_AT + timedelta(hours=24)
    assert before.context["count_overdue"] is False
    assert '<p class="glance-value" id="count-due">11 Mar 18:00</p>' in text_of(before)
    assert 'verdict-bad" id="open-discrepancies">1</p>' in text_of(before)
    # The count's own id: PostgreSQL does not reuse ids a rolled-back test took.
    assert f"K2611A-02 (-5.00 mg, count #{count_id})</a>." in text_of(before)
    assert "Next count due 11 Mar 2026 18:00</span> The last closed 10 Mar 2026 18:00." in (
        text_of(before)
    )
    assert '<span class="badge badge-ok">Due 11 Mar 18:00</span>' in home_before
    assert after.context["count_overdue"] is True
    assert '<span class="badge badge-danger">Overdue</span> The next count was due ' in (
        text_of(after)
    )
    assert '<span class="badge badge-danger">Overdue since 11 Mar 18:00</span>' in home_after


def test_the_count_frequency_follows_the_clinics_setting(personas: dict[str, User]) -> None:
    with time_machine.travel(RECEIVED_AT, tick=False):
        set_up(personas["custodian"]).receive(containers=1)
    _count_with_a_short_vial(personas["custodian"], personas["prescriber"], "none")

    with (
        override_settings(KC_CS_COUNT_EVERY_HOURS=8),
        time_machine.travel(COUNT_CLOSED_AT + timedelta(hours=1), tick=False),
    ):
        html = text_of(client_for(personas["clinic_lead"]).get(DASHBOARD))
        home = text_of(client_for(personas["clinic_lead"]).get("/"))

    # 18:00 + 8 h = 02:00 the next morning.
    assert '<p class="glance-value" id="count-due">11 Mar 02:00</p>' in html
    assert "The clinic counts every 8 hours." in html
    assert '<span class="badge badge-ok">Due 11 Mar 02:00</span>' in home


def test_the_home_cards_show_the_records_live_figures_to_those_who_keep_or_read_it(
    personas: dict[str, User],
) -> None:
    from tests.infusion.support import make_ready_visit, prepared

    with time_machine.travel(RECEIVED_AT, tick=False):
        setup = set_up(personas["custodian"])
        setup.receive(containers=2)  # K2611A-01, -02: 1000.00 mg, expiring in 400 days
        stock_services.stock_receive(  # 1 vial expiring in 30 days: inside the 60-day warning
            stock_services.ReceiptRequest(
                product=setup.product,
                location=setup.location,
                supplier=setup.supplier,
                lot_number="K2604X",
                expiry_date=today() + timedelta(days=30),
                invoice_number="INV-2604",
                received_on=today(),
                container_count=1,
            ),
            by=personas["custodian"],
        )
    syringe = prepared(make_ready_visit(personas), personas)  # from K2611A-01
    drawn_mg = StockEntry.objects.get(preparation=syringe, kind=EntryKind.DRAWN).mg
    _count_with_a_short_vial(personas["custodian"], personas["prescriber"], "K2611A-02")

    homes = {}
    with time_machine.travel(COUNT_CLOSED_AT + timedelta(hours=2), tick=False):
        for role in ("custodian", "prescriber", "clinic_lead", "nurse", "front_desk"):
            homes[role] = text_of(client_for(personas[role]).get("/"))

    on_hand = Decimal("1500.00") - drawn_mg
    assert drawn_mg == Decimal("36.50")
    for role in ("custodian", "prescriber", "clinic_lead"):
        html = homes[role]
        assert f'<td id="home-on-hand"><strong>{on_hand} mg base in 3 containers</strong>' in html
        assert '<td id="home-awaiting"><span class="badge badge-warn">1</span></td>' in html
        assert '<td id="home-discrepancies"><span class="badge badge-danger">1</span></td>' in html
        assert (
            '<td id="home-expiry"><span class="badge badge-warn">1 lot expiring soon</span></td>'
            in html
        )
        assert '<td id="home-count-due"><span class="badge badge-ok">Due 11 Mar 18:00</span>' in (
            html
        )
        # One card with figures, even for a role that holds two of these roles' cards.
        assert html.count('class="data home-figures"') == 1
    for role in ("nurse", "front_desk"):
        assert "home-figures" not in homes[role]
        assert "home-on-hand" not in homes[role]


def test_an_accounted_syringes_draw_offers_no_correction_and_a_loss_links_its_discrepancy(
    personas: dict[str, User],
) -> None:
    from tests.inventory.reports_support import month

    known = month(personas)  # R2603A-01 gave 0.60 mL to the accounted syringe
    vial = known.containers["R2603A-01"]
    drawn = StockEntry.objects.get(container=vial, kind=EntryKind.DRAWN)
    received = StockEntry.objects.get(container=vial, kind=EntryKind.RECEIVED)
    lost = StockEntry.objects.get(kind=EntryKind.LOST)

    html = text_of(client_for(personas["custodian"]).get(f"/inventory/containers/{vial.pk}/"))
    lost_html = text_of(
        client_for(personas["custodian"]).get(f"/inventory/containers/{lost.container_id}/")
    )

    assert f'aria-label="Correct entry {received.pk}"' in html
    assert (
        '<p class="print-only" id="print-registrant">Ketamine Clinic · Harbour Ketamine Clinic '
        '(synthetic), DEA <span class="dea">BK1234563</span> · printed ' in html
    )
    assert f'aria-label="Correct entry {drawn.pk}"' not in html
    discrepancy_url = reverse("inventory:discrepancy_detail", args=[known.discrepancy.pk])
    assert f'From <a href="{discrepancy_url}">discrepancy {known.discrepancy.pk}</a>.' in lost_html
