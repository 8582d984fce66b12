"""The expected role matrix: who may use each view and API operation.

Keys are URL names (`"accounts:sign_in"`) for Django views and `"api METHOD /path"`
(the path as Django routes it, parameters in angle brackets as in the URL pattern,
e.g. `"api DELETE /api/v1/tokens/<token_id>"`) for API operations (the API's schema
and index are plain views, named "api:..."). Values are the persona names allowed:
role values, `"no_role"` (signed in, holds no role) and `"anonymous"` when the view is
public.

tests/test_role_matrix.py checks every view against this table three ways: the view
declares a policy, the declared policy gives exactly this set, and requesting the view
as each persona agrees (API operations both with a token and through a session).
Adding a view means adding its line here, in its app's section, and, if its URL has a
parameter no other view has, a sample value in tests/access/url_samples.py.
"""

from __future__ import annotations

from ketamine_clinic.accounts.enums import Role

FRONT_DESK = Role.FRONT_DESK.value
NURSE = Role.NURSE.value
PRESCRIBER = Role.PRESCRIBER.value
CUSTODIAN = Role.CUSTODIAN.value
CLINIC_LEAD = Role.CLINIC_LEAD.value
ADMINISTRATOR = Role.ADMINISTRATOR.value
NO_ROLE = "no_role"
ANONYMOUS = "anonymous"

# Any signed-in staff member, whatever roles they hold (or none).
ANY_STAFF = frozenset({*Role.values, NO_ROLE})
# Everyone, signed in or not.
EVERYONE = ANY_STAFF | {ANONYMOUS}

EXPECTED: dict[str, frozenset[str]] = {
    # accounts
    "accounts:sign_in": EVERYONE,
    "accounts:sign_out": ANY_STAFF,
    "accounts:staff_list": frozenset({ADMINISTRATOR}),
    "accounts:second_factor": EVERYONE,
    "accounts:second_factor_enrol": EVERYONE,
    "accounts:password_change": ANY_STAFF,
    "accounts:staff_create": frozenset({ADMINISTRATOR}),
    "accounts:staff_detail": frozenset({ADMINISTRATOR}),
    "accounts:staff_edit": frozenset({ADMINISTRATOR}),
    "accounts:staff_reset_password": frozenset({ADMINISTRATOR}),
    "accounts:staff_reset_second_factor": frozenset({ADMINISTRATOR}),
    "accounts:staff_unlock": frozenset({ADMINISTRATOR}),
    "accounts:staff_deactivate": frozenset({ADMINISTRATOR}),
    "accounts:staff_reactivate": frozenset({ADMINISTRATOR}),
    # audit
    "audit:entries": frozenset({CLINIC_LEAD}),
    # patients
    "patients:list": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "patients:chart": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "patients:register": frozenset({FRONT_DESK}),
    "patients:edit_details": frozenset({FRONT_DESK}),
    "patients:weight_add": frozenset({NURSE, PRESCRIBER}),
    "patients:weight_error": frozenset({NURSE, PRESCRIBER}),
    "patients:allergy_add": frozenset({NURSE, PRESCRIBER}),
    "patients:allergy_none": frozenset({NURSE, PRESCRIBER}),
    "patients:allergy_error": frozenset({NURSE, PRESCRIBER}),
    "patients:medication_add": frozenset({NURSE, PRESCRIBER}),
    "patients:medication_correct": frozenset({NURSE, PRESCRIBER}),
    "patients:medication_stop": frozenset({NURSE, PRESCRIBER}),
    "patients:medication_error": frozenset({NURSE, PRESCRIBER}),
    "patients:diagnosis_add": frozenset({PRESCRIBER}),
    "patients:diagnosis_error": frozenset({PRESCRIBER}),
    "patients:pregnancy_potential": frozenset({NURSE, PRESCRIBER}),
    # outcomes, from the chart: the printable progress report, read by whoever reads the chart.
    "outcomes:patient_progress": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    # outcomes, the clinic's dashboard: aggregates (no patient named) for the clinic lead
    # and prescribers, who decide on courses, doses and boosters (outcomes/policies.py).
    "outcomes:dashboard": frozenset({PRESCRIBER, CLINIC_LEAD}),
    # courses, from the chart: starting and stopping a course is the prescriber's
    # decision (courses/policies.py, the services' COURSE_ROLES).
    "courses:start": frozenset({PRESCRIBER}),
    "courses:stop": frozenset({PRESCRIBER}),
    # intake: a staff member hands a tablet over; the kiosk pages act only through the
    # tablet's own cookie (without one they show a neutral screen), so they are public.
    "intake:open": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "intake:kiosk_home": EVERYONE,
    "intake:kiosk_form": EVERYONE,
    "intake:kiosk_draft": EVERYONE,
    "intake:kiosk_locked": EVERYONE,
    # review: prescribers act on the queue; the clinic lead sees what waits
    "review:queue": frozenset({PRESCRIBER, CLINIC_LEAD}),
    "review:assess_risk_flag": frozenset({PRESCRIBER}),
    "review:decide_screening": frozenset({PRESCRIBER}),
    # consent: the versions and a patient's signatures are read by those who care for
    # patients in person; publishing a version (everyone re-consents) is the lead's.
    "consent:documents": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "consent:publish": frozenset({CLINIC_LEAD}),
    "consent:document": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "consent:patient": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "consent:withdraw": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "consent:signature": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "consent:signature_image": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    # research: the de-identified export spans every patient; the clinic lead decides
    # what leaves the clinic (research/policies.py).
    "research:export": frozenset({CLINIC_LEAD}),
    "research:download": frozenset({CLINIC_LEAD}),
    # web
    "home": ANY_STAFF,
    # api
    "api:api-root": EVERYONE,
    "api:openapi-json": EVERYONE,
    "api GET /api/v1/me": ANY_STAFF,
    "api GET /api/v1/staff": frozenset({ADMINISTRATOR}),
    "api GET /api/v1/audit/verify": frozenset({CLINIC_LEAD}),
    "api GET /api/v1/tokens": ANY_STAFF,
    "api POST /api/v1/tokens": ANY_STAFF,
    "api DELETE /api/v1/tokens/<token_id>": ANY_STAFF,
    # api: patients, instruments, scores, questionnaires and risk flags (issue 4, item 7).
    # The same policies as the web pages (patients/policies.py): reading PATIENT_CARE,
    # registering REGISTRATION, entering answers CLINICAL_RECORDING; the risk review
    # queue is the prescribers' and the clinic lead's, assessing a flag a prescriber's.
    "api GET /api/v1/patients": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "api POST /api/v1/patients": frozenset({FRONT_DESK}),
    "api GET /api/v1/patients/<patient_id>": frozenset(
        {FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}
    ),
    "api GET /api/v1/instruments": ANY_STAFF,
    "api GET /api/v1/instruments/<instrument_key>": ANY_STAFF,
    "api GET /api/v1/patients/<patient_id>/scores": frozenset(
        {FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}
    ),
    "api GET /api/v1/patients/<patient_id>/questionnaires": frozenset(
        {FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}
    ),
    "api POST /api/v1/patients/<patient_id>/questionnaires": frozenset({NURSE, PRESCRIBER}),
    "api GET /api/v1/risk-flags": frozenset({PRESCRIBER, CLINIC_LEAD}),
    "api POST /api/v1/risk-flags/<flag_id>/assessment": frozenset({PRESCRIBER}),
    # fhir: the CapabilityStatement is public; the reads serve registered client
    # applications with their own bearer tokens and scopes (fhir/auth.py), so no staff
    # persona, session or staff token opens them: each gets 403, an anonymous caller 401.
    "fhir:metadata": EVERYONE,
    "api GET /fhir/r4/Patient": frozenset(),
    "api GET /fhir/r4/Patient/<patient_id>": frozenset(),
    "api GET /fhir/r4/Patient/<patient_id>/$everything": frozenset(),
    # clinicday: the day and each visit (read by all who care for patients); the
    # buttons follow the services' roles (front desk checks in and confirms escorts).
    "clinicday:day": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "clinicday:visit": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "clinicday:room": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "clinicday:transition": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "clinicday:override": frozenset({PRESCRIBER}),
    "clinicday:vitals": frozenset({NURSE, PRESCRIBER}),
    "clinicday:fasting": frozenset({NURSE, PRESCRIBER}),
    "clinicday:escort": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "clinicday:pregnancy": frozenset({NURSE, PRESCRIBER}),
    "clinicday:medication_review": frozenset({NURSE, PRESCRIBER}),
    "clinicday:iv_access": frozenset({NURSE, PRESCRIBER}),
    "clinicday:order": frozenset({PRESCRIBER}),
    "clinicday:prepare": frozenset({NURSE, PRESCRIBER}),
    "clinicday:account": frozenset({NURSE, PRESCRIBER}),
    "clinicday:verify": frozenset({NURSE, PRESCRIBER}),
    "clinicday:start": frozenset({NURSE, PRESCRIBER}),
    "clinicday:discharge_sheet": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "clinicday:titrate": frozenset({NURSE, PRESCRIBER}),
    "clinicday:pause": frozenset({NURSE, PRESCRIBER}),
    "clinicday:resume": frozenset({NURSE, PRESCRIBER}),
    "clinicday:stop": frozenset({NURSE, PRESCRIBER}),
    "clinicday:room_vitals": frozenset({NURSE, PRESCRIBER}),
    "clinicday:send_to_pump": frozenset({NURSE, PRESCRIBER}),
    "clinicday:adverse_event": frozenset({NURSE, PRESCRIBER}),
    "clinicday:note": frozenset({NURSE, PRESCRIBER}),
    "clinicday:dissociation": frozenset({NURSE, PRESCRIBER}),
    "clinicday:aldrete": frozenset({NURSE, PRESCRIBER}),
    "clinicday:discharge_review": frozenset({NURSE, PRESCRIBER}),
    "clinicday:handover": frozenset({NURSE, PRESCRIBER}),
    "clinicday:discharge": frozenset({NURSE, PRESCRIBER}),
    "clinicday:instructions": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "clinicday:send_instructions": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    # booking, planning and changing visits: the desk, nurses and prescribers book
    # (BOOKERS); a room out of service is the clinic lead's or a nurse's to record.
    "booking:course_plan": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "booking:move": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "booking:cancel": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "booking:outage": frozenset({NURSE, CLINIC_LEAD}),
    # booking, the week view: read by the same people as the day (DAY_READERS).
    "booking:week": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    # booking, the set-up: rooms and hours are read by all who book or run the day and
    # kept by the lead and the administrator (settings likewise, without readers); the
    # rota is read by the desk and the staff on it and planned by the lead; a patient's
    # availability is patient data, kept by the desk and clinical staff, read by the lead.
    "booking:rooms": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD, ADMINISTRATOR}),
    "booking:room_add": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "booking:room_edit": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "booking:hours": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD, ADMINISTRATOR}),
    "booking:hours_save": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "booking:settings": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "booking:rota": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "booking:shift_add": frozenset({CLINIC_LEAD}),
    "booking:shift_remove": frozenset({CLINIC_LEAD}),
    "booking:rota_copy_week": frozenset({CLINIC_LEAD}),
    "booking:patient_availability": frozenset({FRONT_DESK, NURSE, PRESCRIBER, CLINIC_LEAD}),
    "booking:availability_windows": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "booking:unavailable_date_add": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    "booking:unavailable_date_remove": frozenset({FRONT_DESK, NURSE, PRESCRIBER}),
    # monitoring: the live pages and the alarm history are read by those at the bedside
    # and the lead (MONITOR_READERS); answering an alarm is a nurse's or a prescriber's.
    "monitoring:station": frozenset({NURSE, PRESCRIBER, CLINIC_LEAD}),
    "monitoring:alarm_limits": frozenset({NURSE, PRESCRIBER, CLINIC_LEAD}),
    "monitoring:alarm_limit_adjust": frozenset({PRESCRIBER}),
    "monitoring:room": frozenset({NURSE, PRESCRIBER, CLINIC_LEAD}),
    "monitoring:alarms": frozenset({NURSE, PRESCRIBER, CLINIC_LEAD}),
    "monitoring:alarm": frozenset({NURSE, PRESCRIBER, CLINIC_LEAD}),
    "monitoring:acknowledge": frozenset({NURSE, PRESCRIBER}),
    "monitoring:silence": frozenset({NURSE, PRESCRIBER}),
    # devices: the registry (which monitor and pump is in which room) and the data no
    # visit claimed are the clinic's IT person's and the lead's (DEVICE_ADMINS).
    "devices:list": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "devices:register": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "devices:edit": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    "devices:unassigned": frozenset({CLINIC_LEAD, ADMINISTRATOR}),
    # inventory, the stock pages: nurses see the stock they draw from; the record behind
    # it is read by the custodian, prescribers and the lead (INVENTORY_READERS); only
    # the key holders receive, dispose, correct and keep the reference data.
    "inventory:dashboard": frozenset({NURSE, PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:registration": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:registration_record": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:supplier_list": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:supplier_add": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:supplier_edit": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:product_list": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:product_add": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:location_list": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:location_add": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:receive": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:receipt": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:container": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:container_remove": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:entry_correct": frozenset({PRESCRIBER, CUSTODIAN}),
    # inventory, counts and reports: the key holders count; the lead follows the counts,
    # resolves what they find, and reads every log with them (INVENTORY_READERS).
    "inventory:count_list": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:count_start": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:count_detail": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:count_enter": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:count_close": frozenset({PRESCRIBER, CUSTODIAN}),
    "inventory:discrepancy_list": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:discrepancy_detail": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:discrepancy_resolve": frozenset({CLINIC_LEAD}),
    "inventory:report_index": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:report_receipts": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:report_dispensing": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:report_waste": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:report_counts": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
    "inventory:report_biennial": frozenset({PRESCRIBER, CUSTODIAN, CLINIC_LEAD}),
}
