"""Follow-up questions without JavaScript: a page whose answers make questions on it
relevant (or withdraw an answered one) comes back with them instead of moving on."""

from __future__ import annotations

import json
import re
from typing import Any

from httpx import Response
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from tests.web.respondent import NEWCOMER_PAGES, Answers, Respondent


def shown_on(page: Response) -> str:
    """The questions a rendered page shows, as its form reports them."""
    match = re.search(r'<input type="hidden" name="nav:shown" value="([^"]*)">', page.text)
    assert match, page.text[:500]
    return match.group(1)


def send(respondent: Respondent, index: int, shown_page: Response, answers: Answers) -> Response:
    """Press Next on `shown_page` (page `index`) with `answers`, as a browser without
    JavaScript does: the form carries what the page showed."""
    return respondent.post(index, answers, **{"nav:shown": shown_on(shown_page)})


def questions(page: Response) -> set[str]:
    return set(re.findall(r'<div class="question[^"]*" id="question-([^"]+)"', page.text))


def at_page(respondent: Respondent, index: int) -> Response:
    page = respondent.start()
    for number in range(index):
        page = respondent.answer_page(number, NEWCOMER_PAGES[number])
    return page


def test_follow_up_on_same_page_is_asked_without_javascript(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    language_page = at_page(respondent, 1)
    assert "course_barriers" not in questions(language_page)

    again = send(
        respondent, 1, language_page, {"german_level": "a2", "integration_course": "waiting"}
    )

    assert again.status_code == 200
    assert "Seite 2 von 7" in again.text
    assert "course_barriers" in questions(again)
    assert 'id="page-notice"' in again.text
    assert "Neue Fragen sind auf dieser Seite erschienen." in again.text
    assert re.search(r'value="waiting" checked', again.text)
    assert 'class="error-message"' not in again.text


def test_the_follow_up_answer_is_stored_with_the_response(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    language_page = at_page(respondent, 1)
    answers: Answers = {"german_level": "a2", "integration_course": "waiting"}
    again = send(respondent, 1, language_page, answers)
    work_page = send(respondent, 1, again, answers | {"course_barriers": ["childcare"]})
    assert "Seite 3 von 7" in work_page.text
    for index in range(2, 7):
        respondent.answer_page(index, NEWCOMER_PAGES[index], "submit" if index == 6 else "next")
    with db.read() as session:
        [submission] = session.exec(select(Submission)).all()
    assert json.loads(submission.answers)["course_barriers"] == ["childcare"]


def test_follow_ups_of_follow_ups_are_asked_one_after_another(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    services_page = at_page(respondent, 4)
    assert questions(services_page) >= {"services_known"}
    assert "services_used" not in questions(services_page)

    with_used = send(respondent, 4, services_page, {"services_known": ["mbe", "jobcenter"]})
    assert "services_used" in questions(with_used)
    assert not {name for name in questions(with_used) if name.startswith("quality_")}

    with_quality = send(
        respondent,
        4,
        with_used,
        {"services_known": ["mbe", "jobcenter"], "services_used": ["jobcenter"]},
    )
    # one rating per kind of office used, none for offices only known
    assert {name for name in questions(with_quality) if name.startswith("quality_")} == {
        "quality_jobcenter"
    }
    assert "Seite 5 von 7" in with_quality.text


def test_the_flat_hunting_follow_ups_are_asked(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    housing_page = at_page(respondent, 3)
    again = send(
        respondent, 3, housing_page, {"housing_situation": "own_flat", "flat_looking": "yes"}
    )
    assert {"flat_barriers", "renting_course"} <= questions(again)
    assert "Seite 4 von 7" in again.text


def test_an_answered_question_that_no_longer_applies_is_taken_away_visibly(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    first = respondent.start()
    family = {"arrival_year": "y2018_2021", "household": "children"}
    asked = send(respondent, 0, first, family)
    assert "children_u18" in questions(asked)
    with_children = send(respondent, 0, asked, family)
    assert "Seite 2 von 7" in with_children.text
    back = respondent.post(1, {}, action="back")
    assert "children_u18" in questions(back)

    alone = send(
        respondent,
        0,
        back,
        {"arrival_year": "y2018_2021", "household": "alone", "children_u18": "yes"},
    )

    assert alone.status_code == 200
    assert "Seite 1 von 7" in alone.text
    assert "children_u18" not in questions(alone)
    assert 'name="children_u18"' not in alone.text
    assert "Einige Fragen auf dieser Seite gelten nicht mehr für Sie." in alone.text


def test_a_page_sent_as_it_was_shown_moves_on(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    first = respondent.start()
    family = {"arrival_year": "y2018_2021", "household": "children"}
    shown = send(respondent, 0, first, family)
    assert "children_u18" in questions(shown)
    page = send(respondent, 0, shown, family)
    assert "Seite 2 von 7" in page.text
    assert 'id="page-notice"' not in page.text


def test_missing_answers_are_still_refused_when_follow_ups_appear(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    language_page = at_page(respondent, 1)
    again = send(respondent, 1, language_page, {"integration_course": "waiting"})
    assert again.status_code == 422
    assert "course_barriers" in questions(again)
    assert '<p class="error-message" id="q-german_level-error">' in again.text
    assert 'id="q-course_barriers-error"' not in again.text
