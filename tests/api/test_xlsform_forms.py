"""Forms written for KoboToolbox/ODK, imported unchanged, answered through the API."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.xlsform import import_xlsform, questionnaire_yaml
from survey_app.settings import Settings
from tests.conftest import QUESTIONNAIRES
from tests.fixtures.xlsform.build import write_xlsform

URL = "/api/v1/surveys/numbered/responses"


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app with one imported form whose choices are numbered, as ODK forms often are."""
    form = write_xlsform(
        tmp_path / "numbered.xlsx",
        survey=[
            ["type", "name", "label::English (en)", "required"],
            ["select_one level", "level", "Level?", ""],
            ["select_multiple help", "help", "Help?", ""],
            ["text", "why", "Why?", "${level} = '2'"],
        ],
        choices=[
            ["list_name", "name", "label::English (en)"],
            ["level", "1", "Low"],
            ["level", "2", "High"],
            ["help", "01", "Work"],
            ["help", "n/a", "None"],
        ],
        settings=[["form_id", "form_title", "privacy_notice::English (en)"],
                  ["numbered", "Numbered", "Anonymous."]],
    )  # fmt: skip
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    result = import_xlsform(form, working_groups=set())
    assert result.questionnaire is not None, result.problems
    (directory / "numbered.yaml").write_text(questionnaire_yaml(result.questionnaire), "utf-8")
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def test_the_form_s_own_choice_codes_are_accepted_and_stored_unchanged(
    api: TestClient[Any], db: Database
) -> None:
    answers = {"level": "1", "help": ["01", "n/a"]}
    response = api.post(URL, json={"submission_id": "k-1", "language": "en", "answers": answers})
    assert response.status_code == 201, response.text
    with db.read() as session:
        stored = session.exec(select(Submission)).one()
    assert json.loads(stored.answers) == answers


@pytest.mark.parametrize("level", ["_1", 1, "01"])
def test_a_code_the_form_does_not_have_is_refused(api: TestClient[Any], level: object) -> None:
    body = {"submission_id": "k-2", "language": "en", "answers": {"level": level}}
    assert api.post(URL, json=body).status_code == 422


def test_a_question_required_by_an_expression_is_refused_only_while_it_holds(
    api: TestClient[Any],
) -> None:
    def send(submission: str, answers: dict[str, object]) -> int:
        body = {"submission_id": submission, "language": "en", "answers": answers}
        return api.post(URL, json=body).status_code

    assert send("k-3", {"level": "2"}) == 422
    assert send("k-4", {"level": "2", "why": "Because"}) == 201
    assert send("k-5", {"level": "1"}) == 201
