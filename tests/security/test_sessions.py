"""Sessions only for staff: respondents get no session cookie and leave no session file;
expired sessions are deleted."""

from __future__ import annotations

import asyncio
import re
import stat
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
from litestar.stores.file import FileStore
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.services.invitations import invitations_create
from survey_app.settings import PROJECT_ROOT, Settings
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


def readme_respondent_cookies() -> tuple[int, set[str]]:
    """What the README's privacy section promises respondents: at most how many cookies,
    and their names (each named as `name` (what it holds))."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    privacy = readme.split("## Privacy and deletion", 1)[1].split("\n## ", 1)[0]
    bullet = re.search(r"- \*\*Cookies:\*\* (.*?)(?=\n- |\Z)", privacy, re.S)
    assert bullet is not None, "the README's privacy section lists no cookies"
    respondents = bullet.group(1).split("`survey_session` is set only at a staff login")[0]
    most = re.search(r"respondents get at most (\w+)", respondents)
    assert most is not None
    numbers = {"one": 1, "two": 2, "three": 3}
    return numbers[most.group(1)], set(re.findall(r"`(\w+)` \(", respondents))


def test_a_respondent_gets_only_the_cookies_the_readme_names(
    client: TestClient[Any], db: Database
) -> None:
    most, named = readme_respondent_cookies()
    set_cookies: list[str] = []

    def keep(response: httpx.Response) -> None:
        set_cookies.extend(response.headers.get_list("set-cookie"))

    client.event_hooks["response"].append(keep)
    [token] = invitations_create(db, "company", 1)
    respondent = Respondent(client, "newcomer")
    client.get("/")
    client.get("/s/newcomer", params={"lang": "ar"})
    thanks = respondent.answer_all(NEWCOMER_PAGES)
    client.get("/s/newcomer/resume")
    client.get("/s/company", params={"invitation": token})
    client.get("/api/v1/surveys/newcomer")

    names = {cookie.split("=", 1)[0] for cookie in set_cookies}
    assert thanks.status_code == 200
    assert named
    assert len(named) <= most
    assert names <= named, f"cookies the README does not name: {names - named}"
    for cookie in set_cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax"} <= attributes, cookie


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
