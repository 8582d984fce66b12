"""URLs of the clinic's booking set-up: rooms, hours, rota, settings, availability."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
