"""The corpus: real public XLSForms written by others (tests/fixtures/xlsform/shared, each
with its source and licence in README.md and LICENSES/) each import, show every page in
every language, and accept a valid set of answers through the API."""

from __future__ import annotations

import dataclasses
import datetime
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType
from survey_app.questionnaire.xlsform import import_xlsform, questionnaire_yaml
from survey_app.settings import Settings
from tests.conftest import QUESTIONNAIRES, SHARED_XLSFORMS
from tests.web.respondent import Answers, Respondent

CORPUS = sorted(path for path in SHARED_XLSFORMS.iterdir() if path.suffix in (".xls", ".xlsx"))
TODAY = datetime.date.today()


def candidates(questionnaire: Questionnaire, question: Question) -> list[object]:
    """Answers a person might give, tried in order until the questionnaire accepts one."""
    match question.type:
        case QuestionType.SELECT_ONE:
            return [choice.name for choice in questionnaire.choices_of(question)]
        case QuestionType.SELECT_MULTIPLE:
            names = [choice.name for choice in questionnaire.choices_of(question)]
            return [[name] for name in names] + [names[:2], names[:3]]
        case QuestionType.INTEGER:
            return [1, 5, 0, 9, 20, 50, 100, 1000, 2000, -1]
        case QuestionType.DECIMAL:
            return [15.0, 1.0, 100.0, 1.5, 0.5]
        case QuestionType.DATE:
            days = (0, -1, -365, -3650, 1, 30)
            return [(TODAY + datetime.timedelta(days=d)).isoformat() for d in days]
        case QuestionType.TIME:
            return ["09:30", "14:00", "23:59"]
        case QuestionType.DATETIME:
            return [f"{TODAY.isoformat()}T09:30", f"{TODAY.isoformat()}T00:00"]
        case _:
            return ["Example", "555-123-4567", "42", "a"]


def valid_answers(questionnaire: Questionnaire) -> dict[str, object]:
    """A complete, valid set of answers, found question by question in order."""
    answers: dict[str, object] = {}
    for question in questionnaire.iter_questions():
        if not question.type.takes_answer:
            continue
        if question.name not in check_answers(questionnaire, answers).relevant:
            continue
        for value in candidates(questionnaire, question):
            tried = {**answers, question.name: value}
            if question.name not in check_answers(questionnaire, tried).errors:
                answers = tried
                break
        else:
            assert not question.required, f"no valid answer found for {question.name}"
    assert check_answers(questionnaire, answers).ok
    return answers


@pytest.fixture(params=CORPUS, ids=lambda path: path.name)
def imported(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Questionnaire, TestClient[Any]]]:
    """The form imported into a questionnaire directory of its own, and the app serving it."""
    result = import_xlsform(request.param, working_groups=set())
    assert result.errors == []
    assert result.questionnaire is not None
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    yaml_text = questionnaire_yaml(result.questionnaire)
    (directory / f"{result.questionnaire.id}.yaml").write_text(yaml_text, "utf-8")
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield result.questionnaire, client


def form_values(questionnaire: Questionnaire, answers: dict[str, object]) -> list[Answers]:
    """The answers of each page as a browser sends them (numbers written whole or with '.')."""
    pages: list[Answers] = []
    for page in questionnaire.pages:
        values: Answers = {}
        for question in page.questions:
            value = answers.get(question.name)
            if isinstance(value, list):
                values[question.name] = [str(item) for item in value]
            elif isinstance(value, float) and value.is_integer():
                values[question.name] = str(int(value))
            elif value is not None:
                values[question.name] = str(value)
        pages.append(values)
    return pages


def test_every_page_shows_in_every_language_and_valid_answers_are_accepted(
    imported: tuple[Questionnaire, TestClient[Any]], db: Database
) -> None:
    questionnaire, client = imported
    answers = valid_answers(questionnaire)
    pages = form_values(questionnaire, answers)
    for language in questionnaire.languages:
        client.cookies.clear()
        respondent = Respondent(client, survey=questionnaire.id)
        assert respondent.start(language).status_code == 200
        for index, values in enumerate(pages):
            action = "submit" if index == len(pages) - 1 else "next"
            shown = respondent.answer_page(index, values, action, language)
            assert shown.status_code == 200, shown.text
            assert f'<html lang="{language}"' in shown.text
    assert stored_count(db) == len(questionnaire.languages)
    body = {"submission_id": "corpus-1", "language": questionnaire.default_language,
            "answers": answers}  # fmt: skip
    response = client.post(f"/api/v1/surveys/{questionnaire.id}/responses", json=body)
    assert response.status_code == 201, response.text
    assert stored_count(db) == len(questionnaire.languages) + 1


def stored_count(db: Database) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(Submission)).one()
