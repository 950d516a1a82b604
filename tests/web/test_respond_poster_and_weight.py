"""QR posters (page and CLI) and the weight of the newcomer's first pages."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from httpx import Response
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.services.district import district_logo_save, district_save
from survey_app.settings import Settings
from tests.web.respondent import Respondent

PAGE_WEIGHT_LIMIT = 60 * 1024


def svg_of(html: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", html, re.DOTALL)
    assert match, html[:500]
    return match.group(0)


def test_the_poster_has_the_title_the_link_and_an_svg_qr_code(client: TestClient[Any]) -> None:
    poster = client.get("/s/newcomer/poster?lang=ar")
    assert poster.status_code == 200
    assert '<html lang="ar" dir="rtl">' in poster.text
    assert "الاستقرار في منطقتنا – رأيك يهمنا" in poster.text
    assert "http://127.0.0.1:8000/s/newcomer?lang=ar" in poster.text
    svg = svg_of(poster.text)
    assert "<path" in svg
    assert "viewBox=" in svg


def test_the_poster_names_the_district_that_asks(client: TestClient[Any], db: Database) -> None:
    before = client.get("/s/newcomer/poster?lang=ar").text
    district_save(db, {"district": "Landkreis Bergland"}, actor="test")
    after = client.get("/s/newcomer/poster?lang=ar").text

    assert "Landkreis Musterland – Integrationsmanagement" in before  # district.yaml
    assert "Landkreis Bergland – Integrationsmanagement" in after


def test_the_poster_qr_code_has_no_script_and_no_inline_style(client: TestClient[Any]) -> None:
    poster = client.get("/s/newcomer/poster?lang=de").text
    assert "<script" not in poster
    assert "style=" not in poster
    assert "<style" not in poster


def test_a_poster_linking_to_this_computer_says_it_is_not_for_printing(
    client: TestClient[Any], settings: Settings
) -> None:
    arabic = client.get("/s/newcomer/poster?lang=ar").text
    english = client.get("/s/newcomer/poster?lang=en").text
    public = dataclasses.replace(settings, base_url="https://umfrage.example.org")
    with TestClient(app=create_app(public)) as other:
        public_poster = other.get("/s/newcomer/poster?lang=ar").text

    # For the office, in its language (German unless the poster is English).
    assert '<p class="poster-warning" role="note" lang="de" dir="ltr">Nicht zum Aushängen' in arabic
    assert "(http://127.0.0.1:8000)" in arabic
    assert "Not for printing" in english
    assert "poster-warning" not in public_poster
    assert "https://umfrage.example.org/s/newcomer?lang=ar" in public_poster


def test_an_invitation_survey_has_no_poster(client: TestClient[Any]) -> None:
    assert client.get("/s/company/poster").status_code == 403


@pytest.fixture
def cli_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SURVEY_QUESTIONNAIRES", str(settings.questionnaires))
    monkeypatch.setenv("SURVEY_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("SURVEY_BASE_URL", "https://umfrage.example.org")


@pytest.mark.usefixtures("cli_environment")
def test_the_poster_command_writes_a_standalone_page(tmp_path: Path) -> None:
    output = tmp_path / "poster-fa.html"
    result = CliRunner().invoke(
        main, ["poster", "newcomer", "--lang", "fa", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in html
    assert "https://umfrage.example.org/s/newcomer?lang=fa" in html
    assert "@page { size: A4" in html
    assert "<path" in svg_of(html)
    assert "Landkreis Musterland – Integrationsmanagement" in html


@pytest.mark.usefixtures("cli_environment")
def test_the_poster_command_warns_of_a_link_to_this_computer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_BASE_URL", "http://localhost:8000")
    output = tmp_path / "poster-de.html"

    result = CliRunner().invoke(main, ["poster", "newcomer", "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert "warning: the link points to this computer (http://localhost:8000)" in result.output
    assert "Nicht zum Aushängen" in output.read_text(encoding="utf-8")


@pytest.mark.usefixtures("cli_environment")
def test_the_poster_command_shows_the_district_logo_inline(tmp_path: Path, db: Database) -> None:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (300, 100), (0, 90, 160)).save(png, format="PNG")
    district_logo_save(db, png.getvalue(), actor="test")
    output = tmp_path / "poster-de.html"

    result = CliRunner().invoke(main, ["poster", "newcomer", "--output", str(output)])

    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert '<img class="district-logo poster-logo" src="data:image/png;base64,' in html
    assert 'alt="Landkreis Musterland"' in html


@pytest.mark.usefixtures("cli_environment")
def test_the_poster_command_writes_the_qr_code_alone(tmp_path: Path) -> None:
    output = tmp_path / "qr.svg"
    result = CliRunner().invoke(main, ["poster", "newcomer", "--output", str(output)])
    assert result.exit_code == 0, result.output
    svg = output.read_text(encoding="utf-8")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


@pytest.mark.usefixtures("cli_environment")
def test_the_poster_command_refuses_an_unknown_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["poster", "newcomer", "--lang", "xx", "--output", str(tmp_path / "p.html")]
    )
    assert result.exit_code == 1
    assert "no language 'xx'" in result.output


def transferred_bytes(client: TestClient[Any], response: Response) -> int:
    """Compressed bytes of a page and of every stylesheet and script it loads."""
    total = response.num_bytes_downloaded
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', response.text)
    assert len(assets) == 3  # app.css, htmx.min.js, respond.js
    for url in assets:
        asset = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert asset.headers["content-encoding"] == "gzip"
        total += asset.num_bytes_downloaded
    return total


def test_the_newcomer_first_pages_weigh_under_60_kb_compressed(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    start = respondent.open(headers={"Accept-Encoding": "gzip"}, lang="ar")
    assert start.headers["content-encoding"] == "gzip"
    first_question = respondent.start("ar")
    first_question = respondent.open(headers={"Accept-Encoding": "gzip"})
    assert "الصفحة 1 من 7" in first_question.text
    assert transferred_bytes(client, start) < PAGE_WEIGHT_LIMIT
    assert transferred_bytes(client, first_question) < PAGE_WEIGHT_LIMIT
