"""The submission API's verdicts on repeats: entries as a JSON list of objects, errors by
entry (`members[2].age`), the cleaned entries stored in the response's one JSON
(tests/fixtures/roster.yaml, published through the service)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.loader import read_yaml
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.surveys import publish_questionnaire
from survey_app.settings import Settings
from tests.conftest import FIXTURES
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

URL = "/api/v1/surveys/roster/responses"


@pytest.fixture
def api(settings: Settings, db: Database) -> Iterator[TestClient[Any]]:
    app = create_app(dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES))
    with TestClient(app=app) as client:
        roster = Questionnaire.model_validate(read_yaml(FIXTURES / "roster.yaml").data)
        publish_questionnaire(db, roster)
        yield client


def submit(api: TestClient[Any], answers: dict[str, object]) -> Any:
    return api.post(URL, json={"submission_id": "r-1", "language": "en", "answers": answers})


def test_a_household_is_stored_as_one_response_with_its_entries(
    api: TestClient[Any], db: Database
) -> None:
    members = [
        {"member_name": "Amal", "age": 41, "relation": "head", "works": "no"},
        {"member_name": "Lina", "age": 4, "relation": "child", "works": "yes"},
    ]
    response = submit(api, {"household_size": 2, "members": members})
    assert response.status_code == 201, response.json()
    with db.read() as session:
        [stored] = session.exec(select(Submission)).all()
    answers = json.loads(stored.answers)
    assert [entry["member_name"] for entry in answers["members"]] == ["Amal", "Lina"]
    assert "works" not in answers["members"][1]  # irrelevant at 4: dropped
    assert answers["member_count"] == 2
    assert answers["names"] == "Amal, Lina"


def test_errors_in_entries_are_422_keyed_by_entry_and_question(api: TestClient[Any]) -> None:
    members = [
        {"member_name": "Amal", "age": 41, "relation": "child", "works": "no"},
        {"member_name": "Omar", "age": "old", "relation": "partner", "hobby": "chess"},
    ]
    response = submit(api, {"household_size": 2, "members": members})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "members[1].relation": "The first person is the head of household, and only the first.",
            "members[2].age": "Please enter a whole number.",
            "members[2].hobby": "This question is not part of the survey.",
        }
    }


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"member_name": "Amal"}, "This list of entries cannot be read."),
        ([], "Please check the number of entries."),
    ],
)
def test_a_repeat_of_the_wrong_shape_or_number_is_422(
    api: TestClient[Any], members: object, message: str
) -> None:
    response = submit(api, {"household_size": 1, "members": members})
    assert response.status_code == 422
    assert response.json() == {"errors": {"members": message}}
