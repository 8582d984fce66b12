"""`clinic_generate` on a small clinic: the counts asked for, and the records the services
would have left (each checked with the services' own reads where they exist)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.services import all_infusions_given
from ketamine_clinic.generate import services as generate_services
from ketamine_clinic.generate.services import (
    GENERATE_NOT_EMPTY,
    GENERATE_PRODUCTION,
    GenerationReport,
    clinic_generate,
)
from ketamine_clinic.instruments.scoring import score
from ketamine_clinic.inventory.enums import Bucket
from ketamine_clinic.inventory.ledger import container_buckets, kind_sums, received_from_sums
from ketamine_clinic.inventory.models import Container, SyringeAccount
from ketamine_clinic.inventory.services.use import syringe_figures
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.patients.models import Patient, mrn_for_number
from ketamine_clinic.recovery.selectors import discharge_criteria
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from tests.generate.conftest import SEED, SMALL_INFUSIONS, SMALL_PATIENTS, TODAY

pytestmark = pytest.mark.django_db


def test_it_registers_the_patients_and_gives_the_infusions_asked_for(
    small_clinic: GenerationReport,
) -> None:
    assert Patient.objects.count() == SMALL_PATIENTS
    assert Visit.objects.filter(state=VisitState.DISCHARGED).count() == SMALL_INFUSIONS
    assert InfusionOrder.objects.count() == SMALL_INFUSIONS
    assert SyringeAccount.objects.count() == SMALL_INFUSIONS
    assert small_clinic.infusions == SMALL_INFUSIONS
    assert small_clinic.rows["patients.Patient"] == SMALL_PATIENTS
    # Every MRN is the one patient_create gives the row's id.
    assert all(p.mrn == mrn_for_number(p.pk) for p in Patient.objects.all())
    # Nothing finished is dated after the day before "today".
    assert not Visit.objects.filter(
        state=VisitState.DISCHARGED, discharged_at__date__gte=TODAY
    ).exists()


def test_ages_run_from_18_and_diagnoses_are_mostly_depression(
    small_clinic: GenerationReport,
) -> None:
    del small_clinic
    ages = [p.age_on(p.created_at.date()) for p in Patient.objects.all()]
    assert min(ages) >= 18 and max(ages) <= 95
    codes = [
        code
        for p in Patient.objects.prefetch_related("diagnoses")
        for code in p.diagnoses.values_list("code", flat=True)
    ]
    depression = sum(code.startswith(("F32", "F33")) for code in codes)
    assert depression > len(codes) / 2


def test_no_course_holds_more_infusions_than_planned_and_completion_matches_the_service(
    small_clinic: GenerationReport,
) -> None:
    del small_clinic
    courses = Course.objects.annotate(
        given=Count("visits", filter=Q(visits__state=VisitState.DISCHARGED))
    )
    assert courses.exists()
    for course in courses:
        assert course.given <= course.infusions_planned
        # A completed course is one whose every planned number was discharged.
        assert (course.status == CourseStatus.COMPLETED) == all_infusions_given(course)
        if course.status == CourseStatus.STOPPED:
            assert course.stop_reason and course.ended_at is not None


def test_each_visit_went_through_its_states_in_order(small_clinic: GenerationReport) -> None:
    del small_clinic
    for visit in Visit.objects.filter(state=VisitState.DISCHARGED).prefetch_related("transitions"):
        moments = [visit.scheduled_start, visit.checked_in_at, visit.checks_done_at, visit.ready_at,
                   visit.infusion_started_at, visit.recovery_started_at, visit.discharged_at]  # fmt: skip
        stamped = [m for m in moments if isinstance(m, datetime)]
        assert len(stamped) == len(moments)
        assert stamped == sorted(stamped), visit
        assert visit.created_at < visit.scheduled_start
        path = [(t.from_state, t.to_state) for t in visit.transitions.all()]
        assert path == [("scheduled", "checked_in"), ("checked_in", "checks_done"), ("checks_done", "ready"),
                        ("ready", "infusing"), ("infusing", "recovery"), ("recovery", "discharged")]  # fmt: skip
        assert visit.state_changed_at == visit.discharged_at


def test_every_discharge_meets_the_discharge_criteria(small_clinic: GenerationReport) -> None:
    del small_clinic
    for visit in Visit.objects.filter(state=VisitState.DISCHARGED)[:20]:
        unmet = [c for c in discharge_criteria(visit, now=visit.discharged_at) if not c.met]
        assert unmet == [], visit


def test_the_ledger_balances_for_every_container(small_clinic: GenerationReport) -> None:
    del small_clinic
    ids = list(Container.objects.values_list("pk", flat=True))
    buckets = container_buckets(ids)
    sums = kind_sums(ids)
    for pk in ids:
        balance = buckets[pk]
        assert all(amount >= 0 for amount in balance.values()), balance
        assert balance[Bucket.IN_SYRINGE] == 0  # every syringe accounted for
        assert sum(balance.values()) == received_from_sums(sums[pk])


def test_each_syringe_account_is_what_the_service_would_compute_from_the_record(
    small_clinic: GenerationReport,
) -> None:
    del small_clinic
    for account in SyringeAccount.objects.select_related("preparation")[:40]:
        figures = syringe_figures(account.preparation)
        assert (figures.drawn_mg, figures.given_mg, figures.wasted_mg, figures.given_source) == (
            account.drawn_mg, account.given_mg, account.wasted_mg, account.given_source)  # fmt: skip
        assert account.drawn_mg == account.given_mg + account.wasted_mg


def test_every_response_total_is_the_scoring_engines(small_clinic: GenerationReport) -> None:
    del small_clinic
    responses = QuestionnaireResponse.objects.all()
    assert {r.instrument_key for r in responses} >= {"phq9", "gad7", "dissociation", "aldrete"}
    for response in responses:
        result = score(response.instrument_key, response.answers)
        assert response.total == result.total
        assert response.severity == (result.severity or "")
        assert response.flags == list(result.flag_keys)
    # A flag the PHQ-9 raised was assessed before the infusion went ahead.
    assert not RiskFlag.objects.filter(status="open").exists()


def test_the_generation_is_one_audit_entry_and_the_chain_verifies(
    small_clinic: GenerationReport,
) -> None:
    del small_clinic
    entry = AuditEntry.objects.get(object_type="generated_clinic")
    assert entry.detail["patients"] == SMALL_PATIENTS
    assert entry.detail["infusions"] == SMALL_INFUSIONS
    assert entry.detail["seed"] == SEED
    assert not AuditEntry.objects.filter(
        object_type__in=["visit", "questionnaire_response", "patient"]
    ).exists()
    checked, broken = audit_chain_verify()
    assert broken is None and checked > 0


def test_it_refuses_a_database_that_already_has_patients(small_clinic: GenerationReport) -> None:
    del small_clinic
    with pytest.raises(ValidationError) as refused:
        clinic_generate(patients=5, infusions=10, seed=1, today=TODAY)
    assert refused.value.message_dict == {
        "allow_existing": [GENERATE_NOT_EMPTY.format(count=SMALL_PATIENTS)]
    }
    assert Patient.objects.count() == SMALL_PATIENTS


def test_it_refuses_settings_fit_for_real_patients_unless_forced(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate_services, "deploy_problems", lambda settings, workers: [])
    with pytest.raises(ValidationError) as refused:
        clinic_generate(patients=5, infusions=10, seed=1, today=TODAY)
    assert refused.value.message_dict == {"force": [GENERATE_PRODUCTION]}
    assert not Patient.objects.exists()
    clinic_generate(patients=5, infusions=10, seed=1, today=TODAY, force=True)
    assert Patient.objects.count() == 5


def _fingerprint(patients: list[Patient]) -> list[tuple[object, ...]]:
    """Everything but ids: the same seed must give the same clinic."""
    out: list[tuple[object, ...]] = []
    for patient in patients:
        visits = [
            (v.scheduled_start, v.state, v.number_in_course)
            for v in patient.visits.order_by("scheduled_start", "id")
        ]
        scores = [(r.instrument_key, r.taken_at, tuple(r.answers))
                  for r in patient.questionnaire_responses.order_by("taken_at", "id")]  # fmt: skip
        out.append(
            (
                patient.legal_first_name,
                patient.legal_last_name,
                patient.date_of_birth,
                visits,
                scores,
            )
        )
    return out


def test_the_same_seed_gives_the_same_clinic(db: None) -> None:
    clinic_generate(patients=20, infusions=50, seed=11, today=TODAY)
    first = list(Patient.objects.order_by("id"))
    clinic_generate(patients=20, infusions=50, seed=11, today=TODAY, allow_existing=True)
    second = list(Patient.objects.order_by("id"))[20:]
    assert _fingerprint(first) == _fingerprint(second)
    clinic_generate(patients=20, infusions=50, seed=12, today=TODAY, allow_existing=True)
    third = list(Patient.objects.order_by("id"))[40:]
    assert _fingerprint(third) != _fingerprint(first)


def test_bad_sizes_are_refused_naming_the_field(db: None) -> None:
    with pytest.raises(ValidationError) as refused:
        clinic_generate(patients=10, infusions=1000, seed=1, today=TODAY)
    assert list(refused.value.message_dict) == ["infusions"]
    assert not Patient.objects.exists()


def test_visits_per_patient_are_ordered_by_time(small_clinic: GenerationReport) -> None:
    del small_clinic
    by_patient: dict[int, list[datetime]] = defaultdict(list)
    for visit in Visit.objects.order_by("id"):
        by_patient[visit.patient_id].append(visit.scheduled_start)
    assert all(starts == sorted(starts) for starts in by_patient.values())


def test_each_order_holds_the_plan_the_pharmacology_engine_gives_for_it(
    small_clinic: GenerationReport,
) -> None:
    from ketamine_clinic.orders.services import _plan_as_json
    from ketamine_clinic.pharmacology.dosing import plan_infusion
    from ketamine_clinic.pharmacology.drug_library_data import library_entry

    del small_clinic
    orders = list(InfusionOrder.objects.select_related("visit")[:30])
    for order in orders:
        plan = plan_infusion(
            weight_kg=float(order.weight_kg),
            dose_mg_per_kg=float(order.dose_mg_per_kg),
            duration_min=float(order.duration_min),
            vial_strength_mg_per_ml=float(order.vial_strength_mg_per_ml),
            concentration_mg_per_ml=float(order.concentration_mg_per_ml),
            entry=library_entry(order.care_area),
        )
        assert order.plan == json.loads(json.dumps(_plan_as_json(plan)))
        assert order.weight_measured_on == timezone.localdate(order.visit.scheduled_start)
        assert (order.verdict == "soft_breach") == bool(order.override_reason)


def test_every_infused_patient_signed_the_current_consent_before_their_first_infusion(
    small_clinic: GenerationReport,
) -> None:
    del small_clinic
    from ketamine_clinic.consent.selectors import current_consent
    from ketamine_clinic.consent.signature_image import check_signature_png

    infused = Patient.objects.filter(visits__infusion_started_at__isnull=False).distinct()
    assert infused.exists()
    for patient in infused:
        signature = current_consent(patient)
        assert signature is not None, patient.mrn
        first = Visit.objects.filter(patient=patient, infusion_started_at__isnull=False)
        first_at = min(v.infusion_started_at for v in first if v.infusion_started_at)
        assert signature.signed_at < first_at
        assert signature.typed_name == patient.legal_name
        check_signature_png(bytes(signature.signature_png))  # a real, non-blank drawing


def test_the_planner_has_statistics_for_the_generated_tables(
    small_clinic: GenerationReport,
) -> None:
    """Without them SQLite guessed index selectivity and read the whole record for one
    visit's syringes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT DISTINCT tbl FROM sqlite_stat1 WHERE tbl = 'inventory_stockentry'"
            )
        else:
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relname = 'inventory_stockentry' "
                "AND reltuples > 0"
            )
        assert cursor.fetchall() == [("inventory_stockentry",)]
