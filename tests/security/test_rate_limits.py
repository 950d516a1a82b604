"""Rate limits: one bucket per kind of secret, counted before the work, that never hold
up valid anonymous submissions, and logins that an attacker cannot lock."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.services.invitations import invitations_create
from survey_app.settings import Settings
from survey_app.web import answering
from survey_app.web.security import (
    GUESSES_ALLOWED,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_CLIENT,
)
from tests.conftest import PASSWORD, csrf_token
from tests.storage.conftest import STORAGE_QUESTIONNAIRES
from tests.web.respondent import Respondent

FEEDBACK = "/api/v1/surveys/feedback/responses"
EMPLOYERS = "/api/v1/surveys/employers/responses"
WRONG_CODE = {"code": "AAAAA-BBBBB", "nav:action": "resume"}


class FromAddress:
    """The app, seeing the client address an `x-client` header names: two machines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            address = dict(scope["headers"]).get(b"x-client")
            if address:
                scope = {**scope, "client": (address.decode(), 40000)}  # type: ignore[typeddict-item]
        await self.app(scope, receive, send)


@pytest.fixture
def site(settings: Settings) -> Iterator[TestClient[Any]]:
    """The storage-test surveys (anonymous `feedback`, invitation `employers`) and the
    project's (`newcomer` with resume codes), one client address unless told."""
    app = create_app(dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES))
    with TestClient(app=FromAddress(app)) as client:  # type: ignore[arg-type]
        yield client


def stored_count(db: Database, survey_id: str) -> int:
    with db.read() as session:
        rows = session.exec(select(Submission).where(col(Submission.survey_id) == survey_id))
        return len(rows.all())


def feedback(number: int) -> dict[str, object]:
    return {"submission_id": f"f-{number}", "language": "de", "answers": {"satisfied": "yes"}}


def employer(number: int, token: str) -> dict[str, object]:
    return {
        "submission_id": f"e-{number}",
        "language": "de",
        "answers": {"staff": 3},
        "invitation": token,
    }


def test_wrong_invitations_never_block_anonymous_submissions(
    site: TestClient[Any], db: Database
) -> None:
    statuses = [site.post(EMPLOYERS, json=employer(n, f"guess-{n}")).status_code for n in range(25)]
    assert statuses[:GUESSES_ALLOWED] == [403] * GUESSES_ALLOWED
    assert set(statuses[GUESSES_ALLOWED:]) == {429}
    assert site.post(FEEDBACK, json=feedback(1)).status_code == 201
    assert site.post(FEEDBACK, json={**feedback(2), "invitation": "junk"}).status_code == 201


def test_losers_of_a_race_on_one_link_are_no_guesses(site: TestClient[Any], db: Database) -> None:
    used, fresh = invitations_create(db, "employers", 2)
    assert site.post(EMPLOYERS, json=employer(0, used)).status_code == 201
    again = [site.post(EMPLOYERS, json=employer(n, used)).status_code for n in range(1, 26)]
    assert set(again) == {403}
    assert site.post(EMPLOYERS, json=employer(99, fresh)).status_code == 201


def test_concurrent_posts_of_one_fresh_link_store_one_and_count_no_guess(
    site: TestClient[Any], db: Database
) -> None:
    """A double click, a retry and a shared link at once: the first to arrive is stored,
    the others are told the link was used, and none of them is a guess."""
    [token] = invitations_create(db, "employers", 1)
    start = threading.Barrier(GUESSES_ALLOWED)

    def post(number: int) -> int:
        start.wait(10)
        return site.post(EMPLOYERS, json=employer(number, token)).status_code

    with ThreadPoolExecutor(GUESSES_ALLOWED) as pool:
        statuses = Counter(pool.map(post, range(GUESSES_ALLOWED)))
    guesses = [
        site.post(EMPLOYERS, json=employer(100 + n, f"guess-{n}")).status_code
        for n in range(GUESSES_ALLOWED)
    ]

    assert statuses == {201: 1, 403: GUESSES_ALLOWED - 1}
    assert stored_count(db, "employers") == 1
    assert set(guesses) == {403}  # the whole bucket is left for wrong links


def test_wrong_resume_codes_hold_up_neither_submissions_nor_invitation_links(
    settings: Settings, db: Database
) -> None:
    with TestClient(app=create_app(settings)) as client:
        respondent = Respondent(client, "newcomer")
        data = {"_csrf_token": respondent.csrf(), **WRONG_CODE}
        for _ in range(GUESSES_ALLOWED):
            assert client.post("/s/newcomer/resume", data=data).status_code == 422
        assert client.post("/s/newcomer/resume", data=data).status_code == 429
        [token] = invitations_create(db, "company", 1)
        assert client.get(f"/s/company?invitation={token}").status_code == 200
        assert respondent.start().status_code in (200, 303)


def test_concurrent_wrong_resume_codes_are_counted_before_they_are_checked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = Counter[str]()
    lock = threading.Lock()
    resume = answering.draft_resume

    def slow_resume(*args: Any, **kwargs: Any) -> str | None:
        with lock:
            checked["codes"] += 1
        time.sleep(0.05)  # every request arrives while the first ones are being checked
        return resume(*args, **kwargs)

    monkeypatch.setattr(answering, "draft_resume", slow_resume)
    with TestClient(app=create_app(settings)) as client:
        data = {"_csrf_token": Respondent(client, "newcomer").csrf(), **WRONG_CODE}
        with ThreadPoolExecutor(16) as pool:
            statuses = Counter(
                pool.map(
                    lambda _: client.post("/s/newcomer/resume", data=data).status_code, range(60)
                )
            )
    assert statuses == {422: GUESSES_ALLOWED, 429: 60 - GUESSES_ALLOWED}
    assert checked["codes"] == GUESSES_ALLOWED


def test_an_encoded_invitation_key_counts_as_a_guess(settings: Settings, db: Database) -> None:
    with TestClient(app=create_app(settings)) as client:
        for guess in range(GUESSES_ALLOWED):
            assert client.get(f"/s/company?invit%61tion=guess{guess}").status_code == 404
        [token] = invitations_create(db, "company", 1)
        assert client.get(f"/s/company?invitation={token}").status_code == 429


def log_in(client: TestClient[Any], email: str, password: str, address: str) -> int:
    data = {"email": email, "password": password, "_csrf_token": csrf_token(client)}
    headers = {"x-client": address}
    return client.post("/login", data=data, headers=headers, follow_redirects=False).status_code


def test_wrong_passwords_elsewhere_never_lock_the_real_user_out(
    site: TestClient[Any], accounts: object
) -> None:
    email = "arbeit@netzwerk.example"
    attempts = [log_in(site, email, f"wrong-{n}-password", "203.0.113.9") for n in range(30)]
    assert attempts[:LOGIN_FAILURES_PER_ACCOUNT] == [401] * LOGIN_FAILURES_PER_ACCOUNT
    assert set(attempts[LOGIN_FAILURES_PER_ACCOUNT:]) == {429}
    assert log_in(site, email, PASSWORD, "198.51.100.7") == 303


def test_one_client_trying_many_accounts_is_slowed_down(
    site: TestClient[Any], accounts: object
) -> None:
    statuses = [
        log_in(site, f"person{n}@netzwerk.example", "wrong-password-x", "203.0.113.9")
        for n in range(60)
    ]
    allowed = LOGIN_FAILURES_PER_CLIENT
    assert statuses[:allowed] == [401] * allowed
    assert set(statuses[allowed:]) == {429}
