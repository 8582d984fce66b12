"""Small pieces every builder uses: references, codings, quantities, instants.

Each resource is built through the fhir.resources R4B models (see the package
docstring for why R4B), which check cardinality and types as they are built.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference

from ketamine_clinic.fhir.codes import UCUM


def reference(resource_type: str, resource_id: int | str, display: str | None = None) -> Reference:
    return Reference(reference=f"{resource_type}/{resource_id}", display=display)


def concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)], text=text)


def ucum_quantity(value: int | float | Decimal, unit: str, code: str | None = None) -> Quantity:
    """A UCUM quantity; `code` differs from the human `unit` only where UCUM spells it so."""
    return Quantity(value=Decimal(str(value)), unit=unit, system=UCUM, code=code or unit)


def utc(moment: datetime) -> datetime:
    """Times go out in UTC, as they are stored (fhir.resources writes them with a Z)."""
    return moment.astimezone(UTC)
