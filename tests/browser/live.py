"""The app served in its own process, on a fresh SQLite database with the
project's questionnaires published, for the browser tests."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from survey_app.db.engine import Database
from survey_app.services.accounts import AccountError, user_add
from survey_app.services.invitations import invitations_create
from survey_app.settings import PROJECT_ROOT
from tests.conftest import PASSWORD
from tests.live_server import LiveServer

ACTION_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveApp:
    """The running server, and its database for what a browser cannot see."""

    base_url: str
    database_path: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"

    def invitation(self, survey: str = "company") -> str:
        """A fresh personal invitation token for `survey`."""
        database = Database(self.database_url)
        try:
            [token] = invitations_create(database, survey, 1, label="browser tests")
        finally:
            database.dispose()
        return token

    def stored_answers(self, survey: str, comment: str) -> tuple[str, dict[str, Any]]:
        """Language and answers of the one response to `survey` with this `comment`."""
        with closing(sqlite3.connect(self.database_path)) as connection:
            rows = connection.execute(
                "SELECT language, answers FROM submission WHERE survey_id = ?", (survey,)
            ).fetchall()
        found = [(language, json.loads(answers)) for language, answers in rows]
        [match] = [
            (language, answers) for language, answers in found if answers.get("comment") == comment
        ]
        return match


@contextmanager
def serve_app(root: Path) -> Iterator[LiveApp]:
    """`survey-app serve` on a free port, with its database and var/ under `root` and the
    project's questionnaires; stopped on exit."""
    database_path = root / "s.sqlite3"
    server = LiveServer(
        f"sqlite:///{database_path}",
        root / "var",
        questionnaires=PROJECT_ROOT / "questionnaires",
        ready_path="/api/v1/surveys/newcomer",
    )
    server.start()
    try:
        yield LiveApp(base_url=server.base_url, database_path=database_path)
    finally:
        server.stop()


def open_context(browser: Browser, live_app: LiveApp, **options: Any) -> BrowserContext:
    """A browser context on the live app; actions fail after 10 s instead of 30 s."""
    context = browser.new_context(base_url=live_app.base_url, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def log_in_as_admin(page: Page, live_app: LiveApp, email: str) -> None:
    """Log `page` in through the login form as admin `email` (made on first use)."""
    database = Database(live_app.database_url)
    try:
        with contextlib.suppress(AccountError):
            user_add(
                database, email=email, password=PASSWORD, groups=(), is_admin=True,
                known_groups=set(), actor="test",
            )  # fmt: skip
    finally:
        database.dispose()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=re.compile("Anmelden|Log in")).click()
    expect(page).not_to_have_url(re.compile("/login"))
