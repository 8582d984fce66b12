"""The NinjaAPI behind /api/v1/: its routers, its default (deny) auth and its errors.

The OpenAPI schema at /api/v1/openapi.json is public (the project is open source, so
it tells nobody anything new). Ninja's interactive docs page is disabled: it needs an
inline script, which our strict Content-Security-Policy forbids everywhere.
"""

from __future__ import annotations

import inspect
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.operation import PathView

from ketamine_clinic.access.matrix import OPERATIONS_ATTRIBUTE, DelegatedOperation
from ketamine_clinic.access.middleware import DELEGATED_ATTRIBUTE
from ketamine_clinic.access.policy import PUBLIC, access, declared_policy
from ketamine_clinic.api.auth import UNDECLARED
from ketamine_clinic.api.routers import assessments, audit, me, patients, staff, tokens
from ketamine_clinic.api.services import ApiTokenAlreadyRevoked, ApiTokenNotFound

API_VERSION = "1"
URL_NAMESPACE = "api"


class ClinicApi(NinjaAPI):
    """NinjaAPI whose URLs fit the project's deny-by-default access middleware.

    The operation URLs are marked as delegated (each operation checks its own policy
    through `auth=`), and the schema and index URLs declare PUBLIC like any view.
    Its default auth is UNDECLARED: an operation that names no policy refuses everyone.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auth", UNDECLARED)
        super().__init__(**kwargs)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if not isinstance(pattern, URLPattern):
                urls.append(pattern)
                continue
            if pattern.name == "api-root":
                # Ninja's root view answers with an HTML 404 naming the docs URL, which
                # is disabled: answer with where the schema is instead.
                pattern = path("", api_index, name="api-root")
            path_view = _path_view_of(pattern.callback)
            if path_view is not None:
                for operation in path_view.operations:
                    if not operation.auth_callbacks:
                        # `auth=None` would make ninja skip every check; still deny.
                        operation.auth_callbacks = [UNDECLARED]
                # Ninja answers a method the path lacks in plain text; ours is JSON.
                path_view._not_allowed = partial(_method_not_allowed, path_view)  # type: ignore[method-assign]
                setattr(pattern.callback, DELEGATED_ATTRIBUTE, True)
                setattr(pattern.callback, OPERATIONS_ATTRIBUTE, partial(_operations, path_view))
            urls.append(pattern)
        return urls


def _operations(path_view: PathView) -> list[DelegatedOperation]:
    """Each method of one API path and the policy its `auth=` declares (None if none).

    An operation declares a policy when every auth callback carries the same one, as
    `api_access(...)` builds them; the API's default auth (UNDECLARED) carries none.
    """
    found: list[DelegatedOperation] = []
    for operation in path_view.operations:
        policies = {declared_policy(callback) for callback in operation.auth_callbacks}
        policy = policies.pop() if len(policies) == 1 else None
        view = operation.view_func
        origin = f"{view.__module__}.{view.__qualname__}"
        found.extend(DelegatedOperation(method, policy, origin) for method in operation.methods)
    return found


def _method_not_allowed(path_view: PathView) -> HttpResponse:
    """405 with a JSON body like every other answer of the API, and the Allow header
    (RFC 9110) naming the methods the path has."""
    allowed = ", ".join(sorted({m for op in path_view.operations for m in op.methods}))
    response = JsonResponse({"detail": f"Method not allowed here; allowed: {allowed}."}, status=405)
    response["Allow"] = allowed
    return response


def _path_view_of(callback: Any) -> PathView | None:
    """The PathView behind one of ninja's per-path view wrappers (a closure over it).

    This leans on how ninja builds its views. Should that change, nothing here is
    marked delegated, so the access middleware refuses every operation and the role
    matrix names them all: it fails closed and loudly, never open.
    """
    closure = inspect.getclosurevars(callback).nonlocals if inspect.isfunction(callback) else {}
    candidate = closure.get("self")
    return candidate if isinstance(candidate, PathView) else None


@access(PUBLIC)
def api_index(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/: the version and where the schema is."""
    return JsonResponse({"version": API_VERSION, "openapi": request.path + "openapi.json"})


api = ClinicApi(
    title="Ketamine Clinic API",
    version=API_VERSION,
    description="The clinic platform's JSON API. Authenticate with "
    "`Authorization: Bearer <token>` (create one at POST /tokens or with "
    "`ketamine-clinic token create`) or with a staff session and its CSRF token.",
    urls_namespace=URL_NAMESPACE,
    docs_url=None,
    # The schema view is an ordinary Django view, so it declares its policy like one.
    docs_decorator=access(PUBLIC),
)
api.add_router("", me.router)
api.add_router("", staff.router)
api.add_router("", audit.router)
api.add_router("", tokens.router)
api.add_router("", patients.router)
api.add_router("", assessments.router)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def _invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """One sentence per problem, each naming where it is: `body.name: String should ...`."""
    problems = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return api.create_response(request, {"detail": "; ".join(problems)}, status=422)


@api.exception_handler(DjangoValidationError)
def _refused_by_service(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    # Services' messages already name the field ("name: ..."), so they are shown as is.
    return api.create_response(request, {"detail": " ".join(exc.messages)}, status=422)


@api.exception_handler(ApiTokenNotFound)
def _token_not_found(request: HttpRequest, exc: ApiTokenNotFound) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(ApiTokenAlreadyRevoked)
def _token_revoked(request: HttpRequest, exc: ApiTokenAlreadyRevoked) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)
