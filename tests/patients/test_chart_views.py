"""The chart and its forms over HTTP: who may write, field-named errors, escaping, audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Allergy, Diagnosis, Medication, Patient
from ketamine_clinic.patients.services.allergies import allergy_add
from ketamine_clinic.patients.services.diagnoses import DIAGNOSIS_CODE_NOT_LISTED, diagnosis_add
from ketamine_clinic.patients.services.medications import medication_add
from ketamine_clinic.patients.services.registry import CONTACT_PHONE_REQUIRED
from ketamine_clinic.patients.services.weights import weight_record
from tests.conftest import client_for
from tests.patients.factories import make_patient

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
ESCAPED = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"]


@pytest.fixture
def avery(db: None) -> Patient:
    return make_patient("Avery", "Testpatient", born=date(1984, 3, 7))


def entries(action: AuditAction, patient: Patient) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=action, patient_id=str(patient.pk)).order_by("seq")
    )


def today() -> str:
    return timezone.localdate().isoformat()


def test_a_nurse_records_a_weight_in_lb_and_the_chart_shows_it_in_kg(
    personas: dict[str, User], avery: Patient
) -> None:
    client = client_for(personas["nurse"])
    url = f"/patients/{avery.pk}/weights/new/"

    page = client.get(url)
    response = client.post(url, {"value": "154", "unit": "lb", "measured_on": today()})

    assert page.status_code == 200
    assert response.status_code == 302 and response["Location"] == f"/patients/{avery.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert '<p class="glance-value">69.9 kg</p>' in html
    assert "entered 154 lb" in html
    [create] = entries(AuditAction.CREATE, avery)[1:]  # after the registration
    assert create.object_type == "weight"
    # The form page and the chart are reads of the patient, each audited.
    assert len(entries(AuditAction.READ, avery)) == 3


def test_an_implausible_weight_is_shown_next_to_its_field_and_nothing_is_written(
    personas: dict[str, User], avery: Patient
) -> None:
    response = client_for(personas["nurse"]).post(
        f"/patients/{avery.pk}/weights/new/", {"value": "700", "unit": "kg", "measured_on": today()}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "700 kg is 700.00 kg, outside 25-300 kg: check the scale and the unit." in html
    assert '<div class="field invalid">\n  <label for="id_value">Weight' in html
    assert not avery.weights.exists()


def test_a_nurse_adds_a_medication_and_it_is_flagged_on_the_chart(
    personas: dict[str, User], avery: Patient
) -> None:
    client = client_for(personas["nurse"])

    client.post(
        f"/patients/{avery.pk}/medications/new/",
        {"name": "Lorazepam", "dose_text": "1 mg at night", "started_on": ""},
    )

    html = client.get(f"/patients/{avery.pk}/").content.decode()
    assert Medication.objects.get().flags == ["benzodiazepine"]
    assert '<span class="badge badge-warn">Benzodiazepine (may blunt the effect)</span>' in html


def test_a_medication_is_stopped_and_corrected_from_the_chart(
    personas: dict[str, User], avery: Patient
) -> None:
    client = client_for(personas["prescriber"])
    medication = medication_add(patient=avery, name="Sertraline", by=personas["nurse"])

    corrected = client.post(
        f"/patients/{avery.pk}/medications/{medication.pk}/correct/",
        {"name": "Sertraline", "dose_text": "50 mg", "flags": ["stimulant"], "reason": ""},
    )
    assert "Reason for the correction" in corrected.content.decode()
    assert 'class="errorlist' in corrected.content.decode()
    client.post(
        f"/patients/{avery.pk}/medications/{medication.pk}/correct/",
        {"name": "Sertraline", "dose_text": "50 mg", "flags": ["stimulant"], "reason": "Label"},
    )
    client.post(f"/patients/{avery.pk}/medications/{medication.pk}/stop/", {"stopped_on": today()})

    stored = Medication.objects.get()
    assert (stored.dose_text, stored.flags, stored.stopped_on) == (
        "50 mg",
        ["stimulant"],
        timezone.localdate(),
    )
    html = client.get(f"/patients/{avery.pk}/").content.decode()
    assert "Past medications (1)" in html
    assert "Medication corrected: dose text, flags" in html


def test_a_prescriber_adds_a_diagnosis_and_an_unlisted_code_is_refused_by_name(
    personas: dict[str, User], avery: Patient
) -> None:
    client = client_for(personas["prescriber"])
    url = f"/patients/{avery.pk}/diagnoses/new/"

    refused = client.post(url, {"code": "F99"}).content.decode()
    client.post(url, {"code": "f31.81"})

    assert escape(DIAGNOSIS_CODE_NOT_LISTED.format(code="F99")) in refused
    html = client.get(f"/patients/{avery.pk}/").content.decode()
    assert "Bipolar II disorder" in html
    assert "Bipolar disorder: relative contraindication" in html
    assert Diagnosis.objects.get().recorded_by == personas["prescriber"]


@pytest.mark.parametrize(
    ("persona", "url", "data"),
    [
        ("nurse", "diagnoses/new/", {"code": "F33.1"}),
        ("front_desk", "weights/new/", {"value": "70", "unit": "kg", "measured_on": "2026-01-01"}),
        ("clinic_lead", "allergies/new/", {"substance": "Latex", "severity": "mild"}),
        ("nurse", "details/", {"legal_first_name": "Changed"}),
        ("custodian", "medications/new/", {"name": "Lorazepam"}),
    ],
)
def test_a_role_that_may_not_write_that_part_is_refused_and_nothing_changes(
    personas: dict[str, User], avery: Patient, persona: str, url: str, data: dict[str, str]
) -> None:
    before = AuditEntry.objects.exclude(action=AuditAction.ACCESS_DENIED).count()

    response = client_for(personas[persona]).post(f"/patients/{avery.pk}/{url}", data)

    assert response.status_code == 403
    assert AuditEntry.objects.exclude(action=AuditAction.ACCESS_DENIED).count() == before
    assert Patient.objects.get(pk=avery.pk).legal_first_name == "Avery"


def test_the_allergy_banner_says_not_asked_then_none_then_the_allergy(
    personas: dict[str, User], avery: Patient
) -> None:
    client = client_for(personas["nurse"])
    chart = f"/patients/{avery.pk}/"

    assert "Allergies not yet asked." in client.get(chart).content.decode()
    client.post(f"/patients/{avery.pk}/allergies/none/")
    assert "<strong>No known allergies</strong>" in client.get(chart).content.decode()
    client.post(
        f"/patients/{avery.pk}/allergies/new/",
        {"substance": "Ketamine", "reaction": "Rash", "severity": "moderate"},
    )
    html = client.get(chart).content.decode()
    assert '<div class="banner banner-danger allergy-banner" role="alert">' in html
    assert "Ketamine (Rash, moderate)" in html
    assert "Ketamine allergy: a contraindication to treatment." in html


def test_an_allergy_marked_entered_in_error_leaves_the_banner_but_stays_in_the_timeline(
    personas: dict[str, User], avery: Patient
) -> None:
    allergy = allergy_add(patient=avery, substance="Latex", severity="mild", by=personas["nurse"])
    client = client_for(personas["nurse"])

    client.post(
        f"/patients/{avery.pk}/allergies/{allergy.pk}/entered-in-error/", {"reason": "Wrong chart"}
    )

    html = client.get(f"/patients/{avery.pk}/").content.decode()
    assert "Allergies not yet asked." in html
    assert "Allergy recorded: Latex" in html
    assert "Allergy marked entered in error" in html
    assert Allergy.objects.get().in_error


def test_an_item_of_another_patient_is_not_found_through_this_patients_url(
    personas: dict[str, User], avery: Patient
) -> None:
    other = make_patient("Jordan", "Sampleton")
    allergy = allergy_add(patient=other, substance="Latex", severity="mild", by=None)

    response = client_for(personas["nurse"]).post(
        f"/patients/{avery.pk}/allergies/{allergy.pk}/entered-in-error/", {"reason": "x"}
    )

    assert response.status_code == 404
    assert not Allergy.objects.get().in_error


def test_the_desk_registers_a_patient_and_edits_contacts_with_field_named_errors(
    personas: dict[str, User],
) -> None:
    client = client_for(personas["front_desk"])

    response = client.post(
        "/patients/new/",
        {
            "legal_first_name": "Morgan",
            "legal_last_name": "Newpatient",
            "date_of_birth": "1990-02-03",
            "sex_at_birth": "female",
        },
    )
    patient = Patient.objects.get(legal_last_name="Newpatient")
    assert response["Location"] == f"/patients/{patient.pk}/"
    form = client.get(f"/patients/{patient.pk}/details/").content.decode()
    assert 'value="Newpatient"' in form
    data = {
        "legal_first_name": "Morgan",
        "legal_last_name": "Newpatient",
        "date_of_birth": "1990-02-03",
        "sex_at_birth": "female",
        "escort_name": "Alex Escort",
    }

    refused = client.post(f"/patients/{patient.pk}/details/", data).content.decode()
    client.post(f"/patients/{patient.pk}/details/", {**data, "escort_phone": "555-0142"})

    assert CONTACT_PHONE_REQUIRED in refused
    html = client.get(f"/patients/{patient.pk}/").content.decode()
    assert '<p class="glance-value glance-text">Alex Escort</p>' in html
    assert "555-0142" in html


def test_hostile_strings_typed_anywhere_appear_as_text(personas: dict[str, User]) -> None:
    patient = make_patient(HOSTILE[0], HOSTILE[1], preferred=HOSTILE[1])
    nurse = personas["nurse"]
    for text in HOSTILE:
        allergy_add(patient=patient, substance=text, reaction=text, severity="mild", by=nurse)
        medication_add(patient=patient, name=text, dose_text=text, by=nurse)
    weight_record(
        patient=patient, value=Decimal(70), unit="kg", measured_on=date(2026, 1, 1), by=nurse
    )
    diagnosis_add(patient=patient, code="F33.1", by=personas["prescriber"])

    for url in ("", "allergies/new/", "medications/new/"):
        html = client_for(nurse).get(f"/patients/{patient.pk}/{url}").content.decode()
        for raw in HOSTILE:
            assert raw not in html
        assert ESCAPED[1] in html  # the surname, on every page about the patient
    chart = client_for(nurse).get(f"/patients/{patient.pk}/").content.decode()
    assert chart.count(ESCAPED[0]) >= 4
    assert chart.count(ESCAPED[1]) >= 4
    assert "<img" not in chart


def test_the_desk_does_not_get_clinical_buttons_and_the_lead_gets_none(
    personas: dict[str, User], avery: Patient
) -> None:
    desk = client_for(personas["front_desk"]).get(f"/patients/{avery.pk}/").content.decode()
    lead = client_for(personas["clinic_lead"]).get(f"/patients/{avery.pk}/").content.decode()
    nurse = client_for(personas["nurse"]).get(f"/patients/{avery.pk}/").content.decode()

    assert "Edit details" in desk and "Record weight" not in desk
    assert "Edit details" not in lead and "Record weight" not in lead
    assert "Add diagnosis" not in lead
    assert "Record weight" in nurse and "Add diagnosis" not in nurse


def test_the_timeline_is_newest_first(personas: dict[str, User], avery: Patient) -> None:
    nurse = personas["nurse"]
    allergy_add(patient=avery, substance="Latex", severity="mild", by=nurse)
    medication_add(patient=avery, name="Lamotrigine", by=nurse)

    html = client_for(nurse).get(f"/patients/{avery.pk}/").content.decode()

    newest, older, oldest = (
        html.index("Medication recorded: Lamotrigine"),
        html.index("Allergy recorded: Latex"),
        html.index("Registered</span>"),
    )
    assert newest < older < oldest


@pytest.mark.parametrize("how", ["name", "date_of_birth", "mrn"])
def test_search_finds_a_patient_by_name_date_of_birth_or_mrn(
    personas: dict[str, User], avery: Patient, how: str
) -> None:
    query = {"name": "testpat", "date_of_birth": "1984-03-07", "mrn": avery.mrn.lower()}[how]

    html = client_for(personas["front_desk"]).get("/patients/", {"q": query}).content.decode()

    assert f'<a href="/patients/{avery.pk}/">{avery.mrn}</a>' in html
    label = {"name": "name", "date_of_birth": "date of birth", "mrn": "mrn"}[how]
    assert f"({label})." in html


def test_an_anonymous_visitor_cannot_post_to_a_form(db: None, avery: Patient) -> None:
    response = Client().post(f"/patients/{avery.pk}/weights/new/", {"value": "70"})

    assert response.status_code == 302
    assert not avery.weights.exists()
