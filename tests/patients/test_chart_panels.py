"""The chart's scores panel, risk banner and merged timeline, fed by the assessments app."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.patients import chart_panels, chart_sources
from ketamine_clinic.patients.chart_panels import scores_panel
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import patient_timeline
from tests.conftest import client_for
from tests.patients.factories import make_patient

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def avery(db: None) -> Patient:
    return make_patient("Avery", "Testpatient", born=date(1984, 3, 7))


def phq9(patient: Patient, nurse: User, answers: list[int], day: int) -> None:
    record_response(
        patient, "phq9", answers, actor=nurse, channel="staff", taken_at=START + timedelta(days=day)
    )


def test_the_panel_shows_the_latest_total_its_band_change_and_a_trend(
    personas: dict[str, User], avery: Patient
) -> None:
    nurse = personas["nurse"]
    phq9(avery, nurse, [3, 3, 3, 2, 2, 2, 2, 2, 0], 0)  # 19
    phq9(avery, nurse, [1, 1, 1, 1, 1, 1, 1, 1, 0], 7)  # 8

    panel = scores_panel(avery)

    [row] = panel.rows
    assert (row.instrument, row.score, row.change) == ("PHQ-9", "8", "down 11 since the previous")
    assert row.band.lower() == "mild"
    assert row.trend is not None and len(row.trend.points) == 2
    assert row.trend_label == "PHQ-9 totals, oldest to newest: 19, 8 (range 0-27)"
    assert panel.risk_flags == []


def test_an_open_suicide_risk_flag_shows_as_a_banner_on_the_chart(
    personas: dict[str, User], avery: Patient
) -> None:
    phq9(avery, personas["nurse"], [1, 1, 1, 1, 1, 1, 1, 1, 2], 0)

    html = client_for(personas["nurse"]).get(f"/patients/{avery.pk}/").content.decode()

    assert '<div class="banner banner-danger risk-banner" role="alert">' in html
    assert "blocked until a prescriber records an assessment" in html
    assert "PHQ-9 completed: total 10" in html  # the assessments app's timeline entry
    assert "No questionnaires yet." not in html


def test_the_chart_draws_the_trend_as_inline_svg_without_style(
    personas: dict[str, User], avery: Patient
) -> None:
    for day, level in enumerate([3, 2, 1]):
        phq9(avery, personas["nurse"], [level] * 8 + [0], day * 7)

    html = client_for(personas["nurse"]).get(f"/patients/{avery.pk}/").content.decode()

    assert '<svg class="sparkline" width="120" height="32"' in html
    assert '<polyline points="3.0,' in html
    assert 'stroke="#1f5fa8"' in html
    assert "style=" not in html.split('<svg class="sparkline"')[1].split("</svg>")[0]


def test_a_missing_chart_provider_is_an_error_not_an_empty_panel(
    avery: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A suicide-risk banner that silently vanished would be worse than a page that fails.
    monkeypatch.setattr(chart_panels, "ASSESSMENTS_SELECTORS", "ketamine_clinic.no_such_app")
    with pytest.raises(ImproperlyConfigured, match="no_such_app cannot be imported"):
        scores_panel(avery)
    monkeypatch.setattr(chart_sources, "TIMELINE_SOURCES", ("ketamine_clinic.patients.models",))
    with pytest.raises(ImproperlyConfigured, match=r"patients\.models\.timeline_entries"):
        patient_timeline(patient=avery)


def test_every_timeline_source_provides_entries(avery: Patient) -> None:
    for module in chart_sources.TIMELINE_SOURCES:
        assert chart_sources.provider(module, "timeline_entries")(avery) is not None
