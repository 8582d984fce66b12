"""Who may start and stop a treatment course, in one place.

A course is a treatment decision, so the page policy is the services' own rule
(``services.COURSE_ROLES``): the chart offers the buttons only to those the views admit,
and the views admit only those the services accept.
"""

from __future__ import annotations

from ketamine_clinic.access.policy import roles
from ketamine_clinic.courses.services import COURSE_ROLES

# Starting and stopping a course: the prescriber's decision (as the services require).
COURSE_DECIDING = roles(*COURSE_ROLES)
