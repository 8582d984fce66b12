"""What the instrument, score, questionnaire and risk-flag operations accept and return.

Instruments are returned as their data files define them (instruments/data/*.toml);
responses as stored, with the score their definition's version gave them, so a client
never re-scores. What a patient wrote (a comment) is a JSON string, verbatim.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ninja import Field, Schema
from pydantic import StrictInt
from pydantic.config import JsonDict

from ketamine_clinic.api.schemas_problems import (
    NO_NUL_PATTERN,
    NOT_BLANK_PATTERN,
    DateTimeText,
    Text,
)
from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus, Trend
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.assessments.services import COMMENT_MAX_CHARS, NOTE_MAX_CHARS
from ketamine_clinic.instruments.definitions import (
    VERIFY,
    Instrument,
    ItemText,
    ScoringMethod,
    instrument_keys,
)

# Longer than any instrument (the PCL-5 has 20 items): a bound on what a body may carry,
# not a rule about answers (the scoring engine names the wrong length).
ANSWERS_MAX_ITEMS = 100
INSTRUMENT_KEY_MAX_LENGTH = 40


# ---- instruments ------------------------------------------------------------------------


class InstrumentSummaryOut(Schema):
    key: str
    short_name: str
    name: str
    version: str = Field(description="Of the definition; stored with every response.")
    licence: str
    item_text: ItemText = Field(
        description="`verbatim`: the instrument's own wording; `labels`: short neutral labels "
        "(the wording's licence is unclear)."
    )
    validated: bool = Field(description="False for the clinic's own, unpublished ratings.")
    item_count: int
    has_total: bool = Field(description="False for a triage instrument (C-SSRS screener).")
    total_min: int | None
    total_max: int | None

    @classmethod
    def fields_of(cls, instrument: Instrument) -> dict[str, object]:
        return {
            "key": instrument.key,
            "short_name": instrument.short_name,
            "name": instrument.name,
            "version": instrument.version,
            "licence": instrument.licence,
            "item_text": instrument.item_text,
            "validated": instrument.validated,
            "item_count": len(instrument.items),
            "has_total": instrument.has_total,
            "total_min": instrument.total_min,
            "total_max": instrument.total_max,
        }

    @classmethod
    def of(cls, instrument: Instrument) -> InstrumentSummaryOut:
        return cls.model_validate(cls.fields_of(instrument))


class OptionOut(Schema):
    value: int
    label: str


class ItemOut(Schema):
    id: str
    text: str
    options: list[OptionOut]
    asked_if_yes: str | None = Field(description="Asked only when this item is answered yes.")


class BandOut(Schema):
    key: str
    label: str
    min_total: int
    max_total: int = Field(description="Inclusive.")


class SubscaleOut(Schema):
    key: str
    label: str
    items: list[str]


class CutoffOut(Schema):
    key: str
    label: str
    total_at_least: int | None
    verify: str = Field(description="What is still to be checked against the source, if any.")


class RiskRuleOut(Schema):
    """An item whose answer raises a risk flag (PHQ-9 item 9)."""

    kind: str
    item: str
    at_least: int


class InstrumentOut(InstrumentSummaryOut):
    source: str
    stem: str
    notes: list[str]
    scoring_method: ScoringMethod
    loinc: dict[str, str] = Field(
        description="Codes given in the definition (`total`, `panel`); parts whose code is "
        "not yet verified are left out and named in `loinc_unverified`."
    )
    loinc_unverified: list[str]
    items: list[ItemOut]
    bands: list[BandOut]
    subscales: list[SubscaleOut]
    domains: list[SubscaleOut] = Field(description="Scored as the highest of their items.")
    cutoffs: list[CutoffOut]
    risk_rules: list[RiskRuleOut]
    triage_levels: list[str] = Field(description="Highest first; empty without triage.")

    @classmethod
    def of(cls, instrument: Instrument) -> InstrumentOut:
        return cls.model_validate(
            {
                **cls.fields_of(instrument),
                "source": instrument.source,
                "stem": instrument.stem,
                "notes": list(instrument.notes),
                "scoring_method": instrument.method,
                "loinc": {k: v for k, v in instrument.loinc.items() if v != VERIFY},
                "loinc_unverified": [k for k, v in instrument.loinc.items() if v == VERIFY],
                "items": [
                    ItemOut(
                        id=item.id,
                        text=item.text,
                        options=[OptionOut(value=o.value, label=o.label) for o in item.options],
                        asked_if_yes=item.asked_if_yes,
                    )
                    for item in instrument.items
                ],
                "bands": [
                    BandOut(key=b.key, label=b.label, min_total=b.min_total, max_total=b.max_total)
                    for b in instrument.bands
                ],
                "subscales": [
                    SubscaleOut(key=s.key, label=s.label, items=list(s.items))
                    for s in instrument.subscales
                ],
                "domains": [
                    SubscaleOut(key=d.key, label=d.label, items=list(d.items))
                    for d in instrument.domains
                ],
                "cutoffs": [
                    CutoffOut(
                        key=c.key, label=c.label, total_at_least=c.total_at_least, verify=c.verify
                    )
                    for c in instrument.cutoffs
                ],
                "risk_rules": [
                    RiskRuleOut(kind=r.kind, item=r.item, at_least=r.at_least)
                    for r in instrument.flags
                ],
                "triage_levels": [rule.level for rule in instrument.triage],
            }
        )


# ---- responses and scores ---------------------------------------------------------------


class ResponseOut(Schema):
    """One stored questionnaire response and the score it was given."""

    id: int
    instrument: str
    instrument_version: str
    taken_at: datetime
    answers: list[int | None] = Field(description="One per item in order; null = unanswered.")
    total: int | None
    severity: str | None = Field(description="The band's key; null without a total.")
    severity_label: str | None
    triage: str | None
    valid: bool
    invalid_reason: str
    missing_items: list[str]
    flags: list[str]
    channel: ResponseChannel
    entered_by: str | None = Field(description="Staff member's name; null on the kiosk.")
    comment: str = Field(description="What the patient wrote beside the form, verbatim.")
    corrects: int | None = Field(description="The earlier response this one replaces.")
    correction_reason: str

    @classmethod
    def fields_of(cls, response: QuestionnaireResponse) -> dict[str, object]:
        result = response.result if isinstance(response.result, dict) else {}
        return {
            "id": response.pk,
            "instrument": response.instrument_key,
            "instrument_version": response.instrument_version,
            # In UTC, as stored: a just-made response still holds the caller's offset.
            "taken_at": response.taken_at.astimezone(UTC),
            "answers": list(response.answers),
            "total": response.total,
            "severity": response.severity or None,
            "severity_label": result.get("severity_label"),
            "triage": response.triage or None,
            "valid": response.valid,
            "invalid_reason": str(result.get("invalid_reason") or ""),
            "missing_items": [str(item) for item in result.get("missing_items", [])],
            "flags": [str(flag) for flag in response.flags],
            "channel": response.channel,
            "entered_by": response.entered_by.display_name if response.entered_by else None,
            "comment": response.comment,
            "corrects": response.corrects_id,
            "correction_reason": response.correction_reason,
        }

    @classmethod
    def of(cls, response: QuestionnaireResponse) -> ResponseOut:
        return cls.model_validate(cls.fields_of(response))


class RaisedFlagOut(Schema):
    id: int
    kind: str
    level: str
    reason: str


class ResponseCreatedOut(ResponseOut):
    risk_flags: list[RaisedFlagOut] = Field(
        description="Flags this response raised; each blocks the next infusion until a "
        "prescriber assesses it."
    )

    @classmethod
    def created(cls, response: QuestionnaireResponse, flags: list[RiskFlag]) -> ResponseCreatedOut:
        return cls.model_validate(
            {
                **cls.fields_of(response),
                "risk_flags": [
                    RaisedFlagOut(id=f.pk, kind=f.kind, level=f.level, reason=f.reason)
                    for f in flags
                ],
            }
        )


class ScoreOut(Schema):
    """The latest response to one instrument, and how it moved since the one before."""

    instrument: str
    short_name: str
    latest: ResponseOut
    trend: Trend | None = Field(
        description="`up` is worse on every instrument; null with one response."
    )
    change: int | None = Field(description="Latest total minus the previous total.")
    previous_total: int | None
    previous_taken_at: datetime | None
    recent_totals: list[int] = Field(description="Oldest first, as the chart's trend line.")


def instrument_keys_documented() -> JsonDict:
    """The known keys as the schema's enum. Documented, not enforced by pydantic: the
    scoring engine refuses an unknown key naming the known ones."""
    return {"enum": list(instrument_keys())}


class QuestionnaireQuery(Schema):
    instrument: str = Field(
        max_length=INSTRUMENT_KEY_MAX_LENGTH,
        description="An instrument's key: `phq9`.",
        json_schema_extra=instrument_keys_documented(),
    )


class QuestionnaireIn(Schema):
    instrument: str = Field(
        max_length=INSTRUMENT_KEY_MAX_LENGTH,
        description="An instrument's key, e.g. `phq9` (GET /instruments lists them).",
        json_schema_extra=instrument_keys_documented(),
    )
    answers: list[StrictInt | None] = Field(
        max_length=ANSWERS_MAX_ITEMS,
        description="One per item in the instrument's order; null = unanswered.",
    )
    taken_at: DateTimeText | None = Field(
        default=None, description="When the patient answered, with its offset; default now."
    )
    comment: Text = Field(
        default="",
        description="What the patient wrote beside the form, kept verbatim.",
        # Documented, not enforced here: the service refuses a longer one in its words.
        json_schema_extra={"maxLength": COMMENT_MAX_CHARS, "pattern": NO_NUL_PATTERN},
    )


# ---- risk flags -------------------------------------------------------------------------


class FlagPatientOut(Schema):
    id: int
    mrn: str
    display_name: str


class RiskFlagOut(Schema):
    id: int
    patient: FlagPatientOut
    instrument: str
    response_id: int
    kind: str
    level: str
    reason: str
    raised_at: datetime
    status: RiskFlagStatus
    assessed_by: str | None
    assessed_at: datetime | None
    assessment_note: str

    @classmethod
    def of(cls, flag: RiskFlag) -> RiskFlagOut:
        return cls(
            id=flag.pk,
            patient=FlagPatientOut(
                id=flag.patient.pk, mrn=flag.patient.mrn, display_name=flag.patient.display_name
            ),
            instrument=flag.response.instrument_key,
            response_id=flag.response_id,
            kind=flag.kind,
            level=flag.level,
            reason=flag.reason,
            raised_at=flag.raised_at,
            status=RiskFlagStatus(flag.status),
            assessed_by=flag.assessed_by.display_name if flag.assessed_by else None,
            assessed_at=flag.assessed_at,
            assessment_note=flag.assessment_note,
        )


class RiskAssessmentIn(Schema):
    note: Text = Field(
        description="What was found and what was decided; kept as written.",
        # Documented, not enforced here: the service refuses a blank or longer one.
        json_schema_extra={"maxLength": NOTE_MAX_CHARS, "pattern": NOT_BLANK_PATTERN},
    )
