"""The role matrix: every view and API operation, the policy it declares, and proof.

`endpoints()` walks a URLconf (through every `include`, and into each JSON API path's
operations, one per method) and says what each one declares. `undeclared()` names those
that declare nothing: the middleware closes them to everyone, and the role-matrix test
fails on them so nobody ships a page that nobody can open or, worse, that somebody
forgot to restrict. `behaviour_mismatches()` then requests every endpoint as every
persona and as an anonymous visitor and reports where what happens differs from what
the policy says.

What counts as an outcome:

* allowed: anything but 401/403 and a redirect to the sign-in page (a 405 or a 422
  means the door opened and the request itself was wrong);
* an anonymous visitor refused: a redirect to sign-in on HTML views, 401 on the API;
* a signed-in person refused: 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from ketamine_clinic.access.policy import AccessPolicy, declared_policy

if TYPE_CHECKING:
    from django.http.response import HttpResponseBase
    from django.test import Client

    from ketamine_clinic.accounts.models import User

# Set by the JSON API on each of its URL callbacks: a callable returning the operations
# that URL serves, as `DelegatedOperation`s (see api/api.py).
OPERATIONS_ATTRIBUTE = "access_operations"
ANONYMOUS = "anonymous"

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class DelegatedOperation:
    """One method of a URL whose view checks policies per operation (the API)."""

    method: str
    policy: AccessPolicy | None
    # Where the operation is defined, for messages: "module.function".
    origin: str


@dataclass(frozen=True)
class Endpoint:
    """One view, or one method of an API path, and the policy it declares."""

    key: str  # the URL name ("accounts:sign_in"), or "api METHOD /route" for the API
    route: str  # "/api/v1/tokens/<int:token_id>", with Django's converters
    method: str  # what the matrix requests it with: GET for views
    policy: AccessPolicy | None
    is_api: bool
    url_name: str | None
    params: tuple[str, ...]
    origin: str

    def url(self, samples: Mapping[str, object]) -> str:
        """The path to request, parameters filled from `samples` (KeyError if missing)."""
        values = {name: samples[name] for name in self.params}
        if self.url_name is not None:
            return reverse(self.url_name, kwargs=values)
        return _ROUTE_PARAMETER.sub(lambda match: str(values[match["name"]]), self.route)


def endpoints(urlconf: str | None = None) -> list[Endpoint]:
    """Every view and API operation of `urlconf` (default: the project's), in URL order."""
    found: list[Endpoint] = []
    seen: set[tuple[str, str]] = set()
    for pattern, route, namespace, params in _walk(get_resolver(urlconf).url_patterns, "/", ""):
        callback = pattern.callback
        origin = _origin(callback)
        url_name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        operations = getattr(callback, OPERATIONS_ATTRIBUTE, None)
        if callable(operations):
            for operation in operations():
                if (route, operation.method) in seen:
                    continue  # the API gives each method of a path its own URL entry
                seen.add((route, operation.method))
                found.append(
                    Endpoint(
                        key=f"api {operation.method} {route}",
                        route=route,
                        method=operation.method,
                        policy=operation.policy,
                        is_api=True,
                        url_name=url_name,
                        params=params,
                        origin=operation.origin,
                    )
                )
            continue
        if (route, "GET") in seen:
            continue
        seen.add((route, "GET"))
        found.append(
            Endpoint(
                key=url_name or route,
                route=route,
                method="GET",
                policy=declared_policy(callback),
                is_api=False,
                url_name=url_name,
                params=params,
                origin=origin,
            )
        )
    return found


def undeclared(urlconf: str | None = None) -> list[str]:
    """Keys of the views and operations that declare no access policy, with their origin."""
    return [f"{e.key} ({e.origin})" for e in endpoints(urlconf) if e.policy is None]


def _walk(
    patterns: Iterable[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[tuple[URLPattern, str, str, tuple[str, ...]]]:
    for pattern in patterns:
        route = prefix + _pattern_text(pattern)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            joined = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            for found, full, ns, params in _walk(pattern.url_patterns, route, joined):
                yield found, full, ns, _params(pattern) + params
        else:
            yield pattern, route, namespace, _params(pattern)


def _pattern_text(pattern: URLPattern | URLResolver) -> str:
    text = str(pattern.pattern)
    if isinstance(pattern.pattern, RegexPattern):
        text = text.removeprefix("^").removesuffix("$")
    return text


def _params(pattern: URLPattern | URLResolver) -> tuple[str, ...]:
    if isinstance(pattern.pattern, RoutePattern):
        return tuple(pattern.pattern.converters)
    if isinstance(pattern.pattern, RegexPattern):
        return tuple(pattern.pattern.regex.groupindex)
    return ()


def _origin(callback: Callable[..., Any]) -> str:
    target = getattr(callback, "view_class", None) or getattr(callback, "func", callback)
    module = getattr(target, "__module__", "?")
    name = getattr(target, "__qualname__", type(target).__name__)
    return f"{module}.{name}"


def allowed_personas(policy: AccessPolicy, personas: Mapping[str, User]) -> frozenset[str]:
    """The persona names `policy` lets in, with `"anonymous"` if it admits visitors."""
    admitted = {name for name, user in personas.items() if policy.allows(user)}
    if policy.allows(AnonymousUser()):
        admitted.add(ANONYMOUS)
    return frozenset(admitted)


@dataclass(frozen=True)
class Mismatch:
    """Where requesting an endpoint as a persona did not do what its policy says."""

    key: str
    persona: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.key} as {self.persona}: expected {self.expected}, got {self.got}"


def behaviour_mismatches(
    found: Iterable[Endpoint],
    *,
    personas: Mapping[str, User],
    samples: Mapping[str, object],
    session_client: Callable[[User | None], Client],
    api_headers: Callable[[User], Mapping[str, str]] | None,
) -> list[Mismatch]:
    """Request every endpoint as every persona and anonymously; list the disagreements.

    HTML views are requested with `session_client(user)` (None: anonymous). API
    operations are requested with a fresh client and `api_headers(user)` (a token; no
    headers when anonymous), or, when `api_headers` is None, through
    `session_client(user)` like a page. Unsafe methods send an empty JSON object: an
    operation that lets the caller in then refuses the body (422), which counts as
    allowed and changes nothing.
    """
    sign_in_path = resolve_url(settings.LOGIN_URL)
    mismatches: list[Mismatch] = []
    callers: list[tuple[str, User | None]] = [*personas.items(), (ANONYMOUS, None)]
    for endpoint in found:
        if endpoint.policy is None:
            mismatches.append(Mismatch(endpoint.key, "everyone", "a declared policy", "none"))
            continue
        missing = [name for name in endpoint.params if name not in samples]
        if missing:
            mismatches.append(
                Mismatch(
                    endpoint.key,
                    "everyone",
                    f"sample values for {', '.join(missing)}",
                    "none registered",
                )
            )
            continue
        url = endpoint.url(samples)
        for name, user in callers:
            response = _request(endpoint, url, user, session_client, api_headers)
            got = _outcome(endpoint, response, sign_in_path)
            admitted = endpoint.policy.allows(user if user is not None else AnonymousUser())
            if admitted:
                expected = "allowed"
            elif user is None:
                expected = "401" if endpoint.is_api else "redirect to sign-in"
            else:
                expected = "403"
            if got != expected:
                mismatches.append(Mismatch(endpoint.key, name, expected, got))
    return mismatches


def _request(
    endpoint: Endpoint,
    url: str,
    user: User | None,
    session_client: Callable[[User | None], Client],
    api_headers: Callable[[User], Mapping[str, str]] | None,
) -> HttpResponseBase:
    if not endpoint.is_api:
        page: HttpResponseBase = session_client(user).get(url)
        return page
    from django.test import Client

    headers: dict[str, str] = {}
    if api_headers is None:
        client = session_client(user)
    else:
        client = Client(raise_request_exception=False)
        headers = dict(api_headers(user)) if user is not None else {}
    method = endpoint.method.lower()
    if endpoint.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        response: HttpResponseBase = getattr(client, method)(url, headers=headers)
    else:
        response = getattr(client, method)(
            url, data="{}", content_type="application/json", headers=headers
        )
    return response


def _outcome(endpoint: Endpoint, response: HttpResponseBase, sign_in_path: str) -> str:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status in (401, 403):
        return str(status)
    location = response.get("Location", "")
    if 300 <= status < 400 and location.split("?")[0] == sign_in_path:
        return "redirect to sign-in"
    return "allowed"
