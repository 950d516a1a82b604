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
from survey_app.services.review import response_view
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


def test_the_office_reads_a_household_entry_by_entry(api: TestClient[Any], db: Database) -> None:
    members = [
        {"member_name": "Amal", "age": 41, "relation": "head", "works": "yes",
         "jobs": [{"job_title": "Pflege", "job_hours": 20}]},
        {"member_name": "Lina", "age": 4, "relation": "child"},
    ]  # fmt: skip
    assert submit(api, {"household_size": 2, "members": members}).status_code == 201
    with db.read() as session:
        [stored] = session.exec(select(Submission)).all()
    assert stored.id is not None

    view = response_view(db, "roster", stored.id, actor="lea")

    shown = {answer.name: (answer.label, answer.answer) for answer in view.answers}
    assert shown["members"] == ("Person", "2")
    assert shown["members[1].member_name"] == ("Person 1 · Vorname", "Amal")
    assert shown["members[1].jobs"] == ("Person 1 · Tätigkeit", "1")
    assert shown["members[1].jobs[1].job_hours"] == (
        "Person 1 · Tätigkeit 1 · Stunden pro Woche",
        "20",
    )
    assert shown["members[2].relation"] == ("Person 2 · Beziehung zum Haushaltsvorstand", "Kind")
    assert "members[2].works" in shown
    assert not next(a for a in view.answers if a.name == "members[2].works").asked
