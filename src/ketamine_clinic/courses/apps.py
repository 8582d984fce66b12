from __future__ import annotations

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "ketamine_clinic.courses"
    label = "courses"
    verbose_name = "Courses"
