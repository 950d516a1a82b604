"""The submission API takes times and date-times in ISO notation and an "other" answer with
its text, and refuses other notations with a 422 naming each question."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES

URL = "/api/v1/surveys/moments/responses"


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app serving the moments survey (tests/fixtures/moments.yaml)."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "moments.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def submit(api: TestClient[Any], answers: dict[str, object], language: str = "de") -> Any:
    body = {"submission_id": "m-1", "language": language, "answers": answers}
    return api.post(URL, json=body)


def stored(db: Database) -> list[dict[str, object]]:
    with db.read() as session:
        return [
            json.loads(text)
            for text in session.exec(select(Submission.answers).order_by(col(Submission.id))).all()
        ]


@pytest.mark.parametrize(
    ("opens", "appointment", "kept"),
    [
        ("08:30", "2026-03-03T10:15", ("08:30", "2026-03-03T10:15")),
        ("08:30:20", "2026-03-03T10:15:00", ("08:30:20", "2026-03-03T10:15")),
        ("08:30:00.000+01:00", "2026-03-03T10:15:00.000+01:00",
         ("08:30+01:00", "2026-03-03T10:15+01:00")),
    ],
)  # fmt: skip
def test_iso_times_and_date_times_are_accepted_and_stored_in_iso(
    api: TestClient[Any], db: Database, opens: str, appointment: str, kept: tuple[str, str]
) -> None:
    response = submit(api, {"office": "jobcenter", "opens": opens, "appointment": appointment})
    assert response.status_code == 201, response.text
    [answers] = stored(db)
    assert (answers["opens"], answers["appointment"]) == kept


def test_other_notations_are_422_with_a_message_per_question(
    api: TestClient[Any], db: Database
) -> None:
    response = submit(
        api, {"office": "jobcenter", "opens": "8.30 Uhr", "appointment": "2026-03-03"}, "en"
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "opens": "Please enter a time (hours:minutes, for example 14:30).",
            "appointment": "Please enter a date and a time (year-month-day hours:minutes).",
        }
    }
    german = submit(api, {"office": "jobcenter", "opens": 830, "appointment": "10:15"})
    assert german.status_code == 422
    assert german.json()["errors"] == {
        "opens": "Bitte geben Sie eine Uhrzeit ein (Stunden:Minuten, zum Beispiel 14:30).",
        "appointment": "Bitte geben Sie ein Datum und eine Uhrzeit ein "
        "(Jahr-Monat-Tag Stunden:Minuten).",
    }
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(Submission)).one() == 0


def test_the_text_of_other_is_kept_only_when_other_is_chosen(
    api: TestClient[Any], db: Database
) -> None:
    answers = {"office": "other", "office_other": "Standesamt", "opens": "09:00"}
    assert submit(api, answers).status_code == 201
    body = {"submission_id": "m-2", "language": "de",
            "answers": {**answers, "office": "jobcenter"}}  # fmt: skip
    assert api.post(URL, json=body).status_code == 201
    first, second = stored(db)
    assert first["office_other"] == "Standesamt"
    assert "office_other" not in second
