"""The chart's timeline markup (``chart_timeline.timeline_items``): what the template's
loop wrote, with every value escaped, and a link only to one of our own pages."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import timezone

from ketamine_clinic.patients.templatetags.chart_timeline import timeline_items
from ketamine_clinic.patients.timeline_types import TimelineEntry

AT = datetime(2026, 3, 2, 15, 4, tzinfo=UTC)

# The loop the filter replaced, verbatim from patients/chart.html.
TEMPLATE_LOOP = """{% for entry in entries %}
        <li class="timeline-entry timeline-{{ entry.kind }}">
          <span class="timeline-when">{{ entry.at|date:"Y-m-d H:i" }}</span>
          <span class="timeline-title">{% if entry.url and entry.url|slice:":1" == "/" %}<a href="{{ entry.url }}">{{ entry.title }}</a>{% else %}{{ entry.title }}{% endif %}</span>
          {% if entry.detail %}<span class="timeline-detail">{{ entry.detail }}</span>{% endif %}
          {% if entry.actor %}<span class="timeline-actor">{{ entry.actor }}</span>{% endif %}
        </li>
        {% endfor %}"""

ENTRIES = [
    TimelineEntry(at=AT, kind="weight", title="Weight 70 kg", detail="", actor=None),
    TimelineEntry(
        at=AT,
        kind="consent",
        title='Consent signed: <script>alert("x")</script>',
        detail='Typed name "O\'Brien & Co"',
        actor="Dana <Nurse>",
        url="/consent/signatures/4/",
    ),
    TimelineEntry(at=AT, kind="note", title="Outside link", url="https://example.org/"),
]


def test_it_writes_what_the_template_loop_wrote() -> None:
    with timezone.override("America/New_York"):
        expected = Template(TEMPLATE_LOOP).render(Context({"entries": ENTRIES}))
        written = timeline_items(ENTRIES)

    assert written == expected
    assert '<span class="timeline-when">2026-03-02 10:04</span>' in written  # local time


def test_every_value_is_escaped_and_only_our_own_pages_are_linked() -> None:
    written = timeline_items(ENTRIES)

    assert "<script>" not in written
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in written
    assert "O&#x27;Brien &amp; Co" in written and "Dana &lt;Nurse&gt;" in written
    assert '<a href="/consent/signatures/4/">' in written
    assert "https://example.org/" not in written


def test_no_entries_write_nothing() -> None:
    assert timeline_items([]) == ""
