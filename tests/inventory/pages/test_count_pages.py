"""The count pages: two blind counts, closing, discrepancies and the lead's resolution.

The stock is the month's two receipts (tests/inventory/reports_support.py): R2603A-01..03
and R2603B-01..02, five sealed 10 mL vials of 50 mg/mL (500.00 mg each).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.forms.counts import SEALED_AND_FIGURE
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    CountClosure,
    CountEntry,
    Discrepancy,
    DiscrepancyResolution,
    StockEntry,
)
from ketamine_clinic.inventory.services.counts import (
    COUNT_DISAGREE,
    COUNT_ML,
    COUNT_ONE_COUNTER,
    COUNT_TIMING,
    unresolved_blocker,
)
from tests.conftest import client_for
from tests.inventory.reports_support import receive

pytestmark = pytest.mark.django_db

LABELS = ["R2603A-01", "R2603A-02", "R2603A-03", "R2603B-01", "R2603B-02"]


@pytest.fixture
def stock(personas: dict[str, User]) -> dict[str, Container]:
    return receive(personas)[2]


@pytest.fixture
def keeper(personas: dict[str, User]) -> Client:
    return client_for(personas["custodian"])


@pytest.fixture
def second(personas: dict[str, User]) -> Client:
    return client_for(personas["prescriber"])


@pytest.fixture
def lead(personas: dict[str, User]) -> Client:
    return client_for(personas["clinic_lead"])


def start(client: Client, **fields: str) -> Count:
    data = {"kind": "routine", "timing": "", "location": "", **fields}
    response = client.post(reverse("inventory:count_start"), data)
    count = Count.objects.order_by("-id").first()
    assert count is not None, response.content.decode()[:2000]
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:count_detail", args=[count.pk])
    return count


def figures(stock: dict[str, Container], **ml: str) -> dict[str, str]:
    """Every container full ("sealed, full" ticked), except those given as label=mL
    (label with _ for -)."""
    given = {label.replace("_", "-"): value for label, value in ml.items()}
    data = {}
    for label, container in stock.items():
        if label in given:
            data[f"ml_{container.pk}"] = given[label]
        else:
            data[f"sealed_{container.pk}"] = "on"
    return data


def enter(client: Client, count: Count, data: dict[str, str]) -> int:
    return client.post(reverse("inventory:count_enter", args=[count.pk]), data).status_code


def close(client: Client, count: Count) -> tuple[int, str]:
    response = client.post(reverse("inventory:count_close", args=[count.pk]))
    return response.status_code, response.content.decode()


def test_a_keeper_starts_a_count_and_gets_a_sheet_of_every_container(
    stock: dict[str, Container], keeper: Client
) -> None:
    count = start(keeper)
    html = keeper.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    for container in stock.values():
        assert f'name="ml_{container.pk}"' in html
        assert f'name="sealed_{container.pk}"' in html
    assert "Two people must count: nobody has counted yet." in html
    # A blind count: the record's amounts are not on the sheet.
    assert "500.00" not in html


def test_a_biennial_inventory_must_say_opening_or_close_of_business(
    stock: dict[str, Container], keeper: Client
) -> None:
    response = keeper.post(
        reverse("inventory:count_start"), {"kind": "biennial", "timing": "", "location": ""}
    )
    assert response.status_code == 422
    assert COUNT_TIMING in response.content.decode()
    assert not Count.objects.exists()
    count = start(keeper, kind="biennial", timing="close")
    assert (count.kind, count.timing) == ("biennial", "close")


def test_each_counter_sees_their_own_figures_and_only_how_far_the_other_got(
    stock: dict[str, Container], keeper: Client, second: Client
) -> None:
    count = start(keeper)
    assert enter(keeper, count, figures(stock, R2603A_01="9.47")) == 302
    mine = keeper.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    assert 'value="9.47"' in mine
    theirs = second.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    assert "P_Custodian Test</strong> has counted 5 of 5 containers." in theirs
    assert "9.47" not in theirs
    assert 'value="10.00"' not in theirs
    a01 = stock["R2603A-01"]
    recorded = CountEntry.objects.filter(count=count, container=a01).values_list(
        "counted_ml", flat=True
    )
    assert list(recorded) == [Decimal("9.47")]
    assert set(
        CountEntry.objects.filter(count=count)
        .exclude(container=a01)
        .values_list("counted_ml", flat=True)
    ) == {Decimal("10.00")}


def test_saving_the_same_figures_again_is_not_a_recount(
    stock: dict[str, Container], keeper: Client
) -> None:
    count = start(keeper)
    assert enter(keeper, count, figures(stock)) == 302
    assert enter(keeper, count, figures(stock)) == 302
    assert CountEntry.objects.filter(count=count).count() == 5
    assert enter(keeper, count, figures(stock, R2603B_02="9.99")) == 302
    assert CountEntry.objects.filter(count=count).count() == 6


def test_a_count_cannot_close_with_one_counter(stock: dict[str, Container], keeper: Client) -> None:
    count = start(keeper)
    enter(keeper, count, figures(stock))
    status, html = close(keeper, count)
    assert status == 422
    assert COUNT_ONE_COUNTER.format(missing="only one person has counted") in html
    assert not CountClosure.objects.exists()


def test_a_count_cannot_close_while_the_counters_disagree(
    stock: dict[str, Container], keeper: Client, second: Client
) -> None:
    count = start(keeper)
    enter(keeper, count, figures(stock, R2603A_02="9.50"))
    enter(second, count, figures(stock, R2603A_02="9.60"))
    status, html = close(keeper, count)
    assert status == 422
    assert COUNT_DISAGREE.format(labels="R2603A-02") in html
    assert not CountClosure.objects.exists()
    # The second counter looks again and agrees: it closes, and the short vial opens a
    # discrepancy of 0.50 mL x 50 mg/mL = 25.00 mg.
    enter(second, count, figures(stock, R2603A_02="9.50"))
    status, _ = close(second, count)
    assert status == 302
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.line.container.label == "R2603A-02"
    assert discrepancy.difference_mg == Decimal("-25.00")
    html = keeper.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    assert "Expected and counted" in html
    assert "475.00" in html and "-25.00" in html
    assert "Open: awaiting the clinic lead" in html


def closed_with_a_discrepancy(
    stock: dict[str, Container], keeper: Client, second: Client
) -> Discrepancy:
    count = start(keeper)
    for client in (keeper, second):
        enter(client, count, figures(stock, R2603A_02="9.90"))
    assert close(keeper, count)[0] == 302
    return Discrepancy.objects.get()


def test_an_unresolved_discrepancy_stops_the_next_count_closing(
    stock: dict[str, Container], keeper: Client, second: Client, lead: Client
) -> None:
    closed_with_a_discrepancy(stock, keeper, second)
    count = start(keeper)
    for client in (keeper, second):
        enter(client, count, figures(stock, R2603A_02="9.90"))
    status, html = close(keeper, count)
    assert status == 422
    assert unresolved_blocker(["R2603A-02"]) in html
    assert CountClosure.objects.count() == 1
    discrepancy = Discrepancy.objects.get()
    response = lead.post(
        reverse("inventory:discrepancy_resolve", args=[discrepancy.pk]),
        {"outcome": "count_error", "notes": "Meniscus misread; recounted by two.", "form_106_reference": ""},
    )  # fmt: skip
    assert response.status_code == 302
    # The record stands, so this count's 9.90 mL differs from it again: it closes with
    # a new discrepancy of its own.
    assert close(keeper, count)[0] == 302
    assert Discrepancy.objects.count() == 2


def test_a_figure_the_service_refuses_leaves_no_figure_of_the_sheet_written(
    stock: dict[str, Container], keeper: Client
) -> None:
    count = start(keeper)
    response = keeper.post(
        reverse("inventory:count_enter", args=[count.pk]),
        figures(stock, R2603A_01="9.00", R2603A_02="12.00"),
    )
    assert response.status_code == 422
    assert COUNT_ML.format(most=Decimal("10.00")) in response.content.decode()
    assert not CountEntry.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a number."),
        ("9.999", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_a_figure_that_is_not_a_volume_is_refused_by_its_field(
    value: str, message: str, stock: dict[str, Container], keeper: Client
) -> None:
    count = start(keeper)
    response = keeper.post(
        reverse("inventory:count_enter", args=[count.pk]), figures(stock, R2603A_01=value)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not CountEntry.objects.exists()


def test_sealed_and_a_different_figure_together_are_refused(
    stock: dict[str, Container], keeper: Client
) -> None:
    count = start(keeper)
    data = figures(stock)
    data[f"ml_{stock['R2603B-01'].pk}"] = "9.00"
    response = keeper.post(reverse("inventory:count_enter", args=[count.pk]), data)
    assert response.status_code == 422
    assert SEALED_AND_FIGURE.format(full=Decimal("10.00")) in response.content.decode()
    assert not CountEntry.objects.exists()


def test_the_lead_follows_an_open_count_without_a_sheet(
    stock: dict[str, Container], keeper: Client, lead: Client
) -> None:
    count = start(keeper)
    enter(keeper, count, figures(stock))
    response = lead.get(reverse("inventory:count_detail", args=[count.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="ml_' not in html
    assert "has counted 5 of 5 containers" in html
    assert (
        lead.post(reverse("inventory:count_enter", args=[count.pk]), figures(stock)).status_code
        == 403
    )
    assert lead.post(reverse("inventory:count_close", args=[count.pk])).status_code == 403


def test_the_discrepancy_page_shows_the_entries_since_the_previous_count(
    stock: dict[str, Container], keeper: Client, second: Client, lead: Client
) -> None:
    count = start(keeper)
    for client in (keeper, second):
        enter(client, count, figures(stock))
    assert close(keeper, count)[0] == 302
    discrepancy = closed_with_a_discrepancy(stock, keeper, second)
    html = lead.get(reverse("inventory:discrepancy_detail", args=[discrepancy.pk])).content.decode()
    assert f"its previous count (#{count.pk}" in html
    assert "No entries." in html  # nothing moved between the two counts
    assert "Form 106 within one business day" in html
    assert 'name="outcome"' in html
    keeper_view = keeper.get(reverse("inventory:discrepancy_detail", args=[discrepancy.pk]))
    assert 'name="outcome"' not in keeper_view.content.decode()
    assert "Awaiting the clinic lead" in keeper_view.content.decode()


def test_the_lead_resolves_a_loss_which_takes_the_missing_mg_off_the_record(
    stock: dict[str, Container], keeper: Client, second: Client, lead: Client
) -> None:
    discrepancy = closed_with_a_discrepancy(stock, keeper, second)
    url = reverse("inventory:discrepancy_resolve", args=[discrepancy.pk])
    assert keeper.post(url, {"outcome": "loss", "notes": "x"}).status_code == 403
    refused = lead.post(url, {"outcome": "loss", "notes": "   ", "form_106_reference": ""})
    assert refused.status_code == 422
    assert not DiscrepancyResolution.objects.exists()
    notes = "<script>alert('x')</script> Vial cracked at the neck."
    response = lead.post(url, {"outcome": "loss", "notes": notes, "form_106_reference": "F106-77"})
    assert response.status_code == 302
    lost = StockEntry.objects.get(kind=EntryKind.LOST)
    # 0.10 mL short of 10.00 mL at 50 mg/mL.
    assert (lost.container.label, lost.mg, lost.reference) == (
        "R2603A-02",
        Decimal("5.00"),
        "F106-77",
    )
    html = lead.get(reverse("inventory:discrepancy_detail", args=[discrepancy.pk])).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "Loss or theft confirmed (DEA Form 106)" in html
    assert "Since this count closed" in html  # the loss entry, posted after the count
    again = lead.post(url, {"outcome": "loss", "notes": "again", "form_106_reference": ""})
    assert again.status_code == 302
    assert DiscrepancyResolution.objects.count() == 1


def test_empty_notes_are_refused_by_the_notes_field(
    stock: dict[str, Container], keeper: Client, second: Client, lead: Client
) -> None:
    discrepancy = closed_with_a_discrepancy(stock, keeper, second)
    response = lead.post(
        reverse("inventory:discrepancy_resolve", args=[discrepancy.pk]),
        {"outcome": "count_error", "notes": "", "form_106_reference": ""},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not DiscrepancyResolution.objects.exists()


def test_the_lists_show_open_discrepancies_first(
    stock: dict[str, Container], keeper: Client, second: Client, lead: Client
) -> None:
    first = closed_with_a_discrepancy(stock, keeper, second)
    lead.post(
        reverse("inventory:discrepancy_resolve", args=[first.pk]),
        {"outcome": "count_error", "notes": "Misread.", "form_106_reference": ""},
    )
    count = start(keeper)
    for client in (keeper, second):
        enter(client, count, figures(stock, R2603B_01="9.00"))
    assert close(keeper, count)[0] == 302
    html = keeper.get(reverse("inventory:discrepancy_list")).content.decode()
    assert html.index("R2603B-01") < html.index("R2603A-02")
    listing = keeper.get(reverse("inventory:count_list")).content.decode()
    assert "1 discrepancy is not resolved" in listing
    assert "1 open" in listing


def test_a_container_only_one_has_counted_is_not_called_a_disagreement(
    stock: dict[str, Container], keeper: Client, second: Client
) -> None:
    count = start(keeper)
    a01, a02 = stock["R2603A-01"], stock["R2603A-02"]
    enter(keeper, count, {f"ml_{a01.pk}": "9.00"})
    enter(second, count, {f"ml_{a02.pk}": "8.00"})
    html = keeper.get(reverse("inventory:count_detail", args=[count.pk])).content.decode()
    assert "P_Custodian Test has not counted R2603A-02, R2603A-03, R2603B-01, R2603B-02." in html
    assert "The two counts differ" not in html
