"""Every respondent page of both surveys in every language, on a 320 px wide phone: no
horizontal scrolling (WCAG 1.4.10, reflow) and no axe-core violation of any impact.

Each survey and language is walked once (landing, resume form, start screen, every page,
errors, "Continue later", thank-you page) with the Content-Security-Policy in force; the
reflow and the axe tests share that walk. axe-core comes from `axe-playwright-python`
and is evaluated by Playwright, which the page's CSP does not restrict.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page

from survey_app.db.engine import Database
from survey_app.services.district import district_logo_remove, district_logo_save
from tests.browser.live import LiveApp, open_context
from tests.browser.survey_tab import (
    COMPANY_LANGUAGES,
    COMPANY_PAGES,
    NEWCOMER_LANGUAGES,
    SurveyTab,
    every_page,
)
from tests.web.respondent import NEWCOMER_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 320, "height": 640}
# Every impact counts: the pages have none, minor or moderate ones included.
BLOCKING_IMPACTS = {"minor", "moderate", "serious", "critical"}
AXE_SCRIPT = Axe().axe_script
AXE_RUN = """axe.run(document, {resultTypes: ["violations"]}).then((results) =>
  results.violations.map(({id, impact, help, nodes}) =>
    ({id, impact, help, targets: nodes.map((node) => node.target)})))"""
SURVEYS = [("newcomer", language) for language in NEWCOMER_LANGUAGES] + [
    ("company", language) for language in COMPANY_LANGUAGES
]


@dataclass(frozen=True)
class ShownPage:
    """One page of a walk as a phone showed it."""

    name: str
    overflow: int
    screenshot: Path
    violations: list[dict[str, Any]]

    @property
    def screenshot_width(self) -> int:
        return int(struct.unpack(">I", self.screenshot.read_bytes()[16:20])[0])


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (axe is loaded once per document)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return violations


def blocking(page: ShownPage) -> list[str]:
    return [
        f"{page.name}: {violation['id']} ({violation['impact']}) {violation['help']} at "
        + ", ".join(str(target) for target in violation["targets"])
        for violation in page.violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def walk(
    context: BrowserContext, live_app: LiveApp, survey: str, language: str, to: Path
) -> list[ShownPage]:
    invitation = live_app.invitation(survey) if survey == "company" else None
    tab = SurveyTab(context.new_page(), survey, invitation=invitation)
    pages = NEWCOMER_PAGES if survey == "newcomer" else COMPANY_PAGES
    shown = []
    for name in every_page(tab, pages, language):
        screenshot = to / f"{survey}-{language}-{name}.png"
        tab.page.screenshot(path=screenshot, full_page=True)
        shown.append(
            ShownPage(name, horizontal_overflow(tab.page), screenshot, axe_violations(tab.page))
        )
    return shown


@pytest.fixture(scope="session")
def walked(
    browser: Browser, live_app: LiveApp, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], list[ShownPage]]:
    """`walked(survey, language)`: the pages of one walk on a phone, walked on first use.

    Session-scoped: the scheduler may run another module's test between the reflow and
    the axe test of one language, which ended a module-scoped fixture and walked twice."""
    screenshots = tmp_path_factory.mktemp("screenshots")
    done: dict[tuple[str, str], list[ShownPage]] = {}

    def walked_once(survey: str, language: str) -> list[ShownPage]:
        if (survey, language) not in done:
            context = open_context(browser, live_app, viewport=PHONE)
            try:
                done[survey, language] = walk(context, live_app, survey, language, screenshots)
            finally:
                context.close()
        return done[survey, language]

    return walked_once


@pytest.mark.parametrize(("survey", "language"), SURVEYS)
def test_no_page_scrolls_sideways_on_a_320_px_phone(
    walked: Callable[[str, str], list[ShownPage]], survey: str, language: str
) -> None:
    pages = walked(survey, language)
    too_wide = {
        page.name: page.overflow
        for page in pages
        if page.overflow > 0 or page.screenshot_width != PHONE["width"]
    }
    assert too_wide == {}
    assert pages[-1].name in {"thanks", "link-used"}


@pytest.mark.parametrize(("survey", "language"), SURVEYS)
def test_no_page_has_an_accessibility_violation(
    walked: Callable[[str, str], list[ShownPage]], survey: str, language: str
) -> None:
    pages = walked(survey, language)
    assert [problem for page in pages for problem in blocking(page)] == []
    assert {"start", "page-1-error", "page-1", "page-6", "thanks"} <= {page.name for page in pages}


def test_the_accessibility_check_reports_a_button_without_a_name(
    new_context: Callable[..., BrowserContext],
) -> None:
    tab = SurveyTab(new_context().new_page())
    tab.open("de")
    before = axe_violations(tab.page)
    tab.page.evaluate("document.querySelector('button.primary').textContent = ''")
    added = [found for found in axe_violations(tab.page) if found not in before]
    assert [(found["id"], found["impact"]) for found in added] == [("button-name", "critical")]


@pytest.mark.parametrize("language", ["de", "ar"])
def test_a_district_logo_keeps_the_start_page_within_a_phone_and_without_violations(
    browser: Browser, live_app: LiveApp, language: str
) -> None:
    """The logo shares the header's line with the language link: the page neither scrolls
    sideways nor moves its content down, and the logo is named by its alt text."""
    from PIL import Image

    context = open_context(browser, live_app, viewport=PHONE)
    page = context.new_page()
    start = f"{live_app.base_url}/s/newcomer?lang={language}"
    database = Database(live_app.database_url)
    try:
        page.goto(start)
        heading_without = page.locator("h1").bounding_box()
        png = io.BytesIO()
        Image.new("RGB", (900, 300), (0, 90, 160)).save(png, format="PNG")
        district_logo_save(database, png.getvalue(), actor="browser tests")
        page.goto(start)
        logo = page.locator("header img.district-logo")

        assert logo.get_attribute("alt") == "Landkreis Musterland"
        assert page.evaluate("document.querySelector('img.district-logo').naturalWidth") == 600
        assert horizontal_overflow(page) == 0
        assert page.locator("h1").bounding_box() == heading_without
        assert [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS] == []
    finally:
        district_logo_remove(database, actor="browser tests")
        database.dispose()
        context.close()
