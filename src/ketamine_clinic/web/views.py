from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketamine_clinic.access.policy import ANY_STAFF, access, staff_user
from ketamine_clinic.web.home import home_cards_for


@access(ANY_STAFF)
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "web/home.html",
        {"cards": home_cards_for(user.roles), "roles": sorted(r.label for r in user.roles)},
    )
