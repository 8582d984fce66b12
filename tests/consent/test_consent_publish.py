"""Publishing consent versions: numbering, superseding, who may, what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.consent.data import SEED_BODY, SEED_TITLE, TREATMENT_CONSENT_KEY
from ketamine_clinic.consent.models import ConsentDocument
from ketamine_clinic.consent.selectors import current_document, document_versions
from ketamine_clinic.consent.services import (
    PUBLISH_BODY_REQUIRED,
    PUBLISH_FUTURE_DATE,
    PUBLISH_KEY_INVALID,
    PUBLISH_LEAD_ONLY,
    PUBLISH_TITLE_REQUIRED,
    PUBLISH_UNCHANGED,
    PUBLISH_UNSTORABLE,
    consent_publish,
    consent_seed,
    document_fingerprint,
)
from ketamine_clinic.insert_only import RECORD_IS_IMMUTABLE

pytestmark = pytest.mark.django_db


def publish(by: User, body: str = "Version two text.", title: str = "Consent") -> ConsentDocument:
    return consent_publish(
        key=TREATMENT_CONSENT_KEY,
        title=title,
        body=body,
        effective_on=timezone.localdate(),
        by=by,
    )


def test_the_seed_publishes_the_sample_text_once() -> None:
    first = consent_seed()
    again = consent_seed()
    assert first.pk == again.pk
    assert (first.key, first.version, first.title) == (TREATMENT_CONSENT_KEY, 1, SEED_TITLE)
    assert first.body == SEED_BODY.strip()
    assert first.created_by is None
    assert ConsentDocument.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="consent_document")
    assert (entry.actor_username, entry.detail["version"]) == ("system:consent-seed", 1)


def test_the_sample_text_names_the_risks_and_the_rules_the_reference_gives() -> None:
    text = SEED_BODY.lower()
    for needed in (
        "dissociation",
        "blood pressure",
        "nausea",
        "dizziness",
        "full night's sleep",
        "escort",
        "4 hours",
        "2 hours",
        "schedule iii",
        "off-label",
    ):
        assert needed in text, needed


def test_publishing_numbers_the_next_version_and_supersedes_the_current_one(
    personas: dict[str, User],
) -> None:
    first = consent_seed()
    second = publish(personas["clinic_lead"])
    first.refresh_from_db()
    assert second.version == 2
    assert first.superseded_by == second
    assert first.superseded_at is not None
    assert not first.is_current and second.is_current
    assert current_document() == second
    assert [d.version for d in document_versions()] == [2, 1]
    assert second.body_sha256 == document_fingerprint(title="Consent", body="Version two text.")
    entry = AuditEntry.objects.filter(object_type="consent_document").order_by("-seq").first()
    assert entry is not None
    assert (entry.actor, entry.action, entry.object_id) == (
        personas["clinic_lead"],
        "create",
        str(second.pk),
    )
    assert entry.detail["supersedes"] == [1]


def test_the_first_version_of_a_new_key_is_one(personas: dict[str, User]) -> None:
    document = consent_publish(
        key="photography",
        title="Photographs",
        body="We take none.",
        effective_on=timezone.localdate(),
        by=personas["clinic_lead"],
    )
    assert document.version == 1


@pytest.mark.parametrize("role", ["nurse", "prescriber", "front_desk", "administrator", "no_role"])
def test_only_a_clinic_lead_publishes(personas: dict[str, User], role: str) -> None:
    consent_seed()
    with pytest.raises(PermissionDenied, match=PUBLISH_LEAD_ONLY):
        publish(personas[role])
    assert ConsentDocument.objects.count() == 1


def test_a_deactivated_lead_cannot_publish(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    lead.is_active = False
    with pytest.raises(PermissionDenied):
        publish(lead)


def test_the_same_text_again_is_not_a_new_version(personas: dict[str, User]) -> None:
    current = consent_seed()
    with pytest.raises(ValidationError) as info:
        publish(personas["clinic_lead"], body=SEED_BODY, title=SEED_TITLE)
    assert info.value.message_dict == {"body": [PUBLISH_UNCHANGED.format(version=1)]}
    current.refresh_from_db()
    assert current.is_current


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", PUBLISH_TITLE_REQUIRED),
        ({"body": "\n \n"}, "body", PUBLISH_BODY_REQUIRED),
        ({"body": "a\x00b"}, "body", PUBLISH_UNSTORABLE),
        ({"key": "Not A Key"}, "key", PUBLISH_KEY_INVALID),
        (
            {"effective_on": timezone.localdate() + timedelta(days=2)},
            "effective_on",
            PUBLISH_FUTURE_DATE,
        ),
    ],
)
def test_a_bad_version_is_refused_naming_the_field(
    personas: dict[str, User], changes: dict[str, object], field: str, message: str
) -> None:
    values: dict[str, object] = {
        "key": TREATMENT_CONSENT_KEY,
        "title": "Consent",
        "body": "Text.",
        "effective_on": timezone.localdate(),
        **changes,
    }
    with pytest.raises(ValidationError) as info:
        consent_publish(**values, by=personas["clinic_lead"])  # type: ignore[arg-type]
    assert info.value.message_dict[field] == [message]
    assert not ConsentDocument.objects.exists()


def test_a_published_version_is_never_edited() -> None:
    document = consent_seed()
    document.body = "Something else"
    with pytest.raises(TypeError, match=RECORD_IS_IMMUTABLE.format(model="ConsentDocument")):
        document.save()
