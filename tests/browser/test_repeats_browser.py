"""A household roster in a real browser, in Arabic, with and without JavaScript
(tests/fixtures/household.yaml): entries added with the button, a follow-up appearing
inside the entry it belongs to, an entry left empty dropped, and the entries stored as
the submission API stores them; axe checks the roster page. With a `repeat_count`
(tests/fixtures/roster.yaml) the entries follow the household size as it is typed."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.live import LiveApp, open_context
from tests.browser.survey_tab import SurveyTab
from tests.browser.test_accessibility import BLOCKING_IMPACTS, axe_violations
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def household_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """`survey-app serve` with the household roster alone."""
    root = tmp_path_factory.mktemp("household-server")
    questionnaires = root / "questionnaires"
    questionnaires.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", questionnaires)
    shutil.copy(FIXTURES / "household.yaml", questionnaires)
    shutil.copy(FIXTURES / "roster.yaml", questionnaires)
    database_path = root / "s.sqlite3"
    server = LiveServer(
        f"sqlite:///{database_path}",
        root / "var",
        questionnaires=questionnaires,
        ready_path="/api/v1/surveys/household",
    )
    server.start()
    try:
        yield LiveApp(base_url=server.base_url, database_path=database_path)
    finally:
        server.stop()


@pytest.fixture
def household_tab(
    browser: Browser, household_app: LiveApp
) -> Iterator[Callable[[bool], SurveyTab]]:
    opened: list[BrowserContext] = []

    def new(javascript: bool) -> SurveyTab:
        opened.append(open_context(browser, household_app, java_script_enabled=javascript))
        return SurveyTab(opened[-1].new_page(), "household", javascript=javascript)

    yield new
    for context in opened:
        context.close()


def last_answers(app: LiveApp) -> dict[str, object]:
    with sqlite3.connect(app.database_path) as connection:
        [text] = connection.execute(
            "SELECT answers FROM submission ORDER BY id DESC LIMIT 1"
        ).fetchone()
    answers: dict[str, object] = json.loads(text)
    return answers


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_a_household_is_listed_entry_by_entry(
    household_tab: Callable[[bool], SurveyTab], household_app: LiveApp, javascript: bool
) -> None:
    tab = household_tab(javascript)
    tab.open("ar")
    tab.start()
    tab.expect_language("ar", "rtl")
    page = tab.page
    page.locator('[name="members[1].member_name"]').fill("أمل")
    page.locator('[name="members[1].age"]').fill("34")

    page.locator('button[name="entry:add"]').click()
    second = page.locator('[name="members[2].member_name"]')
    expect(second).to_be_focused()
    expect(page.locator('[name="members[1].member_name"]')).to_have_value("أمل")
    second.fill("بلال")
    age = page.locator('[name="members[2].age"]')
    age.fill("9")
    if javascript:
        age.press("Tab")  # the change that brings up the follow-up
        # The follow-up comes in the entry it belongs to, and only there.
        expect(page.locator('[name="members[2].school"]').first).to_be_visible()
    else:
        tab.press("next")
        assert tab.came_back_with_new_questions()
    assert page.locator('[name="members[1].school"]').count() == 0
    tab.answer({"members[2].school": "yes"})
    # A third entry, added and left empty, is no entry.
    page.locator('button[name="entry:add"]').click()
    page.locator('[name="members[3].member_name"]').wait_for()

    tab.press("next")
    tab.expect_page(1)
    tab.press("submit")
    tab.expect_thanks("ar")

    assert last_answers(household_app) == {
        "members": [
            {"member_name": "أمل", "age": 34},
            {"member_name": "بلال", "age": 9, "school": "yes"},
        ],
        "children": 1,
    }


def test_the_roster_page_passes_axe(
    household_tab: Callable[[bool], SurveyTab],
) -> None:
    tab = household_tab(True)
    tab.open("ar")
    tab.start()
    tab.page.locator('button[name="entry:add"]').click()
    tab.page.locator('[name="members[2].member_name"]').wait_for()

    violations = axe_violations(tab.page)

    assert [v["id"] for v in violations if v["impact"] in BLOCKING_IMPACTS] == []


def test_with_javascript_the_household_size_brings_its_entries_at_once(
    household_tab: Callable[[bool], SurveyTab],
) -> None:
    tab = household_tab(True)
    tab.survey = "roster"
    tab.open("de")
    tab.start()
    page = tab.page
    size = page.locator('[name="household_size"]')

    def typed(count: str) -> None:
        """Type the household size and leave the field, as people do: htmx refreshes."""
        with page.expect_response(lambda response: "/refresh" in response.url):
            size.fill(count)
            size.press("Tab")

    typed("3")

    expect(page.locator('[name="members[3].member_name"]')).to_be_visible()
    assert page.locator('[name="members[4].member_name"]').count() == 0
    # The questionnaire sets the number: nothing adds or removes an entry.
    assert page.locator('button[name^="entry:"]').count() == 0
    typed("2")
    expect(page.locator('[name="members[3].member_name"]')).to_have_count(0)
    expect(page.locator('[name="members[2].member_name"]')).to_be_visible()
