"""Hostile input: control characters anywhere are refused with 400 or 422, the same on
SQLite and PostgreSQL, and no answer ever reaches the log."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from survey_app.db.engine import Database
from survey_app.services import submissions
from tests.conftest import csrf_token
from tests.web.respondent import Respondent

SUBMIT = "/api/v1/surveys/newcomer/responses"
ANSWERS = {
    "arrival_year": "y2018_2021",
    "german_level": "a2",
    "integration_course": "attending",
    "main_activity": "employed",
    "housing_situation": "own_flat",
}
SECRET_ANSWER = "Geheimnis-4711 meine Adresse ist Hauptstr. 5"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/surveys/newcomer%00",
        "/api/v1/surveys/new%01comer",
        "/s/newcomer%00",
        "/s/newcomer/p/start%00",
        "/s/newcomer?lang=de%00",
        "/s/company?invitation=a%00b",
        "/s/company?invit%61tion=a%1Fb",
        "/results/arbeit?survey=newcomer%00",
    ],
)
def test_control_characters_in_an_address_are_400(client: TestClient[Any], path: str) -> None:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 400
    api = client.get(path)
    assert api.status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("submission_id", "a\u0000b"),
        ("submission_id", "line\nbreak"),
        ("invitation", "tok\u0000en"),
        ("language", "de\u0000"),
    ],
)
def test_control_characters_in_submission_fields_are_422(
    client: TestClient[Any], field: str, value: str
) -> None:
    payload = {"submission_id": "s-1", "language": "de", "answers": ANSWERS, field: value}
    response = client.post(SUBMIT, json=payload)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


@pytest.mark.parametrize("value", ["a\u0000b", "bell\u0007", "del\u007f"])
def test_control_characters_in_a_text_answer_are_422(client: TestClient[Any], value: str) -> None:
    answers = {**ANSWERS, "comment": value}
    payload = {"submission_id": "s-1", "language": "de", "answers": answers}
    response = client.post(SUBMIT, json=payload)
    assert response.status_code == 422, response.text
    assert "comment" in response.json()["errors"]


def test_a_lone_surrogate_is_not_json(client: TestClient[Any]) -> None:
    answers = {**ANSWERS, "comment": "lone \ud800 half"}
    payload = {"submission_id": "s-1", "language": "de", "answers": answers}
    # Escaped as JSON allows (`\\ud800`): it cannot travel as UTF-8.
    response = client.post(
        SUBMIT, content=json.dumps(payload), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_tabs_and_line_breaks_in_a_text_answer_are_kept(client: TestClient[Any]) -> None:
    answers = {**ANSWERS, "comment": "erste Zeile\nzweite\tSpalte"}
    payload = {"submission_id": "s-1", "language": "de", "answers": answers}
    assert client.post(SUBMIT, json=payload).status_code == 201


def test_a_nul_in_a_page_answer_is_refused_on_the_page(client: TestClient[Any]) -> None:
    respondent = Respondent(client, "newcomer")
    respondent.start()
    response = respondent.post(0, {"arrival_year": "y2018\u0000"})
    assert response.status_code in (200, 422)
    assert "y2018\u0000" not in response.text


def test_a_nul_in_a_login_is_a_failed_login(client: TestClient[Any]) -> None:
    response = client.post(
        "/login",
        data={
            "email": "admin\u0000@landkreis.example",
            "password": "x",
            "_csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 401


def test_database_errors_never_carry_the_statement_parameters(db: Database) -> None:
    with pytest.raises(DBAPIError) as raised, db.read() as session:
        session.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": SECRET_ANSWER})
    assert SECRET_ANSWER not in str(raised.value)


def test_no_answer_reaches_the_log_when_storing_fails(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure inside the insert (here a version that does not exist, refused by the
    foreign key) is logged with a request id, never with the statement's parameters."""
    checked = submissions._checked_submission

    def for_a_missing_version(*args: Any) -> tuple[submissions.NewSubmission, str | None]:
        new, token = checked(*args)
        return dataclasses.replace(new, version_id=10**6), token

    monkeypatch.setattr(submissions, "_checked_submission", for_a_missing_version)
    answers = {**ANSWERS, "comment": SECRET_ANSWER}
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            SUBMIT, json={"submission_id": "s-1", "language": "de", "answers": answers}
        )
    assert response.status_code == 500
    assert "request id" in caplog.text
    assert "Geheimnis-4711" not in caplog.text
    assert all("Geheimnis-4711" not in str(record.exc_info) for record in caplog.records)
