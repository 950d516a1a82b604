"""One real server and one headless Chromium for the whole session; every test gets its
own browser context.

Chromium is Debian's (`.ci/system-deps` installs it): Playwright cannot download its own
build here. `SURVEY_TEST_CHROMIUM` names another executable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.live import LiveApp, open_context, serve_app

CHROMIUM = os.environ.get("SURVEY_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with serve_app(tmp_path_factory.mktemp("browser-server")) as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, live_app: LiveApp) -> Iterator[Callable[..., BrowserContext]]:
    """`new_context(**options)`: a browser context on the live app, closed after the test."""
    opened: list[BrowserContext] = []

    def new(**options: Any) -> BrowserContext:
        opened.append(open_context(browser, live_app, **options))
        return opened[-1]

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh context: JavaScript on, a laptop-sized window."""
    return new_context(viewport={"width": 1024, "height": 800}).new_page()
