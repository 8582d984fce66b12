"""One patient's trajectories: baseline, latest, response, remission and meaningful change
by the instruments' own definitions, and the infusions of the course."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.outcomes.patient_selectors import Phase, patient_trajectories
from tests.outcomes.test_patient_support import (
    DAY0,
    PHQ9_SERIES,
    answers_for,
    give_course,
    given_visit,
    infusion_start,
    nausea,
    score,
    score_series,
)
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def test_phq9_from_20_to_8_is_a_response_and_a_meaningful_change_but_not_remission(
    personas: dict[str, User],
) -> None:
    given = give_course(personas)
    score_series(given.patient, "phq9", PHQ9_SERIES, personas["nurse"])

    [phq9] = patient_trajectories(given.patient).trajectories

    standing = phq9.standing
    assert standing.baseline is not None and standing.latest is not None
    assert (standing.baseline.total, standing.latest.total) == (20, 8)
    assert standing.change == -12
    assert standing.reduction_percent == pytest.approx(60.0)
    assert standing.response.met is True
    assert standing.remission.met is False
    assert standing.meaningful_change.met is True
    # The definitions are the instrument's data, in words.
    assert "at least 50%" in standing.response.definition
    assert "PHQ-9 < 5" in standing.remission.definition
    assert "at least 5 points" in standing.meaningful_change.definition
    assert "Löwe" in standing.meaningful_change.source
    assert [p.phase for p in phq9.points] == [Phase.BEFORE] * 2 + [Phase.COURSE] * 5 + [
        Phase.FOLLOW_UP
    ] * 2
    assert [p.band_label for p in phq9.points][:2] == ["Severe", "Severe"]


def test_phq9_from_20_to_4_is_remission(personas: dict[str, User]) -> None:
    given = give_course(personas)
    score_series(given.patient, "phq9", PHQ9_SERIES[:7], personas["nurse"])

    [phq9] = patient_trajectories(given.patient).trajectories

    assert phq9.standing.latest is not None and phq9.standing.latest.total == 4
    assert phq9.standing.response.met is True
    assert phq9.standing.remission.met is True


def test_phq9_from_20_to_11_is_neither_response_nor_remission(personas: dict[str, User]) -> None:
    given = give_course(personas)
    score_series(given.patient, "phq9", PHQ9_SERIES[:5], personas["nurse"])

    standing = patient_trajectories(given.patient).trajectories[0].standing

    assert (standing.response.met, standing.remission.met) == (False, False)
    assert standing.meaningful_change.met is True  # 9 points down


def test_a_corrected_response_is_replaced_by_its_correction(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    given = give_course(personas)
    baseline = score(given.patient, "phq9", 20, DAY0 + timedelta(days=1), nurse)
    typo = score(given.patient, "phq9", 3, DAY0 + timedelta(days=18, minutes=10), nurse)
    record_response(
        given.patient, "phq9", answers_for("phq9", 13),
        actor=nurse, channel="staff", taken_at=typo.taken_at, corrects=typo,
        correction_reason="Item 2 was entered in the wrong column.",
    )  # fmt: skip

    [phq9] = patient_trajectories(given.patient).trajectories

    assert [p.total for p in phq9.points] == [20, 13]
    assert typo.pk not in {p.response_id for p in phq9.points}
    assert phq9.standing.baseline is not None and phq9.standing.baseline.response_id == baseline.pk
    assert (phq9.standing.response.met, phq9.standing.remission.met) == (False, False)


def test_an_invalid_response_is_not_a_score(personas: dict[str, User]) -> None:
    given = give_course(personas)
    nurse = personas["nurse"]
    score(given.patient, "phq9", 18, DAY0, nurse)
    record_response(
        given.patient, "phq9", [None, 0, 0, 0, 0, 0, 0, 0, 0],
        actor=nurse, channel="staff", taken_at=DAY0 + timedelta(days=5),
    )  # fmt: skip

    [phq9] = patient_trajectories(given.patient).trajectories

    assert [p.total for p in phq9.points] == [18]
    assert phq9.standing.latest is None
    assert phq9.standing.response.met is None
    assert phq9.standing.response.note == "No score since the first infusion."


def test_the_baseline_is_the_last_score_on_or_before_the_first_infusion(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    given = give_course(personas)
    first = infusion_start(1)
    score(given.patient, "phq9", 21, first - timedelta(days=3), nurse)
    score(given.patient, "phq9", 19, first, nurse)  # at the very start: still the baseline
    score(given.patient, "phq9", 9, first + timedelta(minutes=1), nurse)

    standing = patient_trajectories(given.patient).trajectories[0].standing

    assert standing.baseline is not None and standing.baseline.total == 19
    assert standing.latest is not None and standing.latest.total == 9
    assert standing.response.met is True


def test_without_a_baseline_nothing_is_judged_and_it_says_why(personas: dict[str, User]) -> None:
    given = give_course(personas)
    score(given.patient, "phq9", 9, infusion_start(4) + timedelta(hours=2), personas["nurse"])

    standing = patient_trajectories(given.patient).trajectories[0].standing

    assert standing.baseline is None
    assert standing.response.met is None
    assert standing.response.note.startswith("No baseline")
    assert standing.remission.met is False  # remission needs only the latest total


def test_instruments_without_a_definition_say_so(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    given = give_course(personas)
    score_series(given.patient, "gad7", [(1, 15), (18, 4)], nurse)
    score_series(given.patient, "pcl5", [(1, 50), (18, 38)], nurse)
    score_series(given.patient, "dissociation", [(1, 0), (18, 6)], nurse)

    found = {t.key: t for t in patient_trajectories(given.patient).trajectories}

    assert list(found) == ["gad7", "pcl5", "dissociation"]  # depression, anxiety, trauma first
    gad7, pcl5, dissociation = found["gad7"], found["pcl5"], found["dissociation"]
    assert (gad7.standing.response.met, gad7.standing.remission.met) == (True, True)
    assert gad7.standing.meaningful_change.met is None
    assert gad7.standing.meaningful_change.note == (
        "GAD-7 has no published minimal clinically important difference."
    )
    assert pcl5.standing.response.met is False  # 50 -> 38 is 24% less
    assert pcl5.standing.remission.note == "PCL-5 has no published definition of remission."
    assert pcl5.standing.meaningful_change.met is True  # 12 >= 10 points
    assert [(c.label, c.total) for c in pcl5.cutoffs] == [("Provisional PTSD (total >= 33)", 33)]
    assert pcl5.bands == ()
    assert dissociation.standing.response.definition == ""
    assert dissociation.standing.response.note == (
        "Dissociation 0-10 has no published definition of response."
    )
    assert dissociation.validated is False


def test_the_course_and_its_six_infusions_are_marked_with_dose_and_events(
    personas: dict[str, User],
) -> None:
    given = give_course(personas)
    nausea(given.visits[2], personas["nurse"])
    nausea(given.visits[2], personas["nurse"])

    found = patient_trajectories(given.patient)

    assert found.judged is not None and found.judged.course_id == given.course.pk
    marks = found.judged.infusions
    assert [m.number_in_course for m in marks] == [1, 2, 3, 4, 5, 6]
    assert [str(m.dose_mg_per_kg_ordered) for m in marks] == [
        "0.500", "0.500", "0.600", "0.600", "0.750", "0.750",
    ]  # fmt: skip
    # 0.5 mg/kg x 72.5 kg at 1 mg/mL over 55 min: the pump ran 39.5 mL/h (its 0.1 mL/h
    # resolution) for 55 min = 36.21 mL = 36.21 mg.
    assert marks[0].delivered_mg == pytest.approx(39.5 * 55 / 60)
    assert marks[0].delivered_mg_per_kg == pytest.approx(39.5 * 55 / 60 / 72.5)
    assert marks[0].infusing_min == pytest.approx(55)
    assert [(e.label, e.count) for e in marks[2].adverse_events] == [("Nausea", 2)]
    assert marks[0].adverse_events == ()
    assert found.judged.status_label == "Completed"
    assert found.judged.ended_at == DAY0 + timedelta(days=19)


def test_the_number_of_queries_does_not_grow_with_the_visits(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    short = give_course(personas, days=(1, 4), doses=("0.5", "0.5"))
    long = give_course(personas, make_patient("Blake", "Longcourse"))
    for given in (short, long):
        score_series(given.patient, "phq9", PHQ9_SERIES, nurse)
        for visit in given.visits:
            nausea(visit, nurse)

    counts = []
    for given in (short, long):
        with CaptureQueriesContext(connection) as queries:
            patient_trajectories(given.patient)
        counts.append(len(queries))

    assert counts[0] == counts[1] <= 7


def test_a_patient_with_no_course_and_no_scores_has_nothing_to_show(db: None) -> None:
    found = patient_trajectories(make_patient("Casey", "Newcomer"))

    assert (found.courses, found.judged, found.trajectories) == ((), None, ())


def test_a_second_course_is_judged_from_its_own_baseline_and_boosters_are_marked(
    personas: dict[str, User],
) -> None:
    nurse = personas["nurse"]
    first = give_course(personas)
    booster = given_visit(personas, first.patient, None, None, 40, "0.5")
    second = give_course(
        personas, first.patient, days=(60, 63), doses=("0.5", "0.6"),
        completed_on_day=None, opened_on_day=58,
    )  # fmt: skip
    score_series(first.patient, "phq9", [(1, 20), (18, 6), (59, 16), (64, 7)], nurse)

    found = patient_trajectories(first.patient)

    assert [c.course_id for c in found.courses] == [first.course.pk, second.course.pk]
    assert found.judged is not None and found.judged.course_id == second.course.pk
    assert [m.visit_id for m in found.boosters] == [booster.pk]
    assert [m.number_in_course for m in found.infusions] == [1, 2, 3, 4, 5, 6, None, 1, 2]
    standing = found.trajectories[0].standing
    assert standing.baseline is not None and standing.baseline.total == 16
    assert standing.latest is not None and standing.latest.total == 7
    assert standing.response.met is True  # 16 -> 7 is 56% less
