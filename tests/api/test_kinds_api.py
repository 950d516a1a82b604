"""The submission API and the kinds of tests/fixtures/kinds.yaml: a ranking is a JSON list
of choice names, a bounded number is refused outside its range or steps, a read-only
question's value is the questionnaire's whatever is sent, and a default answers nothing."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES

URL = "/api/v1/surveys/kinds/responses"
VALID = {"visits": 3, "satisfaction": 4, "helpful": ["beratung", "jobcenter"]}


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "kinds.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def submit(api: TestClient[Any], answers: dict[str, object], language: str = "en") -> Any:
    body = {"submission_id": "k-1", "language": language, "answers": answers}
    return api.post(URL, json=body)


def stored(db: Database) -> list[dict[str, object]]:
    with db.read() as session:
        return [
            json.loads(text)
            for text in session.exec(select(Submission.answers).order_by(col(Submission.id))).all()
        ]


def test_a_ranking_as_a_json_list_is_stored_in_its_order(
    api: TestClient[Any], db: Database
) -> None:
    response = submit(api, VALID)
    assert response.status_code == 201, response.text
    [answers] = stored(db)
    assert answers["helpful"] == ["beratung", "jobcenter"]


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"helpful": ["beratung", "beratung"]},
         {"helpful": "Please choose each option only once."}),
        ({"helpful": ["botschaft"]}, {"helpful": "Please choose only from the options."}),
        ({"satisfaction": 9}, {"satisfaction": "Please enter a number from 1 to 5."}),
        ({"wait_hours": 0.7},
         {"wait_hours": "Please enter a number from 0 to 4 in steps of 0.5."}),
    ],
)  # fmt: skip
def test_impossible_rankings_and_numbers_are_422_with_a_message_per_question(
    api: TestClient[Any], db: Database, answers: dict[str, object], errors: dict[str, str]
) -> None:
    response = submit(api, {**VALID, **answers})
    assert response.status_code == 422
    assert response.json()["errors"] == errors
    assert stored(db) == []


def test_a_read_only_value_is_the_questionnaires_and_a_default_answers_nothing(
    api: TestClient[Any], db: Database
) -> None:
    response = submit(api, {**VALID, "district": "sued", "visits_twice": 1})
    assert response.status_code == 201, response.text
    [answers] = stored(db)
    assert (answers["district"], answers["visits_twice"]) == ("nord", 6)
    assert "known" not in answers  # its default only fills the page's field


def test_a_missing_answer_with_a_default_is_still_missing(api: TestClient[Any]) -> None:
    response = submit(api, {"satisfaction": 4, "helpful": ["beratung"]})
    assert response.status_code == 422
    assert response.json()["errors"] == {"visits": "Please answer this question."}
