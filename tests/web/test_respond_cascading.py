"""Cascading selects on the survey pages: a question with a choice filter offers only the
choices that fit the earlier answers, with htmx live and without JavaScript by showing
the page again, and an answer that does not fit is refused on the page."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.settings import Settings
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.web.respondent import Answers, Respondent

REFILTERED = "Die Antwortmöglichkeiten einiger Fragen auf dieser Seite haben sich an Ihre"
NOT_OFFERED = "Diese Antwort passt nicht zu Ihrer früheren Antwort."
WAITING = "Die Antwortmöglichkeiten erscheinen hier, sobald Sie die Fragen davor beantwortet"


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app serving the cascade survey (tests/fixtures/cascade.yaml): state on page 1,
    county (filtered by the state) and city (filtered by the county) on page 2."""
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", directory)
    shutil.copy(FIXTURES / "cascade.yaml", directory)
    app = create_app(dataclasses.replace(settings, questionnaires=directory))
    with TestClient(app=app) as client:
        yield client


def options(page: Response, question: str) -> list[str]:
    return re.findall(rf'name="{question}" value="([^"]+)"', page.text)


def form_fields(page: Response) -> dict[str, str]:
    """The hidden fields that say what the page showed, as a browser sends them back."""
    return dict(
        re.findall(
            r'<input type="hidden" name="(nav:(?:shown|offered))" value="([^"]*)">', page.text
        )
    )


def send(
    respondent: Respondent, page: Response, answers: Answers, action: str = "next"
) -> Response:
    return respondent.post(1, answers, action, **form_fields(page))


def at_place_page(client: TestClient[Any], state: str) -> tuple[Respondent, Response]:
    respondent = Respondent(client, survey="cascade")
    respondent.start()
    page = respondent.post(0, {"state": state})  # the test client follows the redirect
    assert "Seite 2 von 2" in page.text
    return respondent, page


def test_a_filter_over_an_earlier_page_is_applied_when_the_page_is_shown(
    client: TestClient[Any],
) -> None:
    _, page = at_place_page(client, "texas")
    assert options(page, "county") == ["brazos", "harris"]


def test_a_select_waiting_for_an_answer_on_its_page_offers_nothing_and_says_why(
    client: TestClient[Any],
) -> None:
    _, page = at_place_page(client, "texas")
    assert options(page, "city") == []
    assert WAITING in page.text


def test_without_javascript_the_page_comes_back_with_the_new_options_and_a_note(
    client: TestClient[Any],
) -> None:
    respondent, page = at_place_page(client, "texas")

    again = send(respondent, page, {"county": "harris"})

    assert again.status_code == 200
    assert 'id="page-notice"' in again.text
    assert REFILTERED in again.text
    assert options(again, "city") == ["houston"]
    assert re.search(r'value="harris" checked', again.text)
    assert 'class="error-message"' not in again.text
    sent = send(respondent, again, {"county": "harris", "city": "houston"}, "submit")
    assert sent.status_code == 200
    assert sent.url.path == "/s/cascade/thanks"


def test_a_choice_the_filter_excludes_is_refused_on_the_page(client: TestClient[Any]) -> None:
    respondent, page = at_place_page(client, "texas")
    refused = send(respondent, page, {"county": "king"})
    assert refused.status_code == 422
    assert NOT_OFFERED in refused.text
    assert options(refused, "county") == ["brazos", "harris"]


def test_an_answer_that_no_longer_fits_a_changed_earlier_answer_is_refused(
    client: TestClient[Any],
) -> None:
    respondent, page = at_place_page(client, "washington")
    answered = send(respondent, page, {"county": "king"})
    back = send(respondent, answered, {"county": "king", "city": "seattle"}, "back")
    assert "Seite 1 von 2" in back.text
    respondent.post(0, {"state": "texas"})

    # The form the respondent had open before still says King and Seattle.
    refused = send(respondent, page, {"county": "king", "city": "seattle"})

    assert refused.status_code == 422
    assert refused.text.count(NOT_OFFERED) >= 2  # county and city, in the summary too
    assert options(refused, "county") == ["brazos", "harris"]


def test_with_htmx_the_options_follow_the_earlier_answer_live(client: TestClient[Any]) -> None:
    respondent, page = at_place_page(client, "texas")
    assert 'hx-post="/s/cascade/p/place_page/refresh' in page.text

    fragment = respondent.refresh(1, {"county": "brazos"})

    assert fragment.status_code == 200
    assert options(fragment, "city") == ["college_station", "bryan"]
    assert WAITING not in fragment.text
