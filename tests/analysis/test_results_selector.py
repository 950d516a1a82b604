"""The results selector: every version of a survey read from the database, cached exactly."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from analysis.frames import frame_from_texts, parse_answers
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.errors import UnknownComparison, UnknownGroup, UnknownSurvey
from survey_app.questionnaire.rules import check_answers
from survey_app.services import results as results_service
from survey_app.services.demo import store_demo_responses
from survey_app.services.live_results import survey_results
from survey_app.services.published import get_survey
from survey_app.services.results import read_answers
from survey_app.services.submissions import canonical_json
from survey_app.services.surveys import publish_questionnaire
from tests.analysis.conftest import GROUPS, load, variant

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def published(db: Database) -> Database:
    publish_questionnaire(db, load("wave1"))
    publish_questionnaire(db, load("wave2"))
    return db


def test_demo_responses_are_stored_valid_and_counted(published: Database) -> None:
    stored = store_demo_responses(published, "wave1", 1200, seed=2, chunk=500, today=TODAY)

    questionnaire = load("wave1")
    with published.read() as session:
        rows = session.execute(select(Submission.answers, Submission.answers_hash)).all()
    assert stored == len(rows) == 1200
    for text, _hash in rows[:300]:
        answers = json.loads(text)
        assert check_answers(questionnaire, answers, today=TODAY).ok
        assert canonical_json(answers) == text
    assert survey_results(published, "wave1").responses == 1200


def test_results_read_submissions_of_every_version(published: Database) -> None:
    store_demo_responses(published, "wave1", 300, seed=1, today=TODAY)
    changed = variant(load("wave1"), version="2025-b", min_cell=3)
    publish_questionnaire(published, changed)
    store_demo_responses(published, "wave1", 200, seed=2, today=TODAY)

    results = survey_results(published, "wave1")

    assert get_survey(published, "wave1").number == 2  # type: ignore[union-attr]
    assert results.version == 2
    assert results.min_cell == 3
    assert results.responses == 500
    level = next(q for q in results.questions if q.name == "german_level")
    assert level.n == 500


def test_group_filter_and_unknown_names_are_reported(published: Database) -> None:
    store_demo_responses(published, "wave1", 100, seed=1, today=TODAY)

    results = survey_results(published, "wave1", group="wohnen", working_groups=GROUPS)

    assert [q.name for q in results.questions] == ["support"]
    with pytest.raises(UnknownGroup, match="no working group 'nope'"):
        survey_results(published, "wave1", group="nope", working_groups=GROUPS)
    with pytest.raises(UnknownSurvey, match="no survey 'nope'"):
        survey_results(published, "nope")
    with pytest.raises(UnknownComparison, match="no survey 'other'"):
        survey_results(published, "wave1", compare="other")


def test_cached_frames_stay_exact_when_responses_arrive_or_go(published: Database) -> None:
    store_demo_responses(published, "wave1", 400, seed=1, today=TODAY)
    assert len(read_answers(published, "wave1").frame) == 400

    store_demo_responses(published, "wave1", 150, seed=2, today=TODAY)
    frame = read_answers(published, "wave1").frame
    assert len(frame) == 550

    with published.write() as session:
        oldest = session.execute(select(func.min(Submission.id))).scalar_one()
        session.execute(delete(Submission).where(Submission.id == oldest))
    after_purge = read_answers(published, "wave1").frame
    with published.read() as session:
        remaining = list(session.execute(select(Submission.answers)).scalars())
    fresh = frame_from_texts(load("wave1"), [(load("wave1"), remaining)])
    assert len(after_purge) == 549
    assert after_purge["age"].sum() == fresh["age"].sum()
    assert after_purge["german_level"].value_counts().equals(fresh["german_level"].value_counts())


def test_stored_texts_with_raw_newlines_are_still_one_response_each(
    published: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretty-printed JSON (a hand-edited row): its newlines must not split it into rows.
    # The parser is handed one text per line (its fast path splits blocks at newlines).
    handed: list[tuple[int, int]] = []

    def parse(target: Any, source: Any, lines: str | bytes, rows: int) -> Any:
        handed.append((lines.count(b"\n" if isinstance(lines, bytes) else "\n"), rows))
        return parse_answers(target, source, lines, rows)

    monkeypatch.setattr(results_service, "parse_answers", parse)
    store_demo_responses(published, "wave1", 20, seed=1, today=TODAY)
    survey = get_survey(published, "wave1")
    assert survey is not None
    pretty = '{\n  "age": 77,\n  "comment": "zwei\\nZeilen"\n}'
    with published.write() as session:
        session.add(
            Submission(
                survey_id="wave1",
                version_id=survey.version_id,
                submission_id="hand-edited",
                language="de",
                answers=pretty,
                answers_hash="-",
                created_on=TODAY,
            )
        )

    frame = read_answers(published, "wave1").frame

    assert len(frame) == 21
    assert handed == [(20, 21)]
    edited = frame[frame["comment"] == "zwei\nZeilen"]
    assert list(edited["age"]) == [77]  # the whole text in one row, with its other answers


def test_answers_read_in_many_id_ranges_equal_those_read_in_one(
    published: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_demo_responses(published, "wave1", 230, seed=5, today=TODAY)
    whole = read_answers(published, "wave1").frame
    results_service._cache.clear()
    monkeypatch.setattr(results_service, "ID_RANGE", 17)

    ranged = read_answers(published, "wave1").frame

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    assert len(ranged) == 230
    pd.testing.assert_frame_equal(ordered(ranged), ordered(whole))
