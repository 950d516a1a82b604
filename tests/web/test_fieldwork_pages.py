"""The fieldwork monitor: responses per day (every day, also those without any), per
language (also languages nobody answered in yet) and version, pages vs API, answers
started and not sent, demo responses apart, how far the invitations by e-mail got;
admins only."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Invitation, Recipient, Submission
from survey_app.services.demo import store_demo_responses
from survey_app.services.fieldwork import Mailing, fieldwork
from survey_app.services.mailing import Letter, RecipientRow, invitations_send, recipients_add
from survey_app.settings import Settings
from tests.api.test_releases import send
from tests.conftest import login
from tests.web.respondent import Respondent
from tests.web.test_review_pages import office  # noqa: F401 - the fixture

NEWCOMER_ANSWERS = {
    "arrival_year": "y2018_2021",
    "german_level": "a2",
    "integration_course": "attending",
    "main_activity": "employed",
    "housing_situation": "own_flat",
}


def test_the_office_sees_every_day_language_and_the_unsent_answers(
    office: tuple[TestClient[Any], Settings],  # noqa: F811
) -> None:
    client, settings = office
    send(client, [{"a": "x"}] * 3)
    sender = Respondent(client, survey="audit")
    sender.start("de")
    sender.answer_page(0, {"a": "y"}, action="submit")
    Respondent(client, survey="audit").start("en")  # started, never sent
    db = Database(settings.database_url)
    today = datetime.datetime.now(datetime.UTC).date()
    with db.write() as session:
        session.execute(
            update(Submission)
            .where(col(Submission.submission_id) == "r-0")
            .values(created_on=today - datetime.timedelta(days=3))
        )

    figures = fieldwork(db, "audit", today=today)
    login(client, "admin")
    page = client.get("/admin/surveys/audit/fieldwork")
    login(client, "arbeit")
    member = client.get("/admin/surveys/audit/fieldwork")
    db.dispose()

    assert [count for _day, count in figures.days] == [1, 0, 0, 3]
    assert figures.languages == [("de", 4), ("en", 0)]
    assert (figures.responses, figures.from_pages, figures.open_drafts) == (4, 1, 1)
    assert figures.versions == [(1, 4)]
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert "<td>en</td><td>0</td>" in page.text
    assert member.status_code == 403


def test_demo_responses_are_counted_apart_and_nowhere_else(
    settings: Settings, accounts: Any, db: Database
) -> None:
    with TestClient(app=create_app(settings)) as client:
        real = client.post(
            "/api/v1/surveys/newcomer/responses",
            json={"submission_id": "real-1", "language": "ar", "answers": NEWCOMER_ANSWERS},
        )
        store_demo_responses(db, "newcomer", 12, seed=3)
        login(client, "admin")
        page = client.get("/admin/surveys/newcomer/fieldwork")

    figures = fieldwork(db, "newcomer")
    assert real.status_code == 201, real.text
    assert (figures.responses, figures.demo) == (1, 12)
    assert sum(count for _day, count in figures.days) == 1
    assert sum(count for _language, count in figures.languages) == 1
    assert figures.versions == [(1, 1)]
    assert "<dt>Demo-Antworten</dt><dd>12, auf dieser Seite nirgends mitgezählt" in page.text
    assert "<code>survey-app demo newcomer --remove</code>" in page.text


class Postbox:
    """A mail server that refuses the letters to `refused` and takes the others."""

    def __init__(self, refused: str) -> None:
        self.refused = refused

    def send(self, letters: Sequence[Letter], sender: str) -> list[str]:
        return ["550 no such mailbox" if one.to == self.refused else "" for one in letters]


def test_the_office_sees_how_far_the_invitations_by_email_got(
    settings: Settings, accounts: Any, db: Database
) -> None:
    def mail(*, remind: bool) -> None:
        invitations_send(
            db,
            "company",
            mailer=Postbox(refused="weg@betrieb.example"),
            base_url="https://umfrage.lk.example",
            secret=settings.secret_key,
            sender="integration@lk.example",
            actor="test",
            remind=remind,
        )

    with TestClient(app=create_app(settings)) as client:
        emails = ["a@betrieb.example", "b@betrieb.example", "c@betrieb.example"]
        rows = [RecipientRow(email=e) for e in [*emails, "weg@betrieb.example"]]
        recipients_add(db, "company", rows, secret=settings.secret_key, actor="test")
        mail(remind=False)
        with db.write() as session:  # a@ answers (through its link)
            answered = select(Recipient.invitation_id).where(Recipient.email == emails[0])
            session.execute(
                update(Invitation)
                .where(col(Invitation.id).in_(answered))
                .values(used_on=datetime.datetime.now(datetime.UTC).date())
            )
        mail(remind=True)
        login(client, "admin")
        page = client.get("/admin/surveys/company/fieldwork")

    assert fieldwork(db, "company").mailing == Mailing(
        recipients=4, invited=3, reminded=2, answered=1, failed=1
    )
    for name, count in [
        ("Empfänger per E-Mail", 4),
        ("eingeladen", 3),
        ("erinnert", 2),
        ("geantwortet", 1),
        ("Fehler beim Versand", 1),
    ]:
        assert f"<dt>{name}</dt><dd>{count}</dd>" in page.text
    assert "<dt>Persönliche Links</dt><dd>4 erstellt, 1 beantwortet</dd>" in page.text
