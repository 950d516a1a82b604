"""The fieldwork monitor: responses per day (every day, also those without any), per
language (also languages nobody answered in yet) and version, pages vs API, answers
started and not sent; admins only."""

from __future__ import annotations

import datetime
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import col

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.services.fieldwork import fieldwork
from survey_app.settings import Settings
from tests.api.test_releases import send
from tests.conftest import login
from tests.web.respondent import Respondent
from tests.web.test_review_pages import office  # noqa: F401 - the fixture


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
