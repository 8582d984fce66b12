"""How the dashboard writes a proportion: "6 of 10 · 60% (95% CI 31-83%)"."""

from __future__ import annotations

from django import template

from ketamine_clinic.outcomes.stats import Proportion

DASH = "\N{EN DASH}"  # a range and "no figure", as typeset

register = template.Library()


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"


@register.filter
def ci(proportion: Proportion | None) -> str:
    """The Wilson interval, or a dash where there is no denominator."""
    if proportion is None or proportion.low is None or proportion.high is None:
        return DASH
    return f"{100 * proportion.low:.0f}{DASH}{_percent(proportion.high)}"


@register.filter
def pct(proportion: Proportion | None) -> str:
    if proportion is None or proportion.estimate is None:
        return DASH
    return _percent(proportion.estimate)


@register.filter
def kn(proportion: Proportion | None) -> str:
    if proportion is None:
        return DASH
    return f"{proportion.k} of {proportion.n}"


@register.filter
def days(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f}"
