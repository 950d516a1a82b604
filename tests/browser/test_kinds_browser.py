"""Defaults, read-only questions, bounded numbers and rankings in a real browser (the
kinds survey, tests/fixtures/kinds.yaml): with JavaScript a bounded number gets a slider
beside its field and a read-only calculation follows the answers; without JavaScript the
same pages work with plain fields (axe checks the pages with JavaScript)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.live import LiveApp, open_context
from tests.browser.survey_tab import SurveyTab
from tests.browser.test_accessibility import axe_violations
from tests.conftest import FIXTURES, QUESTIONNAIRES
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def kinds_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """`survey-app serve` with the kinds survey alone."""
    root = tmp_path_factory.mktemp("kinds-server")
    questionnaires = root / "questionnaires"
    questionnaires.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", questionnaires)
    shutil.copy(FIXTURES / "kinds.yaml", questionnaires)
    database_path = root / "s.sqlite3"
    server = LiveServer(
        f"sqlite:///{database_path}",
        root / "var",
        questionnaires=questionnaires,
        ready_path="/api/v1/surveys/kinds",
    )
    server.start()
    try:
        yield LiveApp(base_url=server.base_url, database_path=database_path)
    finally:
        server.stop()


@pytest.fixture
def kinds_tab(browser: Browser, kinds_app: LiveApp) -> Iterator[Callable[[bool], SurveyTab]]:
    opened: list[BrowserContext] = []

    def new(javascript: bool) -> SurveyTab:
        opened.append(open_context(browser, kinds_app, java_script_enabled=javascript))
        return SurveyTab(opened[-1].new_page(), "kinds", javascript=javascript)

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


def test_with_javascript_a_bounded_number_has_a_slider_that_sets_its_field(
    kinds_tab: Callable[[bool], SurveyTab], kinds_app: LiveApp
) -> None:
    tab = kinds_tab(True)
    tab.open("de")
    tab.start()
    page = tab.page
    field = page.locator('input[name="satisfaction"]')
    slider = page.locator("#question-satisfaction input[type=range]")
    expect(slider).to_be_attached()
    expect(field).to_have_value("")  # a slider gives no answer by itself
    assert slider.get_attribute("min") == "1"
    assert slider.get_attribute("max") == "5"
    slider.fill("5")  # as a finger or a mouse sets it
    expect(field).to_have_value("5")
    # The default is in its field; the read-only calculation follows the answer.
    expect(page.locator('input[name="visits"]')).to_have_value("2")
    tab.answer({"visits": "4"})
    page.locator('input[name="visits"]').blur()
    expect(page.locator("#question-visits_twice .read-only-value")).to_have_text("8")
    # After the page was swapped in by htmx, the slider is there again and in step.
    expect(page.locator("#question-satisfaction input[type=range]")).to_have_value("5")
    expect(page.locator('input[name="satisfaction"]')).to_have_value("5")
    assert axe_violations(page) == []
    tab.answer_page(0, {})
    page.locator('select[name="helpful"]').nth(0).select_option("beratung")
    page.locator('select[name="helpful"]').nth(1).select_option("jobcenter")
    assert axe_violations(page) == []
    tab.press("submit")
    tab.expect_thanks("de")
    answers = last_answers(kinds_app)
    assert answers["satisfaction"] == 5
    assert answers["helpful"] == ["beratung", "jobcenter"]
    assert (answers["visits"], answers["visits_twice"], answers["district"]) == (4, 8, "nord")


def test_without_javascript_the_kinds_work_with_plain_fields(
    kinds_tab: Callable[[bool], SurveyTab], kinds_app: LiveApp
) -> None:
    tab = kinds_tab(False)
    tab.open("en")
    tab.start()
    page = tab.page
    assert page.locator("input[type=range]").count() == 0
    expect(page.locator("#question-district .read-only-value")).to_have_text("North")
    tab.answer({"satisfaction": "9"})
    tab.press("next")
    tab.expect_errors()
    expect(page.locator("#q-satisfaction-error")).to_contain_text(
        "Please enter a number from 1 to 5."
    )
    tab.answer_page(0, {"satisfaction": "3"})
    selects = page.locator('select[name="helpful"]')
    assert selects.count() == 3
    selects.nth(0).select_option("beratung")
    selects.nth(1).select_option("beratung")
    tab.press("submit")
    tab.expect_errors()
    expect(page.locator("#q-helpful-error")).to_contain_text("Please choose each option only once.")
    page.locator('select[name="helpful"]').nth(1).select_option("")
    page.locator('select[name="helpful"]').nth(2).select_option("auslaenderbehoerde")
    tab.press("submit")
    tab.expect_thanks("en")
    answers = last_answers(kinds_app)
    assert answers["helpful"] == ["beratung", "auslaenderbehoerde"]
    assert answers["known"] == ["jobcenter", "beratung"]  # the default, sent as shown
