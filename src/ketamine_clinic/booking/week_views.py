"""The week page: the week's rooms by days, read through ``booking.week``."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.booking.week import week_grid
from ketamine_clinic.clinicday.policies import DAY_READERS


class WeekForm(forms.Form):
    """Any date: the page shows the Monday-to-Sunday week that holds it."""

    start = forms.DateField(
        label="Week of", required=False, widget=forms.DateInput({"type": "date"})
    )


@access(DAY_READERS)
def week(request: HttpRequest) -> HttpResponse:
    """The week by room; an unreadable date falls back to this week, as the day page does."""
    user = staff_user(request)
    form = WeekForm(request.GET)
    chosen = form.cleaned_data["start"] if form.is_valid() else None
    today = timezone.localdate()
    grid = week_grid(day=chosen or today, by=user)
    return render(
        request,
        "booking/week.html",
        {
            "week": grid,
            "sunday": grid.monday + timedelta(days=6),
            "previous_week": grid.monday - timedelta(days=7),
            "next_week": grid.monday + timedelta(days=7),
            "today": today,
            "form": form,
        },
    )
