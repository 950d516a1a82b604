"""`/admin/district`: the office keeps the district profile in the browser; what it sets
fills the privacy notices and thank-you texts in every language, an empty field falls back
to `district.yaml`, and a refused field changes nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.services.audit import audit_events
from survey_app.settings import Settings
from tests.conftest import QUESTIONNAIRES, csrf_token, login

PROFILE = {
    "district": "Landkreis Bergland",
    "office": "Integrationsmanagement",
    "address": "Am Markt 3, 54321 Bergstadt",
    "email": "integration@bergland.example",
    "dpo": "Frau Beispiel, datenschutz@bergland.example",
    "supervisory_authority": "",
}


@pytest.fixture
def office(settings: Settings, accounts: Any, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """The app on a copy of the project's questionnaires (with their district.yaml),
    an admin logged in."""
    questionnaires = tmp_path / "questionnaires"
    questionnaires.mkdir()
    for path in QUESTIONNAIRES.iterdir():
        if path.is_file():
            (questionnaires / path.name).write_bytes(path.read_bytes())
    settings = dataclasses.replace(settings, questionnaires=questionnaires)
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client


def save(client: TestClient[Any], **fields: str) -> Any:
    data = {"_csrf_token": csrf_token(client, "/admin/district"), **fields}
    return client.post("/admin/district", data=data)


def test_the_profile_set_in_the_browser_fills_the_privacy_notice_in_every_language(
    office: TestClient[Any], db: Database
) -> None:
    saved = save(office, **PROFILE)

    assert saved.status_code == 200
    assert "Gespeichert" in saved.text
    assert 'value="Landkreis Bergland"' in office.get("/admin/district").text
    for language in ("de", "ar", "fa"):
        page = office.get("/s/newcomer", params={"lang": language}).text
        assert "Landkreis Bergland" in page, language
        assert "Am Markt 3, 54321 Bergstadt" in page, language
        assert "Landkreis Musterland" not in page, language
    [event] = [e for e in audit_events(db) if e.action == "district_save"]
    assert json.loads(event.detail)["changed"] == ["address", "district", "dpo", "email", "office"]


def test_an_empty_field_shows_what_district_yaml_says(office: TestClient[Any]) -> None:
    save(office, **PROFILE)
    save(office, **(PROFILE | {"address": ""}))

    page = office.get("/s/newcomer", params={"lang": "de"}).text

    assert "Landkreis Bergland" in page
    assert "Musterstraße 1, 12345 Musterstadt" in page  # district.yaml's address


def test_a_field_too_long_or_with_control_characters_changes_nothing(
    office: TestClient[Any],
) -> None:
    refused = save(office, **(PROFILE | {"address": "x" * 301, "email": "a\u202eb@c.de"}))

    assert refused.status_code == 422
    assert "Höchstens 300 Zeichen." in refused.text
    assert "Bitte nur sichtbare Zeichen." in refused.text
    assert 'value="Landkreis Bergland"' in refused.text  # what was typed stays in the form
    assert "Landkreis Musterland" in office.get("/s/newcomer", params={"lang": "de"}).text


def test_members_cannot_change_the_profile(settings: Settings, accounts: Any) -> None:
    with TestClient(app=create_app(settings)) as client:
        login(client, "arbeit")
        response = client.post(
            "/admin/district",
            data={"_csrf_token": csrf_token(client, "/results"), "district": "Fremdkreis"},
        )
        assert response.status_code == 403
        assert "Fremdkreis" not in client.get("/s/newcomer").text


@pytest.fixture
def production_office(
    settings: Settings, accounts: Any, tmp_path: Path
) -> Iterator[TestClient[Any]]:
    """A production server whose district profile still holds the example values (the
    project's district.yaml names Landkreis Musterland), an admin logged in."""
    settings = dataclasses.replace(
        settings, environment="production", base_url="http://umfrage.bergland.example"
    )
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client


def test_in_production_a_survey_naming_the_example_district_takes_no_answers(
    production_office: TestClient[Any],
) -> None:
    page = production_office.get("/s/newcomer", params={"lang": "de"})
    overview = production_office.get("/admin").text

    assert page.status_code == 403
    assert "Landkreis Musterland" not in page.text
    assert "/s/newcomer" not in production_office.get("/").text  # not offered either
    assert "Wartet auf das Bezirksprofil" in overview
    assert "Landkreis, Anschrift, E-Mail für Fragen, Datenschutzbeauftragte/r" in overview


def test_in_production_opening_waits_for_the_profile_then_answers_are_taken(
    production_office: TestClient[Any],
) -> None:
    client = production_office
    token = csrf_token(client, "/admin")
    client.post("/admin/surveys/newcomer/close", data={"confirmed": "yes", "_csrf_token": token})

    asked = client.post("/admin/surveys/newcomer/open", data={"_csrf_token": token})
    refused = client.post(
        "/admin/surveys/newcomer/open", data={"confirmed": "yes", "_csrf_token": token}
    )

    assert "vorher kann die Umfrage nicht öffnen" in asked.text
    assert "Ja, öffnen" not in asked.text
    assert refused.status_code == 422
    assert "erst öffnen, wenn das Bezirksprofil" in refused.text
    assert "Geschlossen" in refused.text

    save(client, **(PROFILE | {"supervisory_authority": "LfD Niedersachsen"}))
    opened = client.post(
        "/admin/surveys/newcomer/open", data={"confirmed": "yes", "_csrf_token": token}
    )
    page = client.get("/s/newcomer", params={"lang": "de"})

    assert opened.status_code == 200  # the overview, after the redirect
    assert "<strong>Offen</strong>" in opened.text
    assert page.status_code == 200
    assert "Landkreis Bergland" in page.text
    assert "/s/newcomer" in client.get("/").text


def test_in_development_the_example_district_is_fine(office: TestClient[Any]) -> None:
    page = office.get("/s/newcomer", params={"lang": "de"})

    assert page.status_code == 200
    assert "Landkreis Musterland" in page.text
    assert "Wartet auf das Bezirksprofil" not in office.get("/admin").text
