"""Callables named by dotted path and imported when first needed.

Lower apps (patients, visits) ask higher ones (assessments, orders, recovery) for
timeline entries or transition guards without importing them at module load, which would
form import cycles. A name that cannot be found is a configuration error raised loudly,
never a silent skip: a missing suicide-risk banner or discharge check must not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def late_callable(path: str, *, role: str) -> Callable[..., Any]:
    """The callable at ``path`` ("package.module.name"); ``role`` names it in errors."""
    try:
        found: object = import_string(path)
    except ModuleNotFoundError as missing:
        module = path.rpartition(".")[0]
        raise ImproperlyConfigured(f"{role} {module} cannot be imported") from missing
    except ImportError as missing:
        raise ImproperlyConfigured(f"{role} {path} does not exist") from missing
    if not callable(found):
        raise ImproperlyConfigured(f"{role} {path} is not callable")
    return found
