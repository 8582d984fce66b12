from __future__ import annotations

from django.test import Client

from ketamine_clinic.accounts.models import User
from tests.conftest import client_for


def test_the_home_page_sends_an_anonymous_visitor_to_sign_in(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_a_nurse_sees_her_home_cards(personas: dict[str, User]) -> None:
    response = client_for(personas["nurse"]).get("/")
    assert response.status_code == 200
    assert "My rooms" in response.content.decode()
    assert "Staff accounts" not in response.content.decode()
