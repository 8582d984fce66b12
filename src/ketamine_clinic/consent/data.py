"""The consent text the system seeds: SYNTHETIC, for the demo and for a first install.

Written from the clinical reference the project works from (effects, blood pressure,
recovery, fasting, escort, Schedule III), it is not legal advice and has not been
reviewed by anyone who signs for a clinic. A clinic publishes its own text (its
counsel's wording) as version 2 before treating anyone; the title says so until then.
"""

from __future__ import annotations

from typing import Final

TREATMENT_CONSENT_KEY: Final = "ketamine-treatment"

SEED_TITLE: Final = "Consent to intravenous ketamine treatment (sample text)"

# One line per paragraph and per list item, so the text edits cleanly in the publish form.
SEED_BODY: Final = """\
Sample text for demonstration. Your clinic replaces it with its own wording before treating anyone.

## What the treatment is
Ketamine is an anaesthetic medicine. At the low doses used here it is given through a small cannula in a vein of your arm, wrist or hand by a digital syringe pump, over about 50 to 55 minutes. A course is usually six infusions over two to three weeks.

Using ketamine to treat depression, anxiety, PTSD and other mood disorders is off-label: the US Food and Drug Administration has approved ketamine as an anaesthetic, not for these conditions. Studies show that many people improve, but not everyone does, and the benefit may not last. Your prescriber has explained other treatments that are available.

Ketamine is a Schedule III controlled substance. The clinic keeps a record of every milligram it receives, gives and discards, as the law requires.

## What you may feel and the risks
- Dissociation: feeling detached from your body or surroundings, changes in how things look or sound, or a dream-like state. This usually begins within minutes and fades soon after the infusion stops.
- A rise in blood pressure and heart rate, greatest about 40 minutes into the infusion. Your blood pressure, pulse, oxygen level and heart rhythm are monitored throughout, and the nurse can lower or stop the dose at any time.
- Nausea, dizziness, blurred vision, headache and tiredness, which usually pass within a few hours. Medicine for nausea can be given.
- Feeling unsteady on your feet after the infusion. Staff will help you when you stand.
- Rarely: anxiety or a distressing experience during the infusion, breathing problems, or an allergic reaction. Staff trained in emergency care are present at all times.
- Misuse of ketamine can cause bladder problems and dependence. Tell your prescriber about any past or current substance use.

## Before each infusion
- Do not eat for 4 hours before your appointment. You may drink water until 2 hours before.
- Tell us about any new medicines, illnesses, or a possible pregnancy.
- Bring an adult escort who will take you home. You will not be treated without one.

## After each infusion
- You will rest in the clinic for at least 20 to 30 minutes and leave only when staff have checked that you are ready.
- Do not drive, ride a bicycle, operate machinery, go to work, sign contracts or make important decisions until after a full night's sleep.
- Drink water, eat something light and rest for the rest of the day.

## Your choices
Taking part is your choice. You may ask questions at any time, and you may stop the treatment or withdraw this consent at any time without affecting your other care.

By signing below I confirm that I have read this document, that my questions have been answered, and that I agree to receive intravenous ketamine treatment at this clinic.
"""
