"""The app served by uvicorn in its own process, on a fresh SQLite database with the
project's questionnaires published, for the browser tests."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext

from survey_app.db.engine import Database
from survey_app.db.migrate import upgrade
from survey_app.services.invitations import invitations_create
from survey_app.settings import PROJECT_ROOT

START_TIMEOUT_S = 30
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/api/v1/surveys/newcomer", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def serve_app(root: Path) -> Iterator[LiveApp]:
    """`uvicorn survey_app.app:create_app` on a free port, with its database and var/ under
    `root`; stopped on exit."""
    live = LiveApp(base_url=f"http://127.0.0.1:{free_port()}", database_path=root / "s.sqlite3")
    upgrade(live.database_url)
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": live.database_url,
        "SURVEY_QUESTIONNAIRES": str(PROJECT_ROOT / "questionnaires"),
        "SURVEY_SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        "SURVEY_VAR_DIR": str(root / "var"),
        "SURVEY_SUBMISSION_RATE_LIMIT": "0",
        "SURVEY_BASE_URL": live.base_url,
    }
    port = live.base_url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "uvicorn", "survey_app.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", port, "--no-access-log"]
    log = root / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_ready(process, live.base_url, log)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def open_context(browser: Browser, live_app: LiveApp, **options: Any) -> BrowserContext:
    """A browser context on the live app; actions fail after 10 s instead of 30 s."""
    context = browser.new_context(base_url=live_app.base_url, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context
