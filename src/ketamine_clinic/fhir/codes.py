"""Code systems, codes and units the FHIR resources use, each with where it comes from.

LOINC codes and UCUM units for vitals and instrument totals are those named in issue 8
and in ../shared/reference/clinical.md ("Instruments": PHQ-9 total 44261-6, GAD-7 total
70274-6); the instruments' own LOINC codes are read from their TOML definitions
(`instruments/data/*.toml`, `[loinc]`), where a code the reference marks "verify" is
stored as "verify": such a total gets the clinic's local code system below instead of a
guessed LOINC code. Ketamine's RxNorm ingredient code 6130 and the SNOMED CT route
"Intravenous route" 47625008 are the ones issue 8 names. The reference gives no SNOMED
CT code for the procedure "intravenous infusion", so the Procedure carries text only.
"""

from __future__ import annotations

from typing import Final

# The clinic's own identifier and code systems. One URN per concept rather than a web
# address, because the software does not know the clinic's domain; an installation
# that has one maps these at its interface engine.
MRN_SYSTEM: Final = "urn:ketamine-clinic:mrn"
INSTRUMENT_TOTAL_SYSTEM: Final = "urn:ketamine-clinic:instrument-total"
QUESTIONNAIRE_BASE: Final = "urn:ketamine-clinic:questionnaire:"
DEVICE_EUI64_SYSTEM: Final = "urn:ketamine-clinic:device-eui64"
# Sex at birth as the registry records it (female, male, intersex, unknown): carried
# beside Patient.gender so nothing is lost on a round trip (see build_patient).
SEX_AT_BIRTH_EXTENSION: Final = "urn:ketamine-clinic:extension:sex-at-birth"

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
SNOMED: Final = "http://snomed.info/sct"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
# ISO/IEEE 11073-10101 (MDC), the nomenclature the devices already speak (devices/mdc.py).
MDC: Final = "urn:iso:std:iso:11073:10101"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONTINUA_DEVICE_IDENTIFIERS: Final = (
    "http://terminology.hl7.org/CodeSystem/ContinuaDeviceIdentifiers"
)
DOSE_RATE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/dose-rate-type"

# Vital signs: (LOINC code, display, UCUM unit).
HEART_RATE: Final = ("8867-4", "Heart rate", "/min")
RESPIRATORY_RATE: Final = ("9279-1", "Respiratory rate", "/min")
SPO2: Final = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%")
BP_PANEL: Final = ("85354-9", "Blood pressure panel with all children optional", "mm[Hg]")
SYSTOLIC: Final = ("8480-6", "Systolic blood pressure", "mm[Hg]")
DIASTOLIC: Final = ("8462-4", "Diastolic blood pressure", "mm[Hg]")

# LOINC's own long common names for the instrument totals the reference codes, so a
# receiving system shows LOINC's words rather than ours. As published with these codes
# in HL7 implementation guides (the Medizininformatik-Initiative PRO guide's score
# ObservationDefinitions for PHQ-9 and GAD-7).
LOINC_TOTAL_DISPLAY: Final = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "70274-6": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}

KETAMINE_RXNORM: Final = ("6130", "ketamine")
ROUTE_IV_SNOMED: Final = ("47625008", "Intravenous route")
AMBULATORY: Final = ("AMB", "ambulatory")
PROCEDURE_TEXT: Final = "Intravenous infusion of ketamine"
