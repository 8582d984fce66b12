"""A URLconf for the tests of the role matrix: the project's, with two views that lie.

`home` declares a nurse-only policy where the expected matrix says any staff; the
`sign_in` page declares PUBLIC but sends visitors away to sign in, which the behaviour
check must catch.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from ketamine_clinic.access.policy import PUBLIC, access, roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.config.urls import urlpatterns as project_urlpatterns


@access(roles(Role.NURSE))
def nurses_only_home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("home")


@access(PUBLIC)
@login_required
def public_in_name_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in")


def _replace(pattern: object) -> object:
    if isinstance(pattern, URLPattern) and pattern.name == "home":
        return path("", nurses_only_home, name="home")
    return pattern


urlpatterns = [
    path("public-in-name-only/", public_in_name_only, name="public_in_name_only"),
    *(_replace(pattern) for pattern in project_urlpatterns),
]
