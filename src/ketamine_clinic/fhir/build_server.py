"""What the endpoint says about itself and about errors: CapabilityStatement and
OperationOutcome (R4 4.0.1 content built with the R4B models; see the package docstring)."""

from __future__ import annotations

from datetime import datetime

from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceOperation,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

from ketamine_clinic.fhir.clients import RESOURCE_TYPES
from ketamine_clinic.fhir.codes import MRN_SYSTEM

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
EVERYTHING_DEFINITION = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
SECURITY = (
    "Each client application is registered by the clinic (`ketamine-clinic fhir client "
    "add`) and sends its own bearer token: 'Authorization: Bearer kcf_...'. Scopes are "
    "SMART backend-services style (system/Patient.read, system/*.read). A staff session or "
    "a staff API token is not a client credential. Every read is audited."
)


def build_capability_statement(*, base_url: str, at: datetime) -> CapabilityStatement:
    patient = CapabilityStatementRestResource(
        type="Patient",
        interaction=[
            CapabilityStatementRestResourceInteraction(code="read"),
            CapabilityStatementRestResourceInteraction(code="search-type"),
        ],
        searchParam=[
            CapabilityStatementRestResourceSearchParam(
                name="identifier",
                type="token",
                documentation=f"system|value; the clinic's MRNs are in {MRN_SYSTEM}.",
            )
        ],
        operation=[
            CapabilityStatementRestResourceOperation(
                name="everything", definition=EVERYTHING_DEFINITION
            )
        ],
    )
    # The other types are reachable only inside Patient/{id}/$everything.
    others = [
        CapabilityStatementRestResource(
            type=resource_type,
            documentation="Returned by Patient/{id}/$everything; no interaction of its own.",
        )
        for resource_type in RESOURCE_TYPES
        if resource_type != "Patient"
    ]
    return CapabilityStatement(
        status="active",
        date=at,
        kind="instance",
        fhirVersion=FHIR_VERSION,
        format=[FHIR_JSON],
        software=CapabilityStatementSoftware(name="ketamine-clinic"),
        implementation=CapabilityStatementImplementation(
            description="Ketamine clinic FHIR R4 endpoint (read-only)", url=base_url
        ),
        rest=[
            CapabilityStatementRest(
                mode="server",
                security=CapabilityStatementRestSecurity(description=SECURITY),
                resource=[patient, *others],
            )
        ],
    )


def build_operation_outcome(*, code: str, diagnostics: str) -> OperationOutcome:
    """One error issue; `code` is from R4's IssueType (login, forbidden, not-found, ...)."""
    return OperationOutcome(
        issue=[OperationOutcomeIssue(severity="error", code=code, diagnostics=diagnostics)]
    )
