"""Times, date-times and an "other" answer on the survey pages, as a browser without
JavaScript sends them: native inputs in every language, a per-question message for what
is not a time, and the follow-up question of "other"."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.i18n import ANSWER_ERROR_MESSAGES, translations
from survey_app.questionnaire.schema import RTL_LANGUAGES
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.web.respondent import Respondent

LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ti")


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app serving the moments survey (tests/fixtures/moments.yaml)."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "moments.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def started(client: TestClient[Any], language: str = "de") -> tuple[Respondent, Response]:
    client.cookies.clear()
    respondent = Respondent(client, survey="moments")
    page = respondent.start(language)
    assert page.status_code == 200
    return respondent, page


def error_of(page: Response, question: str) -> str:
    match = re.search(rf'<p class="error-message" id="q-{question}-error">(.*?)</p>', page.text)
    assert match, f"no error shown for {question}"
    shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", match.group(1))
    return re.sub(r"<[^>]+>", "", shown)


def stored_answers(db: Database) -> dict[str, object]:
    with db.read() as session:
        [answers] = session.exec(select(Submission.answers)).all()
    result: dict[str, object] = json.loads(answers)
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_times_and_date_times_are_native_inputs_in_every_language(
    client: TestClient[Any], language: str
) -> None:
    _, page = started(client, language)
    direction = "rtl" if language in RTL_LANGUAGES else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in page.text
    assert re.search(r'<input type="time" id="q-opens" name="opens" required[ >]', page.text)
    assert re.search(r'<input type="datetime-local" id="q-appointment" name="appointment"[ >]',
                     page.text)  # fmt: skip
    assert '<label class="question-label" for="q-opens">' in page.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_is_not_a_time_is_refused_on_the_page_in_its_language(
    client: TestClient[Any], language: str
) -> None:
    respondent, _ = started(client, language)
    page = respondent.post(
        0,
        {"office": "jobcenter", "opens": "halb neun", "appointment": "03.03.2026 10:00"},
        language=language,
    )
    assert page.status_code == 422
    catalogue = translations(language)
    assert error_of(page, "opens") == catalogue.gettext(ANSWER_ERROR_MESSAGES["time"])
    assert error_of(page, "appointment") == catalogue.gettext(ANSWER_ERROR_MESSAGES["datetime"])
    if language != "en":
        assert catalogue.gettext(ANSWER_ERROR_MESSAGES["time"]) != ANSWER_ERROR_MESSAGES["time"]
    assert 'aria-describedby="q-opens-error" aria-invalid="true"' in page.text


def test_times_as_the_browser_sends_them_are_stored_and_shown_again(
    client: TestClient[Any], db: Database
) -> None:
    respondent, _ = started(client)
    answers = {"office": "jobcenter", "opens": "08:30", "appointment": "2026-03-03T10:15"}
    second = respondent.answer_page(0, answers)
    assert "Seite 2 von 2" in second.text
    back = respondent.post(1, {}, "back")
    assert re.search(r'<input type="time" id="q-opens" [^>]*value="08:30">', back.text)
    assert re.search(r'<input type="datetime-local" [^>]*value="2026-03-03T10:15">', back.text)
    respondent.answer_page(0, answers)
    thanks = respondent.answer_page(1, {}, "submit")
    assert thanks.status_code == 200
    stored = stored_answers(db)
    assert (stored["opens"], stored["appointment"]) == ("08:30", "2026-03-03T10:15")


def test_other_asks_the_follow_up_question_on_its_page_without_javascript(
    client: TestClient[Any], db: Database
) -> None:
    respondent, first = started(client)
    assert 'name="office_other"' not in first.text
    shown = respondent.post(0, {"office": "other", "opens": "09:00"})
    assert 'id="page-notice"' in shown.text
    assert '<input type="text" maxlength="5000" id="q-office_other" name="office_other"' in (
        shown.text
    )
    fields = dict(re.findall(r'<input type="hidden" name="(nav:shown)" value="([^"]*)">',
                             shown.text))  # fmt: skip
    second = respondent.post(
        0, {"office": "other", "office_other": "Standesamt", "opens": "09:00"}, **fields
    )
    assert "Seite 2 von 2" in second.text
    respondent.answer_page(1, {}, "submit")
    assert stored_answers(db)["office_other"] == "Standesamt"
