"""Pages with addresses in a real browser, with JavaScript and without: the browser's
Back, Forward and reload keep the place and the answers; choices left without pressing a
button are there on return, and so is text typed just before the page was left; after
sending, Back stays in the language used."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import closing

import pytest
from playwright.sync_api import BrowserContext, Route, expect

from tests.browser.live import LiveApp
from tests.browser.survey_tab import SurveyTab
from tests.web.respondent import NEWCOMER_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NewContext = Callable[..., BrowserContext]
WITH_AND_WITHOUT_JAVASCRIPT = pytest.mark.parametrize(
    "javascript", [True, False], ids=["javascript", "no-javascript"]
)


def survey_tab(new_context: NewContext, javascript: bool) -> SurveyTab:
    context = new_context(java_script_enabled=javascript)
    return SurveyTab(context.new_page(), javascript=javascript)


@WITH_AND_WITHOUT_JAVASCRIPT
def test_back_forward_and_reload_keep_the_place_and_the_answers(
    new_context: NewContext, javascript: bool
) -> None:
    tab = survey_tab(new_context, javascript)
    page = tab.page
    tab.open("uk")
    tab.start()
    expect(page).to_have_url(re.compile(r"/s/newcomer/p/about_you\?lang=uk$"))
    tab.answer_page(0, NEWCOMER_PAGES[0] | {"age_group": "a27_34"})
    expect(page).to_have_url(re.compile(r"/s/newcomer/p/language\?lang=uk$"))

    page.go_back()
    tab.expect_page(0)
    expect(page).to_have_url(re.compile(r"/p/about_you\?lang=uk$"))
    expect(tab.choice("age_group", "a27_34")).to_be_checked()
    tab.expect_language("uk", "ltr")

    page.go_forward()
    tab.expect_page(1)
    page.reload()
    tab.expect_page(1)
    expect(page).to_have_url(re.compile(r"/p/language\?lang=uk$"))


def test_a_choice_left_without_pressing_a_button_is_there_on_return(
    new_context: NewContext,
) -> None:
    tab = survey_tab(new_context, javascript=True)
    page = tab.page
    tab.open("ar")
    tab.start()
    tab.answer_page(0, NEWCOMER_PAGES[0])
    with page.expect_response(re.compile(r"/p/language/autosave")) as saved:
        tab.answer({"other_german_course": "finished"})
    assert saved.value.status == 204
    with page.expect_response(re.compile(r"/p/language/refresh")):
        tab.answer({"german_level": "b1"})

    page.goto("/?lang=ar")
    tab.open()
    tab.expect_page(1)
    expect(tab.choice("german_level", "b1")).to_be_checked()
    expect(tab.choice("other_german_course", "finished")).to_be_checked()


@WITH_AND_WITHOUT_JAVASCRIPT
def test_back_after_sending_shows_the_survey_in_the_language_used(
    new_context: NewContext, javascript: bool
) -> None:
    tab = survey_tab(new_context, javascript)
    tab.open("fa")
    tab.start()
    for index, answers in enumerate(NEWCOMER_PAGES):
        tab.answer_page(index, answers, last=index == len(NEWCOMER_PAGES) - 1)
    tab.expect_thanks("fa")
    tab.expect_language("fa", "rtl")

    tab.page.go_back()
    tab.expect_language("fa", "rtl")
    expect(tab.button("start")).to_be_visible()


def test_a_choice_made_while_the_page_is_refreshed_is_kept(new_context: NewContext) -> None:
    """On a slow connection a respondent ticks another answer while the page is fetched
    again for a follow-up question: the fetched page must not reset that answer."""
    tab = survey_tab(new_context, javascript=True)
    page = tab.page
    tab.open("de")
    tab.start()
    tab.choice("arrival_year", "y2018_2021").check()

    held: list[Route] = []

    def hold(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/refresh\b"), hold)
    tab.choice("household", "children").check()  # brings up children_u18 ...
    while not held:
        page.wait_for_timeout(50)
    tab.choice("age_group", "a27_34").check()  # ... and this is ticked while it is fetched
    held[0].continue_()
    page.locator('input[name="children_u18"]').first.wait_for()

    expect(tab.choice("age_group", "a27_34")).to_be_checked()
    expect(tab.choice("household", "children")).to_be_checked()
    tab.choice("children_u18", "yes").check()
    tab.press("next")
    tab.expect_page(1)
    page.go_back()
    tab.expect_page(0)
    expect(tab.choice("age_group", "a27_34")).to_be_checked()


def wait_for_a_draft_holding(live_app: LiveApp, text: str) -> None:
    """Wait until the server has saved `text` into a draft: a save sent as a page goes
    (a beacon) is no request of a page the browser reports, so the database is asked."""
    for _ in range(100):
        with closing(sqlite3.connect(live_app.database_path)) as connection:
            query = "SELECT count(*) FROM draft WHERE answers LIKE ?"
            if connection.execute(query, (f"%{text}%",)).fetchone()[0]:
                return
        time.sleep(0.1)
    pytest.fail(f"no draft holds {text!r}")


@pytest.mark.parametrize("leave", ["back", "another-address"])
def test_text_typed_just_before_leaving_the_page_is_there_on_return(
    new_context: NewContext, live_app: LiveApp, leave: str
) -> None:
    """Typed text is saved a second after the last key; leaving the page sooner, by the
    browser's Back or for another address, saves it as the page goes."""
    tab = survey_tab(new_context, javascript=True)
    page = tab.page
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    tab.open("de")
    tab.start()
    last = len(NEWCOMER_PAGES) - 1
    for index, answers in enumerate(NEWCOMER_PAGES[:last]):
        tab.answer_page(index, answers)
    comment = page.locator('textarea[name="comment"]')
    typed = f"Mehr Abendkurse, bitte ({uuid.uuid4().hex[:8]})"

    comment.fill(typed)
    if leave == "back":
        page.go_back()
        tab.expect_page(last - 1)
    else:
        page.goto("/?lang=de")
    wait_for_a_draft_holding(live_app, typed)
    if leave == "back":
        page.go_forward()
    else:
        tab.open()
    tab.expect_page(last)
    expect(comment).to_have_value(typed)
    assert problems == []
