"""Row-level export frames: every submission once, in submission order, in chunks."""

from __future__ import annotations

import datetime
import uuid

import pandas as pd

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.services.published import get_survey
from survey_app.services.results import export_frames
from survey_app.services.submissions import canonical_json
from survey_app.services.surveys import publish_questionnaire
from tests.analysis.conftest import load, variant


def test_rows_of_several_versions_stay_in_submission_order_across_chunks(db: Database) -> None:
    publish_questionnaire(db, load("wave1"))
    first = get_survey(db, "wave1")
    publish_questionnaire(db, variant(load("wave1"), version="2025-b", min_cell=3))
    second = get_survey(db, "wave1")
    assert first is not None
    assert second is not None
    # Late answers to the first version arrive between answers to the second.
    versions = [first, second, second, first, second, first, first, second, first]
    with db.write() as session:
        for age, survey in enumerate(versions, start=20):
            answers = canonical_json({"age": age, "comment": f"=row {age}\nnext line"})
            session.add(
                Submission(
                    survey_id="wave1",
                    version_id=survey.version_id,
                    submission_id=str(uuid.uuid4()),
                    language="en" if age % 2 else "de",
                    answers=answers,
                    answers_hash="-",
                    created_on=datetime.date(2026, 1, age - 10),
                )
            )

    _questionnaire, frames = export_frames(db, "wave1", chunk=4)
    chunks = list(frames)
    frame = pd.concat(chunks, ignore_index=True)

    assert [len(chunk) for chunk in chunks] == [4, 4, 1]
    assert list(frame["age"]) == list(range(20, 29))
    assert list(frame["version"]) == [s.number for s in versions]
    assert list(frame["language"]) == ["de" if age % 2 == 0 else "en" for age in range(20, 29)]
    assert list(frame["submitted_on"]) == [f"2026-01-{day:02d}" for day in range(10, 19)]
    assert list(frame["comment"]) == [f"=row {age}\nnext line" for age in range(20, 29)]
