"""Consent in a real browser at tablet size: read, type a name, draw a signature, sign.

Then a nurse takes the tablet back and opens the signature: the text as signed and the
drawn image, served by the server.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.selectors import needs_consent
from ketamine_clinic.consent.services import consent_seed
from ketamine_clinic.consent.signature_image import (
    SIGNATURE_MISSING,
    check_signature_png,
)
from ketamine_clinic.intake.models import KioskSession
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import PERSONA_PASSWORD, make_staff
from tests.consent.support import make_signature
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST

HOSTILE_NAME = "Robin <b>Tablet</b> O'Hara"
# A signature-like path across the box, as fractions of its width and height.
STROKES = [
    [(0.08, 0.70), (0.14, 0.30), (0.20, 0.72), (0.27, 0.35), (0.33, 0.70)],
    [(0.40, 0.55), (0.48, 0.35), (0.55, 0.68), (0.63, 0.40), (0.72, 0.62), (0.85, 0.45)],
]


def draw(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw on the signature pad with mouse moves (pointer events, as a finger would)."""
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=6)
        page.mouse.up()


def touch_stroke(page: Page) -> None:
    """A finger's stroke (pointerType "touch"), as a tablet's touch screen sends it."""
    page.locator("#signature-canvas").evaluate(
        """canvas => {
          const box = canvas.getBoundingClientRect();
          const at = (x, y, type) => canvas.dispatchEvent(new PointerEvent(type, {
            pointerId: 7, pointerType: "touch", isPrimary: true, bubbles: true,
            cancelable: true, clientX: box.left + x * box.width, clientY: box.top + y * box.height,
          }));
          at(0.1, 0.85, "pointerdown");
          for (let i = 1; i <= 10; i += 1) { at(0.1 + i * 0.08, 0.85, "pointermove"); }
          at(0.9, 0.85, "pointerup");
        }"""
    )


def test_a_patient_reads_and_signs_the_consent_on_a_tablet(visit: Visit) -> None:
    document = consent_seed()
    make_staff("adeyemi", Role.NURSE)
    patient = make_patient("Robin", "Consentpatient")
    sign_in_with_password(visit, "adeyemi")
    visit.page.set_viewport_size({"width": 768, "height": 1024})  # a tablet, portrait
    visit.goto(f"/intake/patients/{patient.pk}/tablet")
    visit.page.get_by_label("Consent to treatment").check()
    visit.page.get_by_role("button", name="Hand the tablet to the patient").click()
    visit.page.get_by_role("link", name="Consent to treatment").click()

    expect(visit.page.get_by_role("heading", level=1)).to_have_text(document.title)
    expect(
        visit.page.get_by_role("heading", name="What you may feel and the risks")
    ).to_be_visible()
    article = visit.page.locator(".consent-document")
    # The document scrolls inside its panel, so the name and the pad stay near.
    assert article.evaluate("el => el.scrollHeight > el.clientHeight")
    visit.screenshot("consent-top")
    article.evaluate("el => { el.scrollTop = el.scrollHeight; }")

    # Sign pressed with nothing drawn: the server asks for a signature, in words.
    name = visit.page.get_by_label("Your full name")
    name.fill(HOSTILE_NAME)
    expect(visit.page.get_by_text("Your answers are saved.")).to_be_visible()
    visit.page.get_by_role("button", name="Sign", exact=True).click()
    expect(visit.page.get_by_role("alert")).to_be_visible()
    expect(visit.page.locator("#q-signature .kiosk-field-error")).to_have_text(SIGNATURE_MISSING)
    expect(name).to_have_value(HOSTILE_NAME)  # the typed name is kept
    visit.screenshot("consent-refused-blank")

    visit.page.reload()  # a dropped page: the typed name comes back from the draft
    expect(visit.page.get_by_label("Your full name")).to_have_value(HOSTILE_NAME)

    draw(visit.page, STROKES[:1])
    visit.page.get_by_role("button", name="Clear").click()
    draw(visit.page, STROKES)
    expect(visit.page.locator("#signature-error")).to_be_hidden()  # drawing answers it
    touch_stroke(visit.page)
    visit.screenshot("consent-signed-portrait")
    visit.page.set_viewport_size({"width": 1024, "height": 768})  # turned: the drawing stays
    visit.screenshot("consent-signed-landscape")
    visit.page.get_by_role("button", name="Sign", exact=True).click()

    expect(visit.page.get_by_role("heading", name="Thank you")).to_be_visible()
    signature = ConsentSignature.objects.get(patient=patient)
    assert signature.typed_name == HOSTILE_NAME
    assert signature.document == document
    assert signature.channel == SignatureChannel.KIOSK
    assert signature.kiosk_session == KioskSession.objects.get(patient=patient)
    width, height = check_signature_png(bytes(signature.signature_png))
    assert width >= 600 and height >= 150

    # The nurse takes the tablet back and looks at what was signed.
    visit.page.get_by_text("Staff: release the tablet").click()
    visit.page.get_by_label("Username").fill("adeyemi")
    visit.page.get_by_label("Password").fill(PERSONA_PASSWORD)
    visit.page.get_by_role("button", name="Release").click()
    expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    visit.page.get_by_label("Username").fill("adeyemi")
    visit.page.get_by_label("Password").fill(PERSONA_PASSWORD)
    visit.page.get_by_role("button", name="Sign in").click()
    visit.goto(f"/consent/patients/{patient.pk}/")
    expect(visit.page.get_by_text("Signed the current version")).to_be_visible()
    expect(visit.page.get_by_role("cell", name=HOSTILE_NAME)).to_be_visible()
    visit.page.get_by_role("link", name="View").click()
    image = visit.page.get_by_role("img", name="The signature the patient drew")
    expect(image).to_be_visible()
    # The image may still be decoding when it becomes visible: wait for its load
    # (or its error, which reads as width 0) instead of sampling it once.
    loaded_width = image.evaluate(
        """img => img.complete ? img.naturalWidth : new Promise(resolve => {
            img.addEventListener("load", () => resolve(img.naturalWidth));
            img.addEventListener("error", () => resolve(0));
        })"""
    )
    assert loaded_width == width
    expect(visit.page.locator(".consent-typed-name")).to_have_text(HOSTILE_NAME)
    visit.screenshot("staff-signature")
    assert visit.console.errors == []


def test_the_clinic_lead_publishes_a_new_version_and_patients_must_sign_again(
    visit: Visit,
) -> None:
    first = consent_seed()
    make_staff("okoro", Role.CLINIC_LEAD)
    witness = make_staff("adeyemi", Role.NURSE)
    patient = make_patient("Kim", "Resignpatient")
    make_signature(patient=patient, witness=witness)
    assert not needs_consent(patient)

    sign_in_with_password(visit, "okoro")
    visit.goto("/consent/documents/")
    expect(visit.page.get_by_role("cell", name="Current")).to_be_visible()
    visit.page.get_by_role("link", name="Publish a new version").click()
    expect(visit.page.get_by_label("Title")).to_have_value(first.title)
    body = visit.page.get_by_label("Text")
    body.fill(first.body + "\n\n## New in version 2\n- Bring a list of your medicines.\n")
    visit.screenshot("publish-form")
    visit.page.get_by_role("button", name="Publish").click()

    expect(visit.page.get_by_text("Version 2 published.")).to_be_visible()
    expect(visit.page.get_by_role("heading", name="New in version 2")).to_be_visible()
    visit.screenshot("published-version-2")
    visit.page.get_by_role("link", name="All versions").click()
    expect(visit.page.get_by_role("link", name="Version 1")).to_be_visible()
    visit.screenshot("versions")
    assert needs_consent(patient)  # version 2 must be signed before the next infusion
    assert visit.console.errors == []
