"""hl7apy's strict v2.6 validation of a message we emit: the independent reference.

hl7apy 1.3.5 has no ORU_R40/ORU_R42 structures in v2.6; the builders send PCD-04 and
PCD-10 as ``ORU^R40^ORU_R01`` / ``ORU^R42^ORU_R01`` (IHE defines both on ORU_R01), so
hl7apy validates every message the simulators send against its own structure, strictly.
"""

from __future__ import annotations

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message


def assert_strictly_valid(text: str, structure: str) -> None:
    """Parse ``text`` strictly with groups and check hl7apy's structure and validation."""
    message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert message.name == structure
    assert message.validate() is True
