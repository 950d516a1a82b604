"""Every page of the integration office and the results pages in real Chromium, as an
admin sees them: no axe-core violation of any impact, and nothing scrolls sideways at
360 px, nor the results pages at 200 % zoom (tables scroll within themselves)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from survey_app.db.engine import Database
from survey_app.services.demo import demo_earlier_wave, store_demo_responses
from tests.browser.live import LiveApp, log_in_as_admin, open_context, serve_app
from tests.browser.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ADMIN = "buero@landkreis.example"
ADMIN_PAGES = [
    "/admin",
    "/admin/questionnaires",
    "/admin/district",
    "/admin/users",
    "/admin/audit",
    "/admin/surveys/newcomer/fieldwork",
    "/admin/surveys/company/fieldwork",
    "/admin/surveys/newcomer/responses",
    "/admin/surveys/newcomer/texts",
    "/admin/surveys/newcomer/texts/comment",
    "/admin/surveys/newcomer/release",
    "/admin/surveys/company/recipients",
    # the results pages, live (an admin may: the live app has no release)
    "/results",
    "/results/arbeit?survey=newcomer&live=1",
    "/results/arbeit?survey=newcomer&live=1&by=german_level",
    "/results/sprache?survey=newcomer&live=1&lang=en",
    "/results/arbeit/report?survey=newcomer&live=1",
    "/results/arbeit/present?survey=newcomer&live=1",
    "/results/arbeit/present?survey=newcomer&live=1&slide=2&by=german_level",
]
RESULTS_PAGES = [path for path in ADMIN_PAGES if path.startswith("/results")]


@pytest.fixture(scope="module")
def answered(live_app: LiveApp) -> LiveApp:
    """The live app with 300 demo responses to the newcomer survey: results pages with
    numbers, breakdowns and key figures in them (on an empty survey they hide nothing)."""
    database = Database(live_app.database_url)
    try:
        store_demo_responses(database, "newcomer", 300, seed=3)
    finally:
        database.dispose()
    return live_app


def logged_in(new_context: Callable[..., BrowserContext], live_app: LiveApp, width: int) -> Page:
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    log_in_as_admin(page, live_app, ADMIN)
    return page


def test_no_admin_page_has_an_accessibility_violation(
    new_context: Callable[..., BrowserContext], answered: LiveApp
) -> None:
    page = logged_in(new_context, answered, 1024)
    found = {}
    for path in ADMIN_PAGES:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == 200, path
        found[path] = [
            f"{violation['id']} ({violation['impact']}): {violation['targets']}"
            for violation in axe_violations(page)
        ]
    assert found == {path: [] for path in ADMIN_PAGES}


def test_no_admin_page_scrolls_sideways_on_a_phone(
    new_context: Callable[..., BrowserContext], answered: LiveApp
) -> None:
    page = logged_in(new_context, answered, 360)
    wide = {}
    for path in ADMIN_PAGES:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            wide[path] = width
    assert wide == {}


def test_results_pages_do_not_scroll_sideways_at_200_percent_zoom(
    new_context: Callable[..., BrowserContext], answered: LiveApp
) -> None:
    """A 1280 × 800 window zoomed to 200 %: 640 × 400 CSS pixels of two device pixels
    each (WCAG 1.4.10 reflow)."""
    context = new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    log_in_as_admin(page, answered, ADMIN)
    wide = {}
    for path in RESULTS_PAGES:
        response = page.goto(path)
        assert response is not None, path
        assert response.status == 200, path
        assert page.evaluate("window.devicePixelRatio") == 2
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 640:
            wide[path] = width
    assert wide == {}


def test_two_waves_side_by_side_fit_a_phone(browser: Browser, tmp_path: Path) -> None:
    """Compared with an earlier wave, a table has five columns: it scrolls in its own
    named region, the page does not (on its own server: the other tests' app keeps one
    wave)."""
    with serve_app(tmp_path) as live:
        database = Database(live.database_url)
        try:
            store_demo_responses(database, "newcomer", 120, seed=3)
            demo_earlier_wave(database, "newcomer", 120, seed=3, actor="test")
        finally:
            database.dispose()
        context = open_context(browser, live, viewport={"width": 360, "height": 800})
        try:
            page = context.new_page()
            log_in_as_admin(page, live, ADMIN)
            response = page.goto(
                "/results/sprache?survey=newcomer&live=1&compare=newcomer-demo-earlier"
            )
            assert response is not None
            assert response.status == 200
            assert page.evaluate("document.documentElement.scrollWidth") == 360
            assert page.locator(".table-region[role=region][tabindex='0']").count() > 0
            assert axe_violations(page) == []
        finally:
            context.close()


def test_the_presentation_turns_pages_with_the_keys_of_a_presenters_clicker(
    new_context: Callable[..., BrowserContext], answered: LiveApp
) -> None:
    page = logged_in(new_context, answered, 1280)
    page.goto("/results/arbeit/present?survey=newcomer&live=1&slide=1")

    page.keyboard.press("PageDown")
    page.wait_for_url(re.compile(r"slide=2"))
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(r"slide=1"))
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/results/arbeit\?.*#q-"))


@pytest.mark.parametrize("javascript", [True, False])
def test_an_answer_is_reviewed_in_place_with_htmx_and_by_a_plain_form_without(
    new_context: Callable[..., BrowserContext], answered: LiveApp, javascript: bool
) -> None:
    page = new_context(viewport={"width": 360, "height": 800}, java_script_enabled=javascript)
    tab = page.new_page()
    log_in_as_admin(tab, answered, ADMIN)
    tab.goto("/admin/surveys/newcomer/texts/comment?show=open")
    card = tab.locator("article.text-answer").nth(1)
    card_id = card.get_attribute("id")
    assert card_id is not None
    translation = f"Geprüft mit JavaScript: {javascript}"

    card.locator("textarea[name=translation]").fill(translation)
    card.locator("input[name=released]").check()
    card.locator("button[type=submit]").click()

    saved = tab.locator(f"#{card_id}")
    if javascript:
        saved.locator("[role=status]").wait_for()
        assert tab.url.endswith("/texts/comment?show=open")
    else:
        tab.wait_for_url(re.compile(rf"#{card_id}$"))
    tab.goto("/admin/surveys/newcomer/texts/comment?show=released")
    assert translation in [
        area.input_value() for area in tab.locator("textarea[name=translation]").all()
    ]
