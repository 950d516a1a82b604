"""The company survey through personal invitation links: missing, unknown and used
links get clear pages; a valid link resumes its draft, in any browser."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Invitation, Submission
from survey_app.services.invitations import invitations_create
from tests.web.respondent import Answers, Respondent

COMPANY_PAGES: list[Answers] = [
    {"sector": "wz_c", "company_size": "s10_49"},
    {"vacancies_now": "yes", "vacancies_count": "3"},
    {"migrant_employment_5y": "no"},
    {},
    {},
    {"comment": "Gute Idee."},
]


@pytest.fixture
def token(client: TestClient[Any], db: Database) -> str:
    [created] = invitations_create(db, "company", 1)
    return created


def test_an_invitation_survey_without_a_link_explains_the_personal_link(
    client: TestClient[Any],
) -> None:
    page = client.get("/s/company", headers={"Accept-Language": "de"})
    assert page.status_code == 403
    assert "Persönlicher Link nötig" in page.text


def test_an_unknown_invitation_gets_a_clear_page(client: TestClient[Any], token: str) -> None:
    page = Respondent(client, "company", invitation=token[:-2] + "xx").open(lang="en")
    assert page.status_code == 404
    assert "This link is not valid" in page.text
    assert "<html" in page.text


def test_a_valid_invitation_starts_the_survey(client: TestClient[Any], token: str) -> None:
    respondent = Respondent(client, "company", invitation=token)
    page = respondent.start()
    assert page.status_code == 200
    assert "Seite 1 von 6" in page.text
    assert f'action="/s/company/p/company_profile?invitation={token}&amp;lang=de"' in page.text
    assert client.cookies.get("survey_draft") is None


def test_a_number_error_keeps_the_answers(client: TestClient[Any], token: str) -> None:
    respondent = Respondent(client, "company", invitation=token)
    respondent.start()
    respondent.post(0, COMPANY_PAGES[0])
    page = respondent.post(1, {"vacancies_now": "yes", "vacancies_count": "drei"})
    assert page.status_code == 422
    assert "Bitte geben Sie eine ganze Zahl ein." in page.text
    assert re.search(r'inputmode="numeric"[^>]*value="drei"', page.text)


def test_the_invitation_resumes_in_another_browser(
    client: TestClient[Any], db: Database, token: str
) -> None:
    first_sitting = Respondent(client, "company", invitation=token)
    first_sitting.start()
    first_sitting.post(0, COMPANY_PAGES[0])
    client.cookies.clear()
    second_sitting = Respondent(client, "company", invitation=token)
    page = second_sitting.open()
    assert "Seite 2 von 6" in page.text
    back = second_sitting.post(1, {}, action="back")
    assert re.search(r'value="s10_49" checked', back.text)
    with db.read() as session:
        [draft] = session.exec(select(Draft)).all()
        invitation = session.exec(select(Invitation)).one()
    assert draft.invitation_id == invitation.id


def test_an_invitation_is_answered_over_two_sittings_and_then_used(
    client: TestClient[Any], db: Database, token: str
) -> None:
    first_sitting = Respondent(client, "company", invitation=token)
    first_sitting.start()
    for index in range(3):
        first_sitting.answer_page(index, COMPANY_PAGES[index])
    client.cookies.clear()
    second_sitting = Respondent(client, "company", invitation=token)
    assert "Seite 4 von 6" in second_sitting.open().text
    for index in range(3, 6):
        action = "submit" if index == 5 else "next"
        page = second_sitting.answer_page(index, COMPANY_PAGES[index], action)
    assert page.url.path == "/s/company/thanks"
    assert "Vielen Dank!" in page.text
    with db.read() as session:
        [submission] = session.exec(select(Submission)).all()
        invitation = session.exec(select(Invitation)).one()
    assert invitation.submission_pk == submission.id
    assert json.loads(submission.answers)["vacancies_count"] == 3
    used = second_sitting.open()
    assert used.status_code == 403
    assert "Bereits beantwortet" in used.text


def test_continue_later_points_to_the_personal_link(client: TestClient[Any], token: str) -> None:
    respondent = Respondent(client, "company", invitation=token)
    respondent.start("en")
    saved = respondent.post(0, COMPANY_PAGES[0], action="save")
    assert "Open your personal invitation link again to continue." in saved.text
    assert 'class="resume-code"' not in saved.text


@pytest.mark.parametrize("step", ["autosave", "refresh"])
def test_a_change_arriving_after_the_answers_were_sent_is_dropped_quietly(
    client: TestClient[Any], db: Database, token: str, step: str
) -> None:
    """A comment typed and Send tapped at once: the change's request may arrive after the
    answers were stored. The link is used by then; the late request keeps nothing and is
    no error (the browser has moved on to the thanks page)."""
    respondent = Respondent(client, "company", invitation=token)
    respondent.answer_all(COMPANY_PAGES)

    late = client.post(
        f"/s/company/p/offers/{step}?invitation={token}&lang=de",
        data={"_csrf_token": respondent.csrf(), "comment": "typed before Send"},
        headers={"HX-Request": "true", "HX-Trigger": "question-comment"},
    )

    assert late.status_code == 204
    assert late.content == b""
    with db.read() as session:
        assert session.exec(select(Draft)).all() == []
        [stored] = session.exec(select(Submission)).all()
    assert json.loads(stored.answers)["comment"] == "Gute Idee."
