"""POST /api/v1/surveys/{id}/responses: every status code of the submission API."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, func, text
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db import engine as engine_module
from survey_app.db.engine import Database
from survey_app.db.tables import Submission, SurveyVersion
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.invitations import invitations_create
from survey_app.services.published import get_survey
from survey_app.services.surveys import publish_questionnaire, set_survey_open
from survey_app.settings import Settings
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

URL = "/api/v1/surveys/feedback/responses"
VALID = {"submission_id": "s-1", "language": "de", "answers": {"satisfied": "yes"}}


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient[Any]]:
    """The real app with the small storage-test surveys published."""
    app = create_app(dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES))
    with TestClient(app=app) as client:
        yield client


def count_rows(db: Database) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(Submission)).one()


def test_a_valid_submission_is_stored_and_answered_with_201(
    api: TestClient[Any], db: Database
) -> None:
    response = api.post(URL, json=VALID)
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "submission_id": "s-1", "survey": "feedback", "version": 1}
    assert count_rows(db) == 1


def test_a_replay_is_answered_with_200_and_the_same_body(
    api: TestClient[Any], db: Database
) -> None:
    first = api.post(URL, json=VALID)
    again = api.post(URL, json=VALID)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert count_rows(db) == 1


def test_the_same_submission_id_with_other_answers_is_409(
    api: TestClient[Any], db: Database
) -> None:
    api.post(URL, json=VALID)
    response = api.post(URL, json={**VALID, "answers": {"satisfied": "no"}})
    assert response.status_code == 409
    assert "different answers" in response.json()["detail"]
    assert count_rows(db) == 1


def test_invalid_answers_are_422_naming_every_question_and_field(
    api: TestClient[Any], db: Database
) -> None:
    response = api.post(
        URL,
        json={
            "submission_id": "",
            "language": "de",
            "answers": {"age": "zwölf", "help": ["fly"], "shoe_size": 44},
        },
    )
    assert response.status_code == 422
    # In the submission's language (German), from the UI catalogue.
    assert response.json() == {
        "errors": {
            "submission_id": "Eine Übermittlungskennung mit 1 bis 100 Zeichen ist erforderlich.",
            "satisfied": "Bitte beantworten Sie diese Frage.",
            "age": "Bitte geben Sie eine ganze Zahl ein.",
            "help": "Bitte wählen Sie nur aus den Antworten.",
            "shoe_size": "Diese Frage gehört nicht zur Befragung.",
        }
    }
    assert count_rows(db) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submission_id": "x" * 101}, "submission_id"),
        ({"submission_id": 17}, "submission_id"),
        ({"language": "xx"}, "language"),
        ({"answers": ["satisfied", "yes"]}, "answers"),
        ({"invitation": {"token": "x"}}, "invitation"),
    ],
)
def test_each_malformed_field_is_named_in_a_422(
    api: TestClient[Any], change: dict[str, object], field: str
) -> None:
    response = api.post(URL, json={**VALID, **change})
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_a_missing_field_is_named_in_a_422(api: TestClient[Any]) -> None:
    response = api.post(URL, json={"answers": {"satisfied": "yes"}})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"submission_id", "language"}


def test_an_unknown_survey_is_404(api: TestClient[Any]) -> None:
    response = api.post("/api/v1/surveys/nope/responses", json=VALID)
    assert response.status_code == 404
    assert response.json()["detail"] == "no survey 'nope'"


def test_an_invitation_survey_without_a_valid_token_is_403(
    api: TestClient[Any], db: Database
) -> None:
    url = "/api/v1/surveys/employers/responses"
    body = {"submission_id": "e-1", "language": "de", "answers": {"staff": 3}}
    assert api.post(url, json=body).status_code == 403
    assert api.post(url, json={**body, "invitation": "guessed"}).status_code == 403
    [token] = invitations_create(db, "employers", 1)
    assert api.post(url, json={**body, "invitation": token}).status_code == 201
    assert api.post(url, json={**body, "invitation": token}).status_code == 200
    used = api.post(url, json={**body, "submission_id": "e-2", "invitation": token})
    assert used.status_code == 403
    assert count_rows(db) == 1


def test_a_closed_survey_is_403_with_a_clear_message(api: TestClient[Any], db: Database) -> None:
    set_survey_open(db, "feedback", False)
    response = api.post(URL, json=VALID)
    assert response.status_code == 403
    assert response.json()["detail"] == "This survey is closed and accepts no more answers."


def test_a_body_over_256_kb_is_413(api: TestClient[Any], db: Database) -> None:
    padding = "x" * (256 * 1024)
    response = api.post(URL, json={**VALID, "answers": {"satisfied": "yes", "reason": padding}})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/json")
    assert count_rows(db) == 0


@pytest.mark.parametrize(
    "content",
    [b"satisfied=yes", b'{"submission_id": "s-1",', b"\xff\xfe\x00", b"", b"[1, 2]", b'"text"'],
)
def test_a_body_that_is_not_a_json_object_is_a_json_400(
    api: TestClient[Any], content: bytes
) -> None:
    response = api.post(URL, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body must be a JSON object."


def test_deeply_nested_json_is_refused_without_a_500(api: TestClient[Any]) -> None:
    nested = b'{"submission_id": "s-1", "language": "de", "answers": {"reason": '
    nested += b"[" * 50_000 + b"]" * 50_000 + b"}}"
    response = api.post(URL, content=nested, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.text


def test_nested_and_huge_answer_values_are_422(api: TestClient[Any], db: Database) -> None:
    answers = {"satisfied": [[["yes"]]], "age": {"years": 30}, "help": "x" * 100_000}
    response = api.post(URL, json={**VALID, "answers": answers})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"satisfied", "age", "help"}
    assert count_rows(db) == 0


def test_a_locked_database_is_503_with_retry_after_and_no_row(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 200)
    app = create_app(dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES))
    with TestClient(app=app) as client, _locked(settings.database_url):
        response = client.post(URL, json=VALID)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Traceback" not in response.text
    assert count_rows(db) == 0


class _locked:
    """Holds an exclusive lock on the submission table from another connection."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self.sqlite.execute("BEGIN EXCLUSIVE")
            return
        self.engine = create_engine(self.url)
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(text("LOCK TABLE submission IN ACCESS EXCLUSIVE MODE"))

    def __exit__(self, *_exc: object) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
            return
        self.transaction.rollback()
        self.connection.close()
        self.engine.dispose()


def test_an_unreachable_database_is_503_with_retry_after(
    settings: Settings, tmp_path: Path
) -> None:
    nothing = tmp_path / "no-questionnaires"
    nothing.mkdir()
    unreachable = dataclasses.replace(
        settings,
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2",
        questionnaires=nothing,
    )
    with TestClient(app=create_app(unreachable)) as client:
        response = client.post(URL, json=VALID)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert json.loads(response.text)["status_code"] == 503


# -- answers collected for an earlier version ("version": N) ---------------------------


def republished(db: Database, *, new_series: bool = False, required: bool = True) -> int:
    """Publish a second version of the feedback survey that asks a new question,
    `required` or not (a breaking change only when `new_series` says so); its number."""
    first = get_survey(db, "feedback")
    assert first is not None
    definition = first.questionnaire.to_definition()
    district = {
        "name": "district",
        "type": "text",
        "required": required,
        "label": {"de": "Ort?", "en": "Where?", "ar": "أين؟"},
    }
    definition["pages"][0]["questions"].append(district)
    second = Questionnaire.model_validate(definition)
    return publish_questionnaire(db, second, new_series=new_series).number


def stored_version(db: Database, submission_id: str) -> int:
    with db.read() as session:
        return session.exec(
            select(SurveyVersion.number)
            .join(Submission, col(Submission.version_id) == col(SurveyVersion.id))
            .where(Submission.submission_id == submission_id)
        ).one()


def test_answers_for_an_earlier_compatible_version_are_stored_as_that_version(
    api: TestClient[Any], db: Database
) -> None:
    assert republished(db) == 2
    response = api.post(URL, json={**VALID, "version": 1})
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert stored_version(db, "s-1") == 1
    again = api.post(URL, json={**VALID, "version": 1})
    assert (again.status_code, again.json()) == (200, response.json())


def test_without_a_version_answers_are_checked_against_the_newest(
    api: TestClient[Any], db: Database
) -> None:
    republished(db)
    response = api.post(URL, json=VALID)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"district"}
    stored = api.post(
        URL, json={**VALID, "version": 2, "answers": {"satisfied": "yes", "district": "Nord"}}
    )
    assert (stored.status_code, stored.json()["version"]) == (201, 2)


def test_a_version_published_after_submissions_is_the_version_of_the_next_one(
    api: TestClient[Any], db: Database
) -> None:
    # The API remembers the newest version between submissions; a new one (published
    # here as by another process) must still be seen by the next submission.
    assert api.post(URL, json=VALID).json()["version"] == 1
    republished(db, required=False)
    response = api.post(URL, json={**VALID, "submission_id": "s-2"})
    assert (response.status_code, response.json()["version"]) == (201, 2)
    assert (stored_version(db, "s-1"), stored_version(db, "s-2")) == (1, 2)


def test_answers_refused_by_the_remembered_version_are_judged_by_the_newest(
    api: TestClient[Any], db: Database
) -> None:
    assert api.post(URL, json=VALID).status_code == 201
    republished(db)
    with_district = {"satisfied": "yes", "district": "Nord"}  # unknown to version 1
    response = api.post(URL, json={**VALID, "submission_id": "s-2", "answers": with_district})
    assert (response.status_code, response.json()["version"]) == (201, 2)
    refused = api.post(URL, json={**VALID, "submission_id": "s-3"})
    assert (refused.status_code, set(refused.json()["errors"])) == (422, {"district"})


def test_a_survey_closed_after_submissions_refuses_the_next_one(
    api: TestClient[Any], db: Database
) -> None:
    assert api.post(URL, json=VALID).status_code == 201
    set_survey_open(db, "feedback", False)
    assert api.post(URL, json={**VALID, "submission_id": "s-2"}).status_code == 403
    assert count_rows(db) == 1


def test_a_version_replaced_by_a_breaking_change_is_409_naming_both(
    api: TestClient[Any], db: Database
) -> None:
    republished(db, new_series=True)
    response = api.post(URL, json={**VALID, "version": 1})
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "Version 1 of this survey was replaced by version 2" in detail
    assert count_rows(db) == 0


def test_an_unknown_version_is_422_naming_it(api: TestClient[Any], db: Database) -> None:
    response = api.post(URL, json={**VALID, "language": "de", "version": 7})
    assert response.status_code == 422
    assert response.json() == {"errors": {"version": "Diese Befragung hat keine Version 7."}}
    assert count_rows(db) == 0


@pytest.mark.parametrize("version", ["1", 1.5, True, 0, -1, 2**40, [1]])
def test_a_version_that_is_not_a_whole_number_of_a_version_is_422(
    api: TestClient[Any], db: Database, version: object
) -> None:
    response = api.post(URL, json={**VALID, "language": "en", "version": version})
    assert response.status_code == 422
    assert response.json() == {"errors": {"version": "The version must be a whole number."}}
    assert count_rows(db) == 0
