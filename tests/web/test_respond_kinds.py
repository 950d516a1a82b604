"""Defaults, read-only questions, bounded numbers and rankings on the survey pages, as a
browser without JavaScript sends them (tests/fixtures/kinds.yaml)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_decimal
from httpx import Response
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.i18n import ANSWER_ERROR_MESSAGES, catalogue_languages, translations
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.web.respondent import Respondent

FIRST_PAGE = {"visits": "3", "satisfaction": "4", "wait_hours": "1,5"}


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app serving the kinds survey."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "kinds.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def started(client: TestClient[Any], language: str = "de") -> tuple[Respondent, Response]:
    respondent = Respondent(client, survey="kinds")
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


def test_a_default_fills_the_field_of_an_unanswered_question(client: TestClient[Any]) -> None:
    _, page = started(client)
    assert re.search(r'<input type="text" inputmode="numeric" [^>]*name="visits"[^>]*value="2">',
                     page.text)  # fmt: skip


def test_a_default_emptied_by_the_respondent_stays_empty(client: TestClient[Any]) -> None:
    respondent, _ = started(client)
    page = respondent.post(
        0,
        {**FIRST_PAGE, "visits": ""},
        "next",
        **{"nav:shown": "district visits satisfaction wait_hours visits_twice"},
    )
    assert page.status_code == 422
    assert re.search(r'name="visits"[^>]*value="">', page.text)


def test_a_read_only_question_shows_its_value_with_the_choice_label_and_asks_nothing(
    client: TestClient[Any],
) -> None:
    _, page = started(client)
    block = re.search(r'<div class="question" id="question-district">(.*?)</div>\s*</div>',
                      page.text, re.S)  # fmt: skip
    assert block, page.text
    assert "Ihr Stadtteil" in block.group(1)
    assert "Nord" in block.group(1)
    assert 'name="district"' not in page.text
    assert 'name="visits_twice"' not in page.text


def test_a_bounded_number_is_a_number_field_with_its_bounds(client: TestClient[Any]) -> None:
    _, page = started(client)
    field = re.search(r'<input type="number"[^>]*name="satisfaction"[^>]*>', page.text)
    assert field, page.text
    assert 'min="1" max="5" step="1" data-range' in field.group(0)
    hours = re.search(r'<input type="number"[^>]*name="wait_hours"[^>]*>', page.text)
    assert hours
    assert 'min="0" max="4" step="0.5"' in hours.group(0)


@pytest.mark.parametrize("language", sorted(catalogue_languages()))
def test_numbers_outside_the_range_or_between_steps_are_refused_in_the_page_language(
    client: TestClient[Any], language: str
) -> None:
    respondent, _ = started(client, language)
    page = respondent.post(
        0, {"visits": "3", "satisfaction": "7", "wait_hours": "0.7"}, language=language
    )
    assert page.status_code == 422
    catalogue = translations(language)
    assert error_of(page, "satisfaction") == catalogue.gettext(ANSWER_ERROR_MESSAGES["range"]) % {
        "start": "1", "end": "5"
    }  # fmt: skip
    # Half a step as people of the language write it: "0,5" in German, "0.5" in English.
    half = format_decimal(0.5, locale=language)
    assert error_of(page, "wait_hours") == catalogue.gettext(ANSWER_ERROR_MESSAGES["step"]) % {
        "start": "0", "end": "4", "step": half
    }  # fmt: skip
    if language != "en":
        assert catalogue.gettext(ANSWER_ERROR_MESSAGES["range"]) != ANSWER_ERROR_MESSAGES["range"]


def test_a_ranking_is_one_select_per_position(client: TestClient[Any]) -> None:
    respondent, _ = started(client)
    page = respondent.answer_page(0, FIRST_PAGE)
    selects = re.findall(r'<select id="q-helpful-(\d)" name="helpful"', page.text)
    assert selects == ["1", "2", "3"]
    assert '<label for="q-helpful-1">Platz 1</label>' in page.text


def test_a_ranking_naming_a_choice_twice_is_refused_and_shown_again(
    client: TestClient[Any],
) -> None:
    respondent, _ = started(client)
    respondent.answer_page(0, FIRST_PAGE)
    page = respondent.post(1, {"helpful": ["beratung", "beratung", ""]}, "submit")
    assert page.status_code == 422
    assert error_of(page, "helpful") == "Bitte wählen Sie jede Antwort nur einmal."
    chosen = re.findall(r'<option value="(\w+)" selected>', page.text)
    assert chosen[:2] == ["beratung", "beratung"]


def test_a_ranking_and_the_other_kinds_are_stored_as_answered(
    client: TestClient[Any], db: Database
) -> None:
    respondent, _ = started(client)
    respondent.answer_page(0, FIRST_PAGE)
    thanks = respondent.answer_page(
        1, {"helpful": ["beratung", "", "jobcenter"], "known": ["jobcenter"]}, "submit"
    )
    assert thanks.status_code == 200, thanks.text
    stored = stored_answers(db)
    assert stored["helpful"] == ["beratung", "jobcenter"]
    assert (stored["district"], stored["visits_twice"]) == ("nord", 6)
    assert (stored["satisfaction"], stored["wait_hours"]) == (4, 1.5)


def test_a_value_made_of_answers_is_shown_but_never_remembered_by_the_page_texts_cache(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Questionnaire texts are remembered per process once made ready for the page
    (`render.text.isolated_text`); a read-only value computed from answers is not, so
    that no answer stays in the process after its request."""
    import survey_app.render.respond as respond

    remembered: list[str] = []
    isolated_text = respond.isolated_text

    def recorded(text: str, direction: str) -> Any:
        remembered.append(text)
        return isolated_text(text, direction)

    monkeypatch.setattr(respond, "isolated_text", recorded)
    respondent, _ = started(client)
    page = respondent.post(0, {**FIRST_PAGE, "visits": "21", "satisfaction": "7"})

    assert page.status_code == 422
    value = re.search(r'id="question-visits_twice">.*?<p class="read-only-value">(.*?)</p>',
                      page.text, re.S)  # fmt: skip
    assert value
    assert value.group(1) == "42"
    assert "Beratungen mal zwei" in remembered  # the label is a questionnaire text
    assert not any("42" in text for text in remembered)
