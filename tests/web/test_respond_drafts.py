"""Save and resume on the survey pages: the draft cookie, resume codes, expiry, deletion."""

from __future__ import annotations

import datetime
import re
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import col, func, select

from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Submission
from tests.web.respondent import NEWCOMER_PAGES, Respondent


def continue_later(respondent: Respondent, page: int, answers: dict[str, Any]) -> str:
    """Press "Continue later" and return the resume code shown."""
    shown = respondent.post(page, answers, action="save")
    assert shown.status_code == 200
    match = re.search(r'<p class="resume-code"[^>]*>([A-Z0-9-]+)</p>', shown.text)
    assert match, shown.text
    return match.group(1)


def another_browser(client: TestClient[Any]) -> Respondent:
    client.cookies.clear()
    return Respondent(client)


def test_draft_cookie_is_httponly_lax_and_scoped_to_the_survey(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.open()
    started = client.post(
        respondent.url(),
        data={"_csrf_token": respondent.csrf(), "nav:action": "start"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    cookie = started.headers["set-cookie"].lower()
    assert cookie.startswith("survey_draft=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/s/newcomer" in cookie


def test_the_draft_key_is_stored_only_as_a_hash(client: TestClient[Any], db: Database) -> None:
    Respondent(client).start()
    key = client.cookies.get("survey_draft")
    with db.read() as session:
        [draft] = session.exec(select(Draft)).all()
    assert key
    assert key not in draft.key_hash
    assert len(draft.key_hash) == 64


def test_answers_are_resumed_in_the_same_browser(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0] | {"age_group": "a45_54"})
    respondent.post(1, {"german_level": "b2"}, action="back")
    again = respondent.open()
    assert "Seite 1 von 7" in again.text
    assert re.search(r'value="a45_54" checked', again.text)


def test_a_resume_code_continues_on_another_device(client: TestClient[Any]) -> None:
    first = Respondent(client)
    first.start("uk")
    first.post(0, NEWCOMER_PAGES[0], language="uk")
    code = continue_later(first, 1, {"german_level": "b1"})
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    second = another_browser(client)
    assert "Сторінка" not in second.open().text
    second.open(lang="de")
    resumed = client.post(
        second.url("/resume"), data={"_csrf_token": second.csrf(), "code": code.lower()}
    )
    assert resumed.url.path == "/s/newcomer/p/language"
    assert "Сторінка 2 з 7" in resumed.text
    assert re.search(r'value="b1" checked', resumed.text)


def test_a_wrong_resume_code_is_refused(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.open()
    refused = client.post(
        respondent.url("/resume"), data={"_csrf_token": respondent.csrf(), "code": "AAAAA-AAAAA"}
    )
    assert refused.status_code == 422
    assert "Dieser Code ist ungültig oder abgelaufen." in refused.text
    assert 'aria-invalid="true"' in refused.text


def test_an_expired_draft_is_not_resumed(client: TestClient[Any], db: Database) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    with db.write() as session:
        session.execute(update(Draft).values(expires_on=yesterday))
    page = respondent.open()
    assert 'value="start"' in page.text
    assert "Seite 2 von 7" not in page.text


def test_posting_to_an_expired_draft_asks_to_start_again(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.start()
    with db.write() as session:
        session.execute(update(Draft).values(expires_on=datetime.date(2020, 1, 1)))
    page = respondent.post(0, NEWCOMER_PAGES[0])
    assert "Ihre gespeicherten Antworten wurden nicht gefunden." in page.text


def test_saved_answers_can_be_deleted_with_the_resume_code(
    client: TestClient[Any], db: Database
) -> None:
    respondent = Respondent(client)
    respondent.start()
    code = continue_later(respondent, 0, NEWCOMER_PAGES[0])
    deleted = client.post(
        respondent.url("/resume"),
        data={"_csrf_token": respondent.csrf(), "code": code, "nav:action": "delete"},
    )
    assert "Ihre gespeicherten Antworten wurden gelöscht." in deleted.text
    with db.read() as session:
        assert session.exec(select(func.count(col(Draft.id)))).one() == 0


def test_drafts_are_never_counted_as_submissions(client: TestClient[Any], db: Database) -> None:
    respondent = Respondent(client)
    respondent.start()
    for index, answers in enumerate(NEWCOMER_PAGES[:-1]):
        respondent.post(index, answers)
    with db.read() as session:
        assert session.exec(select(func.count(col(Submission.id)))).one() == 0
        assert session.exec(select(func.count(col(Draft.id)))).one() == 1


def test_the_draft_is_deleted_after_sending(client: TestClient[Any], db: Database) -> None:
    Respondent(client).answer_all(NEWCOMER_PAGES)
    with db.read() as session:
        assert session.exec(select(func.count(col(Draft.id)))).one() == 0
    assert client.cookies.get("survey_draft") is None
