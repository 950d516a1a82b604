"""Cascading selects in a real browser: with JavaScript the options of a question with a
choice filter change as soon as the answer it depends on changes; without JavaScript the
page comes back with the new options and a note."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.live import LiveApp, open_context
from tests.browser.survey_tab import SurveyTab
from tests.browser.test_accessibility import axe_violations
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

REFILTERED = (
    "The options of some questions on this page changed to fit your answers. Please check them."
)


@pytest.fixture(scope="module")
def cascade_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """`survey-app serve` with the cascade survey (tests/fixtures/cascade.yaml) alone."""
    root = tmp_path_factory.mktemp("cascade-server")
    questionnaires = root / "questionnaires"
    questionnaires.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", questionnaires)
    shutil.copy(FIXTURES / "cascade.yaml", questionnaires)
    database_path = root / "s.sqlite3"
    server = LiveServer(
        f"sqlite:///{database_path}",
        root / "var",
        questionnaires=questionnaires,
        ready_path="/api/v1/surveys/cascade",
    )
    server.start()
    try:
        yield LiveApp(base_url=server.base_url, database_path=database_path)
    finally:
        server.stop()


@pytest.fixture
def cascade_tab(browser: Browser, cascade_app: LiveApp) -> Iterator[Callable[[bool], SurveyTab]]:
    opened: list[BrowserContext] = []

    def new(javascript: bool) -> SurveyTab:
        opened.append(open_context(browser, cascade_app, java_script_enabled=javascript))
        return SurveyTab(opened[-1].new_page(), "cascade", javascript=javascript)

    yield new
    for context in opened:
        context.close()


def offered(tab: SurveyTab, question: str) -> list[str]:
    inputs = tab.page.locator(f'input[name="{question}"]')
    return [inputs.nth(index).get_attribute("value") or "" for index in range(inputs.count())]


def test_with_javascript_the_options_change_as_the_earlier_answer_changes(
    cascade_tab: Callable[[bool], SurveyTab],
) -> None:
    tab = cascade_tab(True)
    tab.open("en")
    tab.start()
    tab.answer_page(0, {"state": "texas"})
    assert offered(tab, "county") == ["brazos", "harris"]
    assert offered(tab, "city") == []
    assert axe_violations(tab.page) == []  # the city waiting for its options, too

    tab.answer({"county": "brazos"})
    expect(tab.choice("city", "bryan")).to_be_visible()
    assert offered(tab, "city") == ["college_station", "bryan"]

    tab.answer({"county": "harris"})
    expect(tab.choice("city", "bryan")).to_have_count(0)
    assert offered(tab, "city") == ["houston"]
    expect(tab.choice("county", "harris")).to_be_checked()
    tab.answer({"city": "houston"})
    tab.press("submit")
    tab.expect_thanks("en")


def test_without_javascript_the_page_comes_back_with_the_new_options(
    cascade_tab: Callable[[bool], SurveyTab],
) -> None:
    tab = cascade_tab(False)
    tab.open("en")
    tab.start()
    tab.answer_page(0, {"state": "washington"})
    tab.answer({"county": "king"})
    tab.press("submit")

    expect(tab.page.locator("#page-notice")).to_contain_text(REFILTERED)
    assert offered(tab, "city") == ["seattle"]
    expect(tab.page).to_have_url(re.compile(r"/s/cascade/p/place_page"))
    tab.answer({"city": "seattle"})
    tab.press("submit")
    tab.expect_thanks("en")
