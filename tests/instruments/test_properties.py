"""Invariants over every answer vector (hypothesis)."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given

from ketamine_clinic.instruments.definitions import get_instrument
from ketamine_clinic.instruments.scoring import score

SUM_AND_DOMAIN_KEYS = ["phq9", "gad7", "pcl5", "qids_sr16", "dissociation"]


@st.composite
def complete_answers(draw: st.DrawFn, key: str) -> list[int | None]:
    instrument = get_instrument(key)
    return [draw(st.sampled_from(sorted(item.values))) for item in instrument.items]


@st.composite
def keyed_answers(draw: st.DrawFn) -> tuple[str, list[int | None]]:
    key = draw(st.sampled_from(SUM_AND_DOMAIN_KEYS))
    return key, draw(complete_answers(key))


@given(keyed_answers())
def test_a_complete_form_has_a_total_within_range_and_a_band_when_bands_exist(
    case: tuple[str, list[int | None]],
) -> None:
    key, answers = case
    result = score(key, answers)
    instrument = get_instrument(key)
    assert result.valid
    assert result.total is not None
    assert instrument.total_min is not None and instrument.total_max is not None
    assert instrument.total_min <= result.total <= instrument.total_max
    assert (result.severity is not None) == bool(instrument.bands)


@given(complete_answers("phq9"), complete_answers("phq9"))
def test_the_phq9_band_never_falls_as_the_total_rises(
    a: list[int | None], b: list[int | None]
) -> None:
    keys = [band.key for band in get_instrument("phq9").bands]
    low, high = sorted((score("phq9", a), score("phq9", b)), key=lambda s: s.total or 0)
    assert keys.index(low.severity or "") <= keys.index(high.severity or "")


@given(complete_answers("qids_sr16"), st.integers(min_value=0, max_value=15))
def test_raising_one_qids_item_never_lowers_the_total(
    answers: list[int | None], index: int
) -> None:
    before = score("qids_sr16", answers).total or 0
    raised = list(answers)
    raised[index] = 3
    assert (score("qids_sr16", raised).total or 0) >= before


@given(complete_answers("pcl5"))
def test_the_pcl5_clusters_add_up_to_the_total(answers: list[int | None]) -> None:
    result = score("pcl5", answers)
    assert sum(s.value or 0 for s in result.subscales) == result.total


@given(complete_answers("phq9"), st.integers(min_value=0, max_value=8))
def test_blanking_any_phq9_item_removes_the_total_but_never_the_item_9_flag(
    answers: list[int | None], index: int
) -> None:
    flagged_before = "suicide_risk" in score("phq9", answers).flag_keys
    blanked = list(answers)
    blanked[index] = None
    result = score("phq9", blanked)
    assert result.total is None
    if index != 8:
        assert ("suicide_risk" in result.flag_keys) == flagged_before
    else:
        assert result.flag_keys == ("suicide_item_unanswered",)


@st.composite
def cssrs_answers(draw: st.DrawFn) -> list[int | None]:
    """Complete C-SSRS vectors that follow the skip logic (skipped = None)."""
    yes_no = st.sampled_from([0, 1])
    q1, q2, q6 = draw(yes_no), draw(yes_no), draw(yes_no)
    q3_5 = [draw(yes_no) for _ in range(3)] if q2 else [None, None, None]
    q6b = draw(yes_no) if q6 else None
    return [q1, q2, *q3_5, q6, q6b]


TRIAGE_ORDER = ["none", "low", "moderate", "high"]


@given(cssrs_answers(), st.integers(min_value=0, max_value=6))
def test_another_yes_never_lowers_the_cssrs_triage(answers: list[int | None], index: int) -> None:
    before = score("cssrs_screener", answers).triage
    raised = list(answers)
    if raised[index] is None:
        return  # skipped by the skip logic: a yes there is refused, not scored
    raised[index] = 1
    if index == 5 and raised[6] is None:
        raised[6] = 0  # a yes to 6 opens 6b, which must then be answered
    if index == 1 and raised[2] is None:
        raised[2:5] = [0, 0, 0]
    after = score("cssrs_screener", raised).triage
    assert before is not None and after is not None
    assert TRIAGE_ORDER.index(after) >= TRIAGE_ORDER.index(before)


@given(keyed_answers(), st.data())
def test_a_partial_form_never_has_a_total_and_always_says_why(
    case: tuple[str, list[int | None]], data: st.DataObject
) -> None:
    key, answers = case
    if len(answers) < 2:
        return
    blanks = data.draw(
        st.sets(
            st.integers(min_value=0, max_value=len(answers) - 1),
            min_size=1,
            max_size=len(answers) - 1,
        )
    )
    partial = [None if i in blanks else v for i, v in enumerate(answers)]
    result = score(key, partial)
    if result.valid:
        # Only the QIDS either/or pairs may be left blank and still score.
        assert key == "qids_sr16"
        assert all(5 <= index <= 8 for index in blanks)  # items 6-9
    else:
        assert result.total is None and result.severity is None
        assert result.invalid_reason.startswith("no total: ")
        assert result.missing_items
