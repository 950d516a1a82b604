"""`/admin/district`: the office keeps the district profile in the browser; what it sets
fills the privacy notices and thank-you texts in every language, an empty field falls back
to `district.yaml`, and a refused field changes nothing."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.services.audit import audit_events
from survey_app.services.demo import store_demo_responses
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


def test_the_office_keeps_a_phone_number_for_questions(
    office: TestClient[Any], db: Database
) -> None:
    page = office.get("/admin/district").text
    saved = save(office, **(PROFILE | {"phone": "05151 903-0"}))

    assert '<label for="district-phone">Telefon für Fragen</label>' in page
    assert 'name="phone" type="tel"' in page
    assert "leer: 01234 567-0" in page  # district.yaml's example number
    assert saved.status_code == 200
    assert 'value="05151 903-0"' in saved.text
    [event] = [e for e in audit_events(db) if e.action == "district_save"]
    assert "phone" in json.loads(event.detail)["changed"]


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


# -- the logo ------------------------------------------------------------------------------


def image_file(size: tuple[int, int], image_format: str = "PNG", **save: Any) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 160)).save(out, format=image_format, **save)
    return out.getvalue()


def upload_logo(client: TestClient[Any], name: str, data: bytes, media_type: str) -> Any:
    return client.post(
        "/admin/district/logo",
        data={"_csrf_token": csrf_token(client, "/admin/district")},
        files={"logo": (name, data, media_type)},
    )


def logo_on_report(client: TestClient[Any], db: Database) -> str:
    store_demo_responses(db, "newcomer", 12, seed=1)
    report = client.get("/results/arbeit/report", params={"survey": "newcomer", "live": "1"})
    assert report.status_code == 200
    title_page = report.text.split('<section class="title-page">')[1].split("</section>")[0]
    return title_page


def test_an_uploaded_logo_shows_on_the_start_page_the_poster_and_the_report(
    office: TestClient[Any], db: Database
) -> None:
    save(office, **PROFILE)
    saved = upload_logo(office, "logo.png", image_file((300, 100)), "image/png")

    start = office.get("/s/newcomer", params={"lang": "de"}).text
    logo = office.get("/district/logo.png")
    poster = office.get("/s/newcomer/poster", params={"lang": "ar"}).text

    assert saved.status_code == 200
    assert "Logo gespeichert" in saved.text
    assert '<img class="district-logo" src="/district/logo.png" alt="Landkreis Bergland">' in start
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert 'alt="Landkreis Bergland"' in poster
    assert 'src="data:image/png;base64,' in poster
    assert 'class="report-logo" src="data:image/png;base64,' in logo_on_report(office, db)


def test_without_a_logo_nothing_shows_and_its_address_is_not_found(
    office: TestClient[Any], db: Database
) -> None:
    assert office.get("/district/logo.png").status_code == 404
    assert office.head("/district/logo.png").status_code == 404
    assert "district-logo" not in office.get("/s/newcomer", params={"lang": "de"}).text
    assert "<img" not in office.get("/s/newcomer/poster", params={"lang": "de"}).text
    assert "<img" not in logo_on_report(office, db)


def test_the_logo_is_cacheable_and_revalidated_by_its_etag(office: TestClient[Any]) -> None:
    upload_logo(office, "logo.png", image_file((300, 100)), "image/png")
    first = office.get("/district/logo.png")

    again = office.get("/district/logo.png", headers={"If-None-Match": first.headers["etag"]})

    assert "no-cache" in first.headers["cache-control"]
    assert again.status_code == 304
    assert again.content == b""


def test_a_jpeg_is_kept_as_png_without_its_metadata(office: TestClient[Any]) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = "Geheime Beschreibung"  # ImageDescription
    jpeg = image_file((200, 80), "JPEG", exif=exif.tobytes())

    upload_logo(office, "logo.jpg", jpeg, "image/jpeg")
    kept = office.get("/district/logo.png").content

    assert kept.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "PNG"
        assert image.size == (200, 80)
        assert not image.getexif()
    assert b"Geheime" not in kept


def test_a_large_image_is_scaled_down_to_600_by_200(office: TestClient[Any]) -> None:
    from PIL import Image

    upload_logo(office, "logo.png", image_file((1800, 300)), "image/png")

    with Image.open(io.BytesIO(office.get("/district/logo.png").content)) as image:
        assert image.size == (600, 100)


@pytest.mark.parametrize(
    ("name", "data", "media_type", "message"),
    [
        ("logo.png", b"Dies ist kein Bild.\n", "image/png", "Bitte ein PNG- oder JPEG-Bild"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            "Bitte ein PNG- oder JPEG-Bild",
        ),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024), "image/png", "Höchstens 1 MB"),
        ("logo.png", image_file((200, 80))[:60], "image/png", "Bitte ein PNG- oder JPEG-Bild"),
        (
            "bomb.png",
            image_file((8000, 4000), optimize=True),
            "image/png",
            "Höchstens 24 Megapixel",
        ),
    ],
    ids=["text-named-png", "svg", "2-mb", "truncated", "too-many-pixels"],
)
def test_anything_but_a_png_or_jpeg_up_to_1_mb_is_refused_with_a_message(
    office: TestClient[Any], name: str, data: bytes, media_type: str, message: str
) -> None:
    refused = upload_logo(office, name, data, media_type)

    assert refused.status_code == 422
    assert message in refused.text
    assert 'id="district-logo-error"' in refused.text
    assert office.get("/district/logo.png").status_code == 404


def test_uploading_without_a_file_asks_for_one(office: TestClient[Any]) -> None:
    refused = office.post(
        "/admin/district/logo", data={"_csrf_token": csrf_token(office, "/admin/district")}
    )

    assert refused.status_code == 422
    assert "Bitte ein PNG- oder JPEG-Bild" in refused.text


def test_a_removed_logo_shows_nowhere(office: TestClient[Any]) -> None:
    upload_logo(office, "logo.png", image_file((300, 100)), "image/png")
    removed = office.post(
        "/admin/district/logo/remove",
        data={"_csrf_token": csrf_token(office, "/admin/district")},
    )

    assert removed.status_code == 200
    assert "Logo entfernt" in removed.text
    assert office.get("/district/logo.png").status_code == 404
    assert office.head("/district/logo.png").status_code == 404
    assert "district-logo" not in office.get("/s/newcomer", params={"lang": "de"}).text


def test_logo_changes_are_audited(office: TestClient[Any], db: Database) -> None:
    upload_logo(office, "logo.png", image_file((300, 100)), "image/png")
    office.post(
        "/admin/district/logo/remove",
        data={"_csrf_token": csrf_token(office, "/admin/district")},
    )

    actions = [(e.action, e.actor) for e in audit_events(db) if "logo" in e.action]
    assert sorted(actions) == [
        ("district_logo_remove", "admin@landkreis.example"),
        ("district_logo_save", "admin@landkreis.example"),
    ]


def test_members_cannot_upload_a_logo(settings: Settings, accounts: Any) -> None:
    with TestClient(app=create_app(settings)) as client:
        login(client, "arbeit")
        response = client.post(
            "/admin/district/logo",
            data={"_csrf_token": csrf_token(client, "/results")},
            files={"logo": ("logo.png", image_file((300, 100)), "image/png")},
        )
        assert response.status_code == 403
        assert client.get("/district/logo.png").status_code == 404


def test_a_cut_off_image_is_refused_also_after_weasyprint_was_imported(
    office: TestClient[Any],
) -> None:
    import weasyprint  # noqa: F401 - it sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES for the process

    refused = upload_logo(office, "logo.png", image_file((200, 80))[:-5], "image/png")

    assert refused.status_code == 422


def test_a_head_request_for_the_logo_answers_like_a_get_without_the_image(
    office: TestClient[Any],
) -> None:
    save(office, **PROFILE)
    upload_logo(office, "logo.png", image_file((300, 100)), "image/png")

    logo = office.get("/district/logo.png")
    checked = office.head("/district/logo.png")

    assert checked.status_code == 200
    assert checked.content == b""
    assert checked.headers["content-type"] == "image/png"
    assert checked.headers["content-length"] == str(len(logo.content))
    assert checked.headers["etag"] == logo.headers["etag"]
