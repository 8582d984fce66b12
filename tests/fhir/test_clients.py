"""`ketamine-clinic fhir client add | list | revoke`: tokens shown once, stored hashed,
scopes checked."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.fhir.clients import fhir_client_create, fhir_client_for_secret, scopes_allow
from ketamine_clinic.fhir.models import FhirClient
from tests.cli.conftest import run_main

pytestmark = pytest.mark.django_db


def test_add_prints_the_token_once_and_stores_only_its_hash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(
        capsys,
        "fhir",
        "client",
        "add",
        "--name",
        "Regional HIE",
        "--scope",
        "system/Patient.read",
        "--scope",
        "system/Observation.read",
    )
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("kcf_")
    client = FhirClient.objects.get()
    assert client.scopes == "system/Patient.read system/Observation.read"
    assert client.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(list(FhirClient.objects.values()))
    assert f"registered FHIR client {client.pk} 'Regional HIE'" in err
    entry = AuditEntry.objects.get(object_type="fhir_client")
    assert (entry.action, entry.channel, entry.detail["prefix"]) == (
        "create",
        "cli:fhir",
        secret[:12],
    )


def test_list_shows_each_client_and_revoke_stops_its_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    issued = fhir_client_create(name="Registry", scopes=["system/*.read"], by=None)
    assert fhir_client_for_secret(secret=issued.secret) == issued.client
    code, out, _ = run_main(capsys, "fhir", "client", "list")
    assert code == 0
    assert out.startswith(
        f"{issued.client.pk}\tRegistry\t{issued.client.prefix}…\tsystem/*.read\tactive\t"
    )
    code, out, _ = run_main(capsys, "fhir", "client", "revoke", str(issued.client.pk))
    assert (code, out) == (0, f"revoked FHIR client {issued.client.pk} 'Registry'\n")
    assert fhir_client_for_secret(secret=issued.secret) is None
    assert "\trevoked " in run_main(capsys, "fhir", "client", "list")[1]
    code, _, err = run_main(capsys, "fhir", "client", "revoke", str(issued.client.pk))
    assert (code, err) == (
        2,
        f"ketamine-clinic: error: client_id: FHIR client {issued.client.pk} is already revoked.\n",
    )
    code, _, err = run_main(capsys, "fhir", "client", "revoke", "999999")
    assert (code, err) == (2, "ketamine-clinic: error: client_id: no FHIR client has id 999999.\n")


@pytest.mark.parametrize(
    ("scope", "reason"),
    [
        ("patient/Patient.read", "is not system/<ResourceType>.read"),
        ("system/Practitioner.read", "names Practitioner, which this endpoint does not serve"),
        ("system/Patient.write", "asks for write; this endpoint is read-only"),
    ],
)
def test_a_scope_the_endpoint_cannot_honour_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], scope: str, reason: str
) -> None:
    code, out, err = run_main(capsys, "fhir", "client", "add", "--name", "X", "--scope", scope)
    assert (code, out) == (2, "")
    assert err.startswith(f"ketamine-clinic: error: --scope: {scope!r} ")
    assert reason in err
    assert not FhirClient.objects.exists()


def test_a_blank_name_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        fhir_client_create(name="  ", scopes=["system/*.read"], by=None)
    assert refused.value.message_dict == {
        "name": ["name: give the client a name, e.g. the system that will read."]
    }


def test_scopes_allow_their_type_or_every_type() -> None:
    assert scopes_allow(["system/Patient.read"], "Patient")
    assert not scopes_allow(["system/Patient.read"], "Observation")
    assert scopes_allow(["system/*.read"], "Observation")
    assert scopes_allow(["system/Observation.*"], "Observation")
