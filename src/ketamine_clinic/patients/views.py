"""The patient pages: find, register, open a chart, and record each part of it.

Each view reads the patient through `patient_get` (an audited read) and writes through
one service (an audited write); who may do what is in `policies.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.utils import timezone

from ketamine_clinic.access.policy import access, declared_policy, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.patients import forms as patient_forms
from ketamine_clinic.patients.chart_panels import consent_glance, course_panel, scores_panel
from ketamine_clinic.patients.chart_rows import chart_rows_scope
from ketamine_clinic.patients.models import (
    Allergy,
    ChartItem,
    Diagnosis,
    Medication,
    Patient,
    WeightMeasurement,
)
from ketamine_clinic.patients.policies import (
    CLINICAL_RECORDING,
    DIAGNOSING,
    PATIENT_CARE,
    REGISTRATION,
)
from ketamine_clinic.patients.selectors import (
    ChartItemT,
    PatientSearchResult,
    item_of_patient,
    patient_chart,
    patient_get,
    patient_search,
)
from ketamine_clinic.patients.services.allergies import (
    allergy_add,
    allergy_mark_entered_in_error,
    allergy_record_none,
)
from ketamine_clinic.patients.services.diagnoses import (
    diagnosis_add,
    diagnosis_mark_entered_in_error,
)
from ketamine_clinic.patients.services.medications import (
    medication_add,
    medication_correct,
    medication_mark_entered_in_error,
    medication_stop,
)
from ketamine_clinic.patients.services.registry import (
    PatientDetails,
    patient_create,
    patient_record_pregnancy_potential,
    patient_update_details,
)
from ketamine_clinic.patients.services.weights import weight_mark_entered_in_error, weight_record


@access(PATIENT_CARE)
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search the registry; an empty query shows the form only (and reads nothing)."""
    user = staff_user(request)
    form = patient_forms.PatientSearchForm(request.GET)
    result: PatientSearchResult | None = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        try:
            result = patient_search(query=form.cleaned_data["q"], by=user)
        except ValidationError as exc:
            form.add_error("q", exc)
    return render(
        request,
        "patients/list.html",
        {"form": form, "result": result, "can_register": REGISTRATION.allows(user)},
    )


@access(REGISTRATION)
def patient_register(request: HttpRequest) -> HttpResponse:
    """Register a new patient; their details are completed from the chart."""
    user = staff_user(request)
    form = patient_forms.PatientRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patient_create(**form.cleaned_data, by=user)
        except ValidationError as error:
            patient_forms.apply_errors(form, error)
        else:
            messages.success(request, f"{patient.name_to_use} registered as {patient.mrn}.")
            return redirect("patients:chart", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {"form": form, "heading": "Register a patient", "submit": "Register", "patient": None},
    )


def _allowed(user: User, url: str) -> bool:
    policy = declared_policy(resolve(url).func)
    return policy is not None and policy.allows(user)


@access(PATIENT_CARE)
def patient_chart_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart: the summary a nurse needs at a glance, scores, and the timeline."""
    user = staff_user(request)
    # One chart's providers share what they read (chart_rows): each table is read once.
    with chart_rows_scope():
        try:
            chart = patient_chart(patient_id=patient_id, by=user)
        except Patient.DoesNotExist:
            raise Http404("No such patient") from None
        return render(
            request,
            "patients/chart.html",
            {
                "chart": chart,
                "patient": chart.patient,
                "scores": scores_panel(chart.patient),
                "consent": consent_glance(chart.patient),
                "course": course_panel(chart.patient, user),
                "can": {
                    "register": REGISTRATION.allows(user),
                    "record": CLINICAL_RECORDING.allows(user),
                    "diagnose": DIAGNOSING.allows(user),
                    # Pages of other apps: asked of their own declared policies, as the menu does.
                    "tablet": _allowed(user, reverse("intake:open", args=[patient_id])),
                    "consent": _allowed(user, reverse("consent:patient", args=[patient_id])),
                    "alarm_limits": _allowed(
                        user, reverse("monitoring:alarm_limits", args=[chart.patient.pk])
                    ),
                },
            },
        )


# ---- forms on a patient -----------------------------------------------------------------


def _patient(user: User, patient_id: int) -> Patient:
    try:
        return patient_get(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None


def _item(model: type[ChartItemT], patient: Patient, item_id: int) -> ChartItemT:
    try:
        return item_of_patient(model, patient=patient, item_id=item_id)
    except model.DoesNotExist:
        raise Http404("No such entry for this patient") from None


@dataclass(frozen=True)
class FormPage:
    """One form on a patient's chart: what it asks, what it calls, what it says after."""

    form_class: type[forms.Form]
    heading: str
    submit: str
    done: str
    save: Callable[[Patient, User, dict[str, Any]], object]
    initial: Callable[[Patient], dict[str, Any]] | None = None
    intro: str = ""
    item: ChartItem | None = None


def _form_page(request: HttpRequest, patient: Patient, user: User, page: FormPage) -> HttpResponse:
    """Show the form; on a valid POST call the service, then go back to the chart."""
    initial = page.initial(patient) if page.initial else {}
    # An empty POST (a form that is just a button) is still a submission.
    form = page.form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            page.save(patient, user, form.cleaned_data)
        except ValidationError as error:
            patient_forms.apply_errors(form, error)
        else:
            messages.success(request, page.done)
            return redirect("patients:chart", patient_id=patient.pk)
    return render(
        request,
        "patients/form.html",
        {
            "form": form,
            "patient": patient,
            "heading": page.heading,
            "submit": page.submit,
            "intro": page.intro,
            "item": page.item,
            "codes": patient_forms.DiagnosisForm.codes()
            if page.form_class is patient_forms.DiagnosisForm
            else None,
        },
    )


@access(REGISTRATION)
def patient_edit_details(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, patient_id)

    def save(p: Patient, by: User, data: dict[str, Any]) -> object:
        reason = data.pop("reason")
        data["gender_identity"] = data["gender_identity"] or ""
        return patient_update_details(
            patient=p, details=PatientDetails(**data), reason=reason, by=by
        )

    return _form_page(
        request,
        patient,
        user,
        FormPage(
            form_class=patient_forms.PatientDetailsForm,
            heading="Demographics and contacts",
            submit="Save",
            done="Details saved.",
            save=save,
            initial=lambda p: vars(PatientDetails.of(p)),
        ),
    )


@access(CLINICAL_RECORDING)
def weight_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.WeightForm,
            heading="Record a weight",
            submit="Record weight",
            done="Weight recorded.",
            save=lambda p, by, d: weight_record(patient=p, by=by, **d),
            initial=lambda _: {"measured_on": timezone.localdate(), "unit": "kg"},
            intro="Enter the weight in kg or lb; it is stored in kg. Dosing uses the latest.",
        ),
    )


@access(CLINICAL_RECORDING)
def allergy_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.AllergyForm,
            heading="Record an allergy",
            submit="Record allergy",
            done="Allergy recorded.",
            save=lambda p, by, d: allergy_add(patient=p, by=by, **d),
        ),
    )


@access(CLINICAL_RECORDING)
def allergy_none(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.ConfirmForm,
            heading="No known allergies",
            submit="Record no known allergies",
            done="No known allergies recorded.",
            save=lambda p, by, _: allergy_record_none(patient=p, by=by),
            intro="Record this only after asking the patient today. It is kept with your name.",
        ),
    )


def _entered_in_error(
    request: HttpRequest,
    patient_id: int,
    model: type[ChartItemT],
    item_id: int,
    retract: Callable[[ChartItemT, str, User], object],
    what: str,
) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, patient_id)
    item = _item(model, patient, item_id)
    if item.in_error:
        messages.info(request, f"That {what} is already marked entered in error.")
        return redirect("patients:chart", patient_id=patient.pk)
    return _form_page(
        request,
        patient,
        user,
        FormPage(
            form_class=patient_forms.EnteredInErrorForm,
            heading=f"Mark {what} entered in error: {item}",
            submit="Mark entered in error",
            done=f"The {what} is marked entered in error; it stays in the record.",
            save=lambda _p, by, d: retract(item, d["reason"], by),
            intro="The entry leaves the summary but is kept, with your name and reason.",
            item=item,
        ),
    )


@access(CLINICAL_RECORDING)
def allergy_error(request: HttpRequest, patient_id: int, allergy_id: int) -> HttpResponse:
    return _entered_in_error(
        request,
        patient_id,
        Allergy,
        allergy_id,
        lambda item, reason, by: allergy_mark_entered_in_error(allergy=item, reason=reason, by=by),
        "allergy",
    )


@access(CLINICAL_RECORDING)
def weight_error(request: HttpRequest, patient_id: int, weight_id: int) -> HttpResponse:
    return _entered_in_error(
        request,
        patient_id,
        WeightMeasurement,
        weight_id,
        lambda item, reason, by: weight_mark_entered_in_error(weight=item, reason=reason, by=by),
        "weight",
    )


@access(CLINICAL_RECORDING)
def medication_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.MedicationForm,
            heading="Record a medication",
            submit="Record medication",
            done="Medication recorded.",
            save=lambda p, by, d: medication_add(patient=p, by=by, **d),
            intro="Flags that matter for ketamine (benzodiazepines, lamotrigine, MAOIs, "
            "stimulants, sympathomimetics) are set from the name; correct them afterwards "
            "if needed.",
        ),
    )


@access(CLINICAL_RECORDING)
def medication_edit(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, patient_id)
    medication = _item(Medication, patient, medication_id)
    return _form_page(
        request,
        patient,
        user,
        FormPage(
            form_class=patient_forms.MedicationCorrectForm,
            heading=f"Correct {medication.name}",
            submit="Save correction",
            done="Medication corrected.",
            save=lambda _p, by, d: medication_correct(medication=medication, by=by, **d),
            initial=lambda _: {
                "name": medication.name,
                "dose_text": medication.dose_text,
                "started_on": medication.started_on,
                "flags": list(medication.flags),
            },
            item=medication,
        ),
    )


@access(CLINICAL_RECORDING)
def medication_end(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(user, patient_id)
    medication = _item(Medication, patient, medication_id)
    return _form_page(
        request,
        patient,
        user,
        FormPage(
            form_class=patient_forms.MedicationStopForm,
            heading=f"Stop {medication.name}",
            submit="Record stop",
            done=f"{medication.name} is recorded as stopped.",
            save=lambda _p, by, d: medication_stop(medication=medication, by=by, **d),
            initial=lambda _: {"stopped_on": timezone.localdate()},
            intro="The medication moves to past medications; nothing is deleted.",
            item=medication,
        ),
    )


@access(CLINICAL_RECORDING)
def medication_error(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    return _entered_in_error(
        request,
        patient_id,
        Medication,
        medication_id,
        lambda item, reason, by: medication_mark_entered_in_error(
            medication=item, reason=reason, by=by
        ),
        "medication",
    )


@access(DIAGNOSING)
def diagnosis_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.DiagnosisForm,
            heading="Add a diagnosis",
            submit="Add diagnosis",
            done="Diagnosis added.",
            save=lambda p, by, d: diagnosis_add(patient=p, by=by, **d),
            intro="Codes from the clinic's list only (ICD-10-CM); the title comes from the list.",
        ),
    )


@access(DIAGNOSING)
def diagnosis_error(request: HttpRequest, patient_id: int, diagnosis_id: int) -> HttpResponse:
    return _entered_in_error(
        request,
        patient_id,
        Diagnosis,
        diagnosis_id,
        lambda item, reason, by: diagnosis_mark_entered_in_error(
            diagnosis=item, reason=reason, by=by
        ),
        "diagnosis",
    )


@access(CLINICAL_RECORDING)
def pregnancy_potential(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = staff_user(request)
    return _form_page(
        request,
        _patient(user, patient_id),
        user,
        FormPage(
            form_class=patient_forms.PregnancyPotentialForm,
            heading="Pregnancy potential",
            submit="Record",
            done="Pregnancy potential recorded.",
            save=lambda p, by, d: patient_record_pregnancy_potential(
                patient=p,
                potential=d["pregnancy_potential"],
                asked_on=d["pregnancy_potential_asked_on"],
                by=by,
            ),
            initial=lambda p: {
                "pregnancy_potential": p.pregnancy_potential or None,
                "pregnancy_potential_asked_on": timezone.localdate(),
            },
            intro="Pregnancy is a contraindication to ketamine: ask at each course.",
        ),
    )
