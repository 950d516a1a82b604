"""Sessions only for staff: respondents get no session cookie and leave no session file;
expired sessions are deleted."""

from __future__ import annotations

import asyncio
import stat
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from litestar.stores.file import FileStore
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.settings import Settings
from survey_app.web.sessions import delete_expired_sessions
from tests.conftest import login
from tests.web.respondent import NEWCOMER_PAGES, Respondent

T = TypeVar("T")


def in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` in a thread of its own (an event loop may already run here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def session_files(settings: Settings) -> list[Path]:
    directory = settings.var_dir / "sessions"
    return [path for path in directory.iterdir() if path.is_file()] if directory.exists() else []


def test_a_respondent_gets_no_session_cookie_and_leaves_no_session_file(
    client: TestClient[Any], settings: Settings
) -> None:
    respondent = Respondent(client, "newcomer")
    pages = [client.get("/"), respondent.open(), respondent.start()]
    pages.append(respondent.answer_all(NEWCOMER_PAGES))
    pages.append(client.get("/s/newcomer/resume"))
    pages.append(client.get("/login"))
    for page in pages:
        assert "survey_session" not in page.headers.get("set-cookie", ""), page.url
    assert "survey_session" not in client.cookies
    assert session_files(settings) == []


def test_many_visitors_without_cookies_leave_no_session_files(
    settings: Settings,
) -> None:
    with TestClient(app=create_app(settings)) as client:
        for _ in range(50):
            client.cookies.clear()
            client.get("/s/newcomer")
            client.get("/login")
    assert session_files(settings) == []


def test_a_login_gets_a_session_and_logout_removes_it(
    client: TestClient[Any], settings: Settings, accounts: object
) -> None:
    login(client, "arbeit")
    assert "survey_session" in client.cookies
    assert len(session_files(settings)) == 1
    token = client.cookies["csrftoken"]
    client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert session_files(settings) == []


def test_expired_sessions_are_deleted(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "sessions", create_directories=True)

    async def scenario() -> list[str]:
        await store.set("old", b"{}", expires_in=1)
        await store.set("fresh", b"{}", expires_in=3600)
        await asyncio.sleep(1.1)
        await delete_expired_sessions(store)
        return [key for key in ("old", "fresh") if await store.exists(key)]

    assert in_own_loop(scenario()) == ["fresh"]


def test_the_app_deletes_expired_sessions_when_it_starts(settings: Settings) -> None:
    directory = settings.var_dir / "sessions"
    store = FileStore(directory, create_directories=True)

    async def expired_session() -> None:
        await store.__aenter__()
        await store.set("left-from-yesterday", b"{}", expires_in=1)

    in_own_loop(expired_session())
    time.sleep(1.1)
    with TestClient(app=create_app(settings)) as client:
        client.get("/")
        for _ in range(50):
            if not session_files(settings):
                break
            time.sleep(0.05)
    assert session_files(settings) == []


def test_the_session_directory_is_private(settings: Settings) -> None:
    directory = settings.var_dir / "sessions"
    directory.mkdir(parents=True, mode=0o755)
    directory.chmod(0o755)
    with TestClient(app=create_app(settings)):
        pass
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
