"""A URLconf for the tests of the role matrix: the project's, plus two forgotten doors.

`forgotten_page` is a view with no `@access(...)`, the small API's `forgotten`
operation has no `auth=` and its `opened` one says `auth=None`: the matrix must name
all three, and the middleware and the API's default auth must refuse them. Its
`open_door` operation declares PUBLIC, for contrast.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from ketamine_clinic.access.policy import PUBLIC
from ketamine_clinic.api.api import ClinicApi
from ketamine_clinic.api.auth import api_access
from ketamine_clinic.config.urls import urlpatterns as project_urlpatterns


def forgotten_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("patient list that nobody restricted")


forgotten_api = ClinicApi(urls_namespace="forgotten_api", docs_url=None, openapi_url=None)


@forgotten_api.get("/forgotten")
def forgotten(request: HttpRequest) -> dict[str, str]:
    return {"secret": "nobody restricted this"}


@forgotten_api.get("/opened", auth=None)
def opened(request: HttpRequest) -> dict[str, str]:
    """`auth=None` tells ninja to check nothing; the API must still refuse it."""
    return {"secret": "somebody switched the check off"}


@forgotten_api.get("/open-door", auth=api_access(PUBLIC))
def open_door(request: HttpRequest) -> dict[str, str]:
    return {"status": "anyone may ask"}


urlpatterns = [
    *project_urlpatterns,
    path("forgotten/", forgotten_page, name="forgotten_page"),
    path("api/forgotten/", forgotten_api.urls),
]
