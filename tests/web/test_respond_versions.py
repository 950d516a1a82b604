"""A new questionnaire version while people are answering: a draft continues at its
page, and only what the new version newly requires is asked, before sending."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import Submission, SurveyVersion
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.surveys import publish_questionnaire
from survey_app.settings import Settings
from tests.conftest import QUESTIONNAIRES
from tests.web.respondent import Respondent

YES_NO = [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]


def question(name: str, kind: str = "text", **fields: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": {"en": name.title()}, **fields}


FIRST: dict[str, Any] = {
    "id": "moving",
    "title": {"en": "Moving"},
    "languages": ["en"],
    "default_language": "en",
    "privacy_notice": {"en": "Anonymous."},
    "choices": {"yes_no": YES_NO},
    "pages": [
        {
            "name": "home",
            "questions": [
                question("moved", "select_one", choices="yes_no", required=True),
                question("district"),
            ],
        },
        {"name": "work", "questions": [question("job")]},
        {"name": "last", "questions": [question("comment")]},
    ],
}


def second_version() -> Questionnaire:
    """Adds a page at the front and makes `district` required."""
    definition = json.loads(json.dumps(FIRST))
    definition["pages"].insert(
        0, {"name": "welcome", "questions": [question("welcome_note", "note")]}
    )
    definition["pages"][1]["questions"][1]["required"] = True
    return Questionnaire.model_validate(definition)


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient[Any]]:
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    shutil.copy(QUESTIONNAIRES / "working_groups.yaml", folder)
    (folder / "moving.yaml").write_text(yaml.safe_dump(FIRST), encoding="utf-8")
    app = create_app(dataclasses.replace(settings, questionnaires=folder))
    with TestClient(app=app) as test_client:
        yield test_client


def at_the_last_page(client: TestClient[Any]) -> Respondent:
    respondent = Respondent(client, "moving")
    respondent.start("en")
    respondent.post(0, {"moved": "yes"})
    page = respondent.post(1, {"job": "Cook"})
    assert str(page.url).endswith("/s/moving/p/last?lang=en")
    return respondent


def test_a_draft_of_an_earlier_version_continues_at_its_page(
    client: TestClient[Any], db: Database
) -> None:
    at_the_last_page(client)
    publish_questionnaire(db, second_version())
    page = client.get("/s/moving")
    assert str(page.url).endswith("/s/moving/p/last?lang=en")
    assert "Page 4 of 4" in page.text


def test_only_a_newly_required_answer_is_asked_before_sending(
    client: TestClient[Any], db: Database
) -> None:
    respondent = at_the_last_page(client)
    publish_questionnaire(db, second_version())
    client.get("/s/moving")

    refused = respondent.post(3, {"comment": "Fine"}, action="submit")

    assert refused.status_code == 422
    assert "Page 2 of 4" in refused.text
    assert '<p class="error-message" id="q-district-error">' in refused.text
    assert "Before we can send your answers, please answer the questions marked here." in (
        refused.text
    )
    assert '<input type="hidden" name="nav:review" value="1">' in refused.text
    assert re.search(r'value="yes" checked', refused.text)

    back_to_send = respondent.post(1, {"moved": "yes", "district": "Nord"}, **{"nav:review": "1"})
    assert str(back_to_send.url).endswith("/s/moving/p/last?lang=en")
    assert 'value="submit"' in back_to_send.text
    thanks = respondent.post(3, {"comment": "Fine"}, action="submit")
    assert thanks.url.path == "/s/moving/thanks"

    with db.read() as session:
        [(answers, version)] = session.exec(
            select(Submission.answers, SurveyVersion.number).join(
                SurveyVersion,
                col(SurveyVersion.id) == col(Submission.version_id),
            )
        ).all()
    assert version == 2
    assert json.loads(answers) == {
        "moved": "yes",
        "district": "Nord",
        "job": "Cook",
        "comment": "Fine",
    }
