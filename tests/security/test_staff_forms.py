"""Control characters in what the office types are refused where its forms are read:
the same 422 with a message in the staff language on SQLite and PostgreSQL (which
refused a NUL only when storing it, with a 400 SQLite never gave), and nothing stored.
A value the database still refuses is a 400, never a 500."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, post
from litestar.testing import TestClient
from sqlalchemy.exc import DataError
from sqlmodel import col, select

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.db.tables import AuditEvent
from survey_app.settings import Settings
from survey_app.web.errors import exception_handlers
from tests.conftest import csrf_token, login
from tests.services.test_texts import HELP, VOICES
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

NUL = "Test\u0000antwort"
REFUSED_DE = "Steuerzeichen"
REFUSED_EN = "control characters"
TEXTS = "/admin/surveys/voices/texts/help_most"


@dataclasses.dataclass(frozen=True)
class Office:
    client: TestClient[Any]
    settings: Settings
    response: int  # a stored response of the voices survey

    def post(self, path: str, data: dict[str, Any], **files: Any) -> Any:
        token = csrf_token(self.client, "/admin")
        return self.client.post(
            path.format(pk=self.response),
            data={**data, "_csrf_token": token},
            files=files or None,
            headers={"accept": "text/html"},
            follow_redirects=False,
        )


@pytest.fixture
def office(settings: Settings, accounts: Any, tmp_path: Path) -> Iterator[Office]:
    """The voices survey (free texts) with seven responses and the employers survey
    (invitations), an admin logged in."""
    questionnaires = tmp_path / "questionnaires"
    shutil.copytree(STORAGE_QUESTIONNAIRES, questionnaires)
    shutil.copy(VOICES / "voices.yaml", questionnaires)
    settings = dataclasses.replace(settings, questionnaires=questionnaires)
    with TestClient(app=create_app(settings)) as client:
        for index, text in enumerate(HELP):
            answers = {"course": "yes" if index % 2 else "no", "help_most": text}
            stored = client.post(
                "/api/v1/surveys/voices/responses",
                json={"submission_id": f"v-{index}", "language": "de", "answers": answers},
            )
            assert stored.status_code == 201, stored.text
        login(client, "admin")
        listing = client.get("/admin/surveys/voices/responses").text
        first = int(re.findall(r'/responses/(\d+)">', listing)[0])
        yield Office(client, settings, first)


def changes(settings: Settings) -> list[str]:
    """The audited changes, in order (every change of the office is audited; views are
    left out)."""
    db = Database(settings.database_url)
    with db.read() as session:
        actions = list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))))
    db.dispose()
    return [action for action in actions if action != "response_viewed"]


YAML = (VOICES / "voices.yaml").read_bytes()
RECIPIENTS = "E-Mail;Firma\r\ninfo@baecker.example;Bäckerei\u0000Müller\r\n".encode()

# Every form of the staff pages that takes text, with a control character in it.
STAFF_FORMS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "exclusion reason": (
        "/admin/surveys/voices/responses/{pk}/status",
        {"new_status": "excluded", "reason": NUL},
        {},
    ),
    "status": (
        "/admin/surveys/voices/responses/{pk}/status",
        {"new_status": "excluded\u0000", "reason": "Dublette"},
        {},
    ),
    "reason for a selection": (
        "/admin/surveys/voices/responses/status",
        {"new_status": "excluded", "reason": NUL, "order": "fastest"},
        {},
    ),
    "redacted text": (TEXTS + "/answers/{pk}", {"text": NUL, "translation": ""}, {}),
    "translation": (TEXTS + "/answers/{pk}", {"text": "Sprachkurs", "translation": NUL}, {}),
    "category": (TEXTS + "/categories", {"label": NUL}, {}),
    "release note": ("/admin/surveys/voices/release", {"note": NUL}, {}),
    "district": ("/admin/district", {"district": NUL}, {}),
    "invitation label": (
        "/admin/surveys/employers/invitations",
        {"count": "1", "format": "csv", "label": NUL},
        {},
    ),
    "new account": (
        "/admin/users",
        {"email": "neu\u0000@landkreis.example", "password": "ein langes Passwort 2026"},
        {},
    ),
    "password": ("/admin/users/1/password", {"password": "ein langes\u0000Passwort"}, {}),
    "breakdown": ("/results/arbeit/breakdowns", {"survey": "voices", "by": "course\u0007"}, {}),
    "recipients file": (
        "/admin/surveys/employers/recipients",
        {},
        {"file": ("liste.csv", RECIPIENTS, "text/csv")},
    ),
    "open confirmation": ("/admin/surveys/voices/close", {"confirmed": "yes\u001b"}, {}),
}


@pytest.mark.parametrize("form", list(STAFF_FORMS))
def test_control_characters_in_a_staff_form_are_refused_with_422(office: Office, form: str) -> None:
    path, data, files = STAFF_FORMS[form]
    before = changes(office.settings)

    response = office.post(path, data, **files)

    assert response.status_code == 422, response.text
    assert REFUSED_DE in response.text
    assert changes(office.settings) == before


def test_the_refusal_speaks_the_staff_language(office: Office) -> None:
    path, data, _files = STAFF_FORMS["exclusion reason"]
    response = office.post(path + "?lang=en", data)

    assert response.status_code == 422
    assert REFUSED_EN in response.text


@pytest.mark.parametrize(
    "text", ["Zeile eins\r\nZeile zwei", "Spalte\tSpalte", "Ünïcödé – „Anführung“ ١٢٣"]
)
def test_line_breaks_tabs_and_any_visible_text_are_kept(office: Office, text: str) -> None:
    path, data, _files = STAFF_FORMS["exclusion reason"]
    response = office.post(path, {**data, "reason": text})

    assert response.status_code == 303
    assert changes(office.settings)[-1] == "responses_excluded"


def test_a_value_the_database_refuses_is_400_not_500() -> None:
    """Whatever check misses a value the database will not store, the answer says so."""

    @post("/refused", sync_to_thread=False)
    def refused() -> None:
        raise DataError("INSERT ...", {"reason": NUL}, Exception("invalid byte sequence"))

    app = Litestar([refused], exception_handlers=exception_handlers())
    with TestClient(app=app) as client:
        response = client.post("/refused")

    assert response.status_code == 400
    assert "cannot be stored" in response.json()["detail"]
    assert NUL not in response.text
