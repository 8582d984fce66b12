"""Template filters for the clinic-day pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def state_badge(state: str) -> str:
    """The badge class for a visit state, so every page colours states alike."""
    from ketamine_clinic.clinicday.views import STATE_BADGES
    from ketamine_clinic.visits.enums import VisitState

    try:
        return STATE_BADGES.get(VisitState(state), "")
    except ValueError:
        return ""


PUMP_LABELS = {
    "start": "Started",
    "rate_change": "Rate changed",
    "pause": "Paused",
    "resume": "Resumed",
    "stop": "Stopped",
}


@register.filter
def pump_kind(kind: str) -> str:
    """A pump event's kind as the nurse says it ("rate_change" is "Rate changed")."""
    return PUMP_LABELS.get(kind, kind)


@register.filter
def num(value: object, places: int = 3) -> str:
    """A number with at most ``places`` decimals and no trailing zeros (0.5, 48.3, 45)."""
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:.{int(places)}f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"
