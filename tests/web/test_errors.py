"""Not-found answers: JSON for API clients, the normal page for people."""

from __future__ import annotations

import pytest
from django.test import Client

from ketamine_clinic.accounts.models import User
from tests.conftest import client_for


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/me", "/api/"])
def test_an_unknown_api_path_answers_json(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_an_unknown_page_answers_html(personas: dict[str, User]) -> None:
    response = client_for(personas["nurse"]).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
