"""FHIR R4: the clinic's records as FHIR resources, a read-only REST endpoint, and import.

Which FHIR models, and why R4B stands in for R4
-----------------------------------------------
fhir.resources 8.3 ships R5 as its default package and R4B as ``fhir.resources.R4B``;
it has no R4 (4.0.1) package. We build every resource with the R4B models. HL7's own
account of R4B ("R4B explanation", https://hl7.org/fhir/R4B/r4b-explanation.html, and
the version history, https://hl7.org/fhir/R4B/history.html) limits R4B's changes to the
medication-definition (regulated product) resources, the evidence-based-medicine
resources and the new subscription resources (plus the new CodeableReference and
RatioRange types), and says implementers who do not use those parts "can continue to
use either R4 or R4B without any functional difference". The normative parts of R4
(Patient, Observation, Bundle, OperationOutcome, CapabilityStatement) carried "no
breaking changes" into R4B (https://hl7.org/fhir/ansi-conformance.html). The resources
emitted here - Patient, Encounter, Observation, QuestionnaireResponse,
MedicationRequest, MedicationAdministration, Device, Procedure, Bundle,
OperationOutcome, CapabilityStatement - are none of the changed ones, and we use no
element or type added in R4B (no CodeableReference), so what we emit is R4 4.0.1 and
the CapabilityStatement says ``fhirVersion: 4.0.1``.

What was not checked: the machine-generated R4->R4B structural diff
(https://hl7.org/fhir/R4B/diff.html) was only read in part (its data types all say "No
Changes" except the added ones); a 2021 R4B ballot widened Observation.subject's target
types, which does not touch what we send (subject is always a Patient).

Layout: ``codes.py`` (code systems and codes, with their sources), ``build_*.py`` (one
record to one resource, pure), ``selectors.py`` (a patient's records to a Bundle),
``import_bundle.py`` (Patient resources into the registry), ``clients.py`` (registered
client applications, their tokens and scopes), ``views.py`` (the REST endpoint).
"""
