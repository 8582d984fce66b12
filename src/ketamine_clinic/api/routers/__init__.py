"""API operations, one module per area; each operation declares its access policy."""

from __future__ import annotations

from typing import Any

from ketamine_clinic.api.schemas import ErrorOut

# The refusals every staff operation can answer with; ninja puts them in the schema so
# clients (and schemathesis) know their shape.
AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
# ...and those of an operation that takes input (422: a field is missing or wrong).
INPUT_ERRORS: dict[int, Any] = {**AUTH_ERRORS, 422: ErrorOut}
# ...and of one that takes a JSON body (400: the body is not JSON at all).
BODY_ERRORS: dict[int, Any] = {**INPUT_ERRORS, 400: ErrorOut}
