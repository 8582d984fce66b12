"""The demo clinic's past: a few hundred synthetic patients and ~1,000 infusions given
before today, so the outcome dashboards, the research export and the FHIR pages have
data to show. Made by the clinic generator (``generate/``) beside the demo's own
patients, once: a second seed finds the generated clinic's audit entry and does nothing.

Its visits end yesterday and its courses still under way book from the day after
tomorrow, so today's demo day (``day.py``) has the rooms to itself; it is seeded after
the demo's stock and day, so their receipts and draws stay the ones the day's tests read.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.generate.services import GenerationReport, clinic_generate

HISTORY_PATIENTS: Final = 300
HISTORY_INFUSIONS: Final = 1000
HISTORY_SEED: Final = 2026


# Seeding from `ketamine-clinic demo` runs in this audit channel (cli.base.cli_audit_context).
def seed_demo_history(today: date | None = None) -> GenerationReport | None:
    """Generate the demo's history once; None when it is there already."""
    if AuditEntry.objects.filter(object_type="generated_clinic").exists():
        return None
    return clinic_generate(
        patients=HISTORY_PATIENTS,
        infusions=HISTORY_INFUSIONS,
        seed=HISTORY_SEED,
        allow_existing=True,
        today=today,
    )
