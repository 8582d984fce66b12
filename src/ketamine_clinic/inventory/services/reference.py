"""The reference data receipts point at: products and storage locations.

A product's strength is kept both as ketamine base (the unit of the record and of every
dose) and as the hydrochloride salt many labels print, so whoever checks a vial against
the record can compare it with what is written on it. Suppliers are kept by
`stock.supplier_save`, with their DEA number checked.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.inventory.enums import StrengthBasis
from ketamine_clinic.inventory.models import Product, StorageLocation
from ketamine_clinic.inventory.policies import STOCK_KEEPER_ROLES
from ketamine_clinic.inventory.services.common import audit, require_role

# pharmacology.md: 1 mg of ketamine base is 1.153 mg of ketamine hydrochloride.
SALT_PER_BASE = Decimal("1.153")
CENT = Decimal("0.01")
# The FDA's 10-digit NDC in its three labeller-product-package layouts (4-4-2, 5-3-2,
# 5-4-1) or the 11-digit 5-4-2 billing form, always with its hyphens.
NDC_PATTERN = re.compile(r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})$")
MAX_STRENGTH_MG_PER_ML = Decimal("500.00")
MAX_CONTAINER_ML = Decimal("1000.00")

REQUIRED = "This is required."
NDC_FORMAT = "An NDC is 10 or 11 digits in three hyphenated groups, e.g. 0409-2053-10."
NDC_TAKEN = "A product with NDC {ndc} is already on file."
STRENGTH_RANGE = f"Enter the strength in mg/mL: more than 0 and at most {MAX_STRENGTH_MG_PER_ML}."
CONTAINER_RANGE = f"Enter the mL in one container: more than 0 and at most {MAX_CONTAINER_ML}."
CONTAINER_MG_RESOLUTION = (
    "{ml} mL at {base} mg/mL is not a whole number of hundredths of a mg: check the label."
)
LOCATION_TAKEN = "A storage location named {name} is already on file."


def base_and_salt(strength_mg_per_ml: Decimal, basis: StrengthBasis) -> tuple[Decimal, Decimal]:
    """(base, salt) mg/mL, each to 0.01, from the strength as the label states it."""
    if basis == StrengthBasis.SALT:
        salt = strength_mg_per_ml.quantize(CENT)
        return (salt / SALT_PER_BASE).quantize(CENT), salt
    base = strength_mg_per_ml.quantize(CENT)
    return base, (base * SALT_PER_BASE).quantize(CENT)


@transaction.atomic
def product_add(
    *,
    by: User,
    name: str,
    ndc: str,
    strength_mg_per_ml: Decimal,
    strength_basis: StrengthBasis,
    container_ml: Decimal,
) -> Product:
    require_role(by, STOCK_KEEPER_ROLES, "keep the list of products")
    if not name.strip():
        raise ValidationError({"name": REQUIRED})
    code = ndc.strip()
    if not NDC_PATTERN.match(code):
        raise ValidationError({"ndc": NDC_FORMAT})
    if Product.objects.filter(ndc=code).exists():
        raise ValidationError({"ndc": NDC_TAKEN.format(ndc=code)})
    if not 0 < strength_mg_per_ml <= MAX_STRENGTH_MG_PER_ML:
        raise ValidationError({"strength_mg_per_ml": STRENGTH_RANGE})
    if not 0 < container_ml <= MAX_CONTAINER_ML:
        raise ValidationError({"container_ml": CONTAINER_RANGE})
    base, salt = base_and_salt(strength_mg_per_ml, strength_basis)
    volume = container_ml.quantize(CENT)
    if volume * base != (volume * base).quantize(CENT):
        # Every container's mg is written to the ledger to 0.01 mg: a content that is
        # not exact would leave a remainder no count could ever match.
        raise ValidationError(
            {"container_ml": CONTAINER_MG_RESOLUTION.format(ml=volume, base=base)}
        )
    product = Product.objects.create(
        name=name.strip(),
        ndc=code,
        base_mg_per_ml=base,
        salt_mg_per_ml=salt,
        container_ml=volume,
    )
    audit(
        AuditAction.CREATE,
        by,
        "product",
        product.pk,
        name=product.name,
        ndc=code,
        base_mg_per_ml=base,
        salt_mg_per_ml=salt,
        container_ml=volume,
        stated_as=strength_basis,
    )
    return product


@transaction.atomic
def location_add(*, by: User, name: str, description: str = "") -> StorageLocation:
    require_role(by, STOCK_KEEPER_ROLES, "keep the list of storage locations")
    label = name.strip()
    if not label:
        raise ValidationError({"name": REQUIRED})
    if StorageLocation.objects.filter(name__iexact=label).exists():
        raise ValidationError({"name": LOCATION_TAKEN.format(name=label)})
    location = StorageLocation.objects.create(name=label, description=description.strip())
    audit(AuditAction.CREATE, by, "storage_location", location.pk, name=label)
    return location
