"""The staff catalogue (domain `staff`: results, admin and login pages, the messages
services show staff): English source, German by default, every message translated into
German; a page asked for in English shows nothing of the German catalogue."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.db.engine import Database
from survey_app.i18n import LOCALE_DIR, STAFF_DOMAIN, catalogue_languages, staff_gettext
from survey_app.questionnaire.district import district_profile
from survey_app.services.published import get_survey
from survey_app.settings import PROJECT_ROOT, Settings
from tests.conftest import create_accounts, csrf_token, login

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The extraction of babel-staff.cfg (its first lines): only these keywords, so that the
# respondents' `N_` and `gettext` stay in their own domain.
STAFF_KEYWORDS = ["--no-default-keywords", "-k", "S_", "-k", "_", "-k", "t", "-k", "staff_"]

# Staff pages that need nothing but the project's surveys and an admin; the pages of
# templates/admin/ still written in German are not listed yet.
ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/audit",
    "/admin/district",
    "/admin/surveys/newcomer/fieldwork",
    "/admin/surveys/company/fieldwork",
    "/admin/surveys/newcomer/release",
    "/admin/surveys/newcomer/responses",
)


@pytest.fixture(scope="session")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The staff messages found in the code and templates now (not the committed .pot)."""
    pot = tmp_path_factory.mktemp("pot") / "staff.pot"
    arguments = ["-q", "extract", "-F", str(PROJECT_ROOT / "babel-staff.cfg"), *STAFF_KEYWORDS]
    CommandLineInterface().run(["pybabel", *arguments, "-o", str(pot), str(PROJECT_ROOT)])  # type: ignore[no-untyped-call]
    with pot.open("rb") as pot_file:
        return read_po(pot_file)


def german() -> Catalog:
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "staff.po").open("rb") as po_file:
        return read_po(po_file, locale="de")


def german_fragments() -> set[str]:
    """Every German text of the catalogue that differs from its English source, cut at
    its placeholders: none of them may appear on an English page."""
    fragments: set[str] = set()
    english: set[str] = set()
    for message in german():
        if not message.id:
            continue
        english |= {part.strip() for part in PLACEHOLDER.split(str(message.id))[::2]}
        if message.string and message.string != message.id:
            fragments |= {part.strip() for part in PLACEHOLDER.split(str(message.string))[::2]}
    # A word that is English too ("Version", "Info") says nothing about the language.
    return {fragment for fragment in fragments - english if len(fragment) > 3}


class ShownText(HTMLParser):
    """What a person sees or hears of a page: text, and the labels of elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def german_on(html: str, content: tuple[str, ...] = ()) -> list[str]:
    """The German catalogue texts shown on a page (as words, not inside others), apart
    from `content` written by questionnaire authors (a survey title only in German)."""
    shown = ShownText(html).text
    for text in content:
        shown = shown.replace(text, " ")
    return sorted(
        fragment
        for fragment in german_fragments()
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", shown)
    )


# -- the catalogue ---------------------------------------------------------------------


def test_extraction_finds_the_results_login_and_admin_messages(extracted: Catalog) -> None:
    ids = {message.id for message in extracted if message.id}
    assert {"Results of the working group %(group)s", "Log in", "Audit log"} <= ids


def test_every_staff_message_has_a_german_translation(extracted: Catalog) -> None:
    translated = german()
    missing = [
        message.id
        for message in extracted
        if message.id and not str(getattr(translated.get(message.id), "string", "")).strip()
    ]
    assert missing == []


def test_no_german_staff_translation_is_fuzzy_or_obsolete() -> None:
    catalogue = german()
    assert [message.id for message in catalogue if message.id and message.fuzzy] == []
    assert list(catalogue.obsolete) == []


def test_german_staff_translations_keep_their_placeholders() -> None:
    for message in german():
        if message.id:
            assert set(PLACEHOLDER.findall(str(message.string))) == set(
                PLACEHOLDER.findall(str(message.id))
            ), message.id


def test_the_committed_staff_template_lists_every_message(extracted: Catalog) -> None:
    with Path(LOCALE_DIR / "staff.pot").open("rb") as pot_file:
        committed = {message.id for message in read_po(pot_file) if message.id}
    assert {message.id for message in extracted if message.id} == committed


def test_staff_pages_speak_german_and_english() -> None:
    assert catalogue_languages(STAFF_DOMAIN) == ["de", "en"]
    assert staff_gettext("de")("Log in") == "Anmelden"
    assert staff_gettext("en")("Log in") == "Log in"
    assert staff_gettext("fa")("Log in") == "Anmelden"  # no Persian staff pages: German


def test_respondent_and_staff_messages_stay_in_their_own_domain(extracted: Catalog) -> None:
    with Path(LOCALE_DIR / "messages.pot").open("rb") as pot_file:
        respondent = {message.id for message in read_po(pot_file) if message.id}
    staff = {message.id for message in extracted if message.id}
    assert "Please answer this question." in respondent - staff
    assert "Results of the working group %(group)s" in staff - respondent


# -- pages -----------------------------------------------------------------------------


@pytest.fixture
def admin(settings: Settings) -> Iterator[TestClient[Any]]:
    """The real app on the project's surveys, with an admin logged in."""
    create_accounts(settings.database_url)
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client


def test_the_login_page_is_german_by_default(client: TestClient[Any]) -> None:
    page = client.get("/login")
    assert '<html lang="de"' in page.text
    assert "<h1>Anmelden</h1>" in page.text
    assert '<label for="password">Passwort</label>' in page.text


def test_the_login_page_in_english_shows_no_german(client: TestClient[Any]) -> None:
    page = client.get("/login", params={"lang": "en"})
    assert '<html lang="en"' in page.text
    assert "<h1>Log in</h1>" in page.text
    assert german_on(page.text) == []


def test_a_failed_login_is_explained_in_the_staff_language(client: TestClient[Any]) -> None:
    data = {"email": "nobody@example.org", "password": "wrong", "_csrf_token": csrf_token(client)}
    assert "E-Mail oder Passwort ist nicht korrekt." in client.post("/login", data=data).text

    client.cookies.set("staff_lang", "en")
    data["_csrf_token"] = csrf_token(client)
    assert "Email or password is not correct." in client.post("/login", data=data).text


def test_the_language_switch_is_remembered_in_a_cookie(admin: TestClient[Any]) -> None:
    switched = admin.get(
        "/language", params={"lang": "en", "next": "/admin/audit"}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/admin/audit"
    assert admin.cookies.get("staff_lang") == "en"
    assert '<html lang="en"' in admin.get("/admin/audit").text
    assert '<html lang="en"' in admin.get("/results").text

    admin.get("/language", params={"lang": "de", "next": "/admin"})
    assert '<html lang="de"' in admin.get("/admin/audit").text


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_the_language_switch_never_leaves_the_site(client: TestClient[Any], next_path: str) -> None:
    switched = client.get(
        "/language", params={"lang": "en", "next": next_path}, follow_redirects=False
    )
    assert switched.headers["location"] == "/admin"


def test_an_unknown_language_is_german(admin: TestClient[Any]) -> None:
    admin.get("/language", params={"lang": "xx", "next": "/admin"})
    assert admin.cookies.get("staff_lang") == "de"


def german_content(settings: Settings) -> tuple[str, ...]:
    """What questionnaire authors wrote in German only: survey titles in their default
    language, the district profile's example values."""
    db = Database(settings.database_url)
    try:
        titles = [
            survey.questionnaire.text(survey.questionnaire.title, "de")
            for survey in (get_survey(db, "newcomer"), get_survey(db, "company"))
            if survey is not None
        ]
    finally:
        db.dispose()
    profile = district_profile(settings.questionnaires)
    return (*titles, *(str(value) for value in dataclasses.asdict(profile).values()))


@pytest.mark.parametrize("url", ["/results", *ADMIN_PAGES])
def test_staff_pages_in_english_show_no_german(
    admin: TestClient[Any], settings: Settings, url: str
) -> None:
    admin.cookies.set("staff_lang", "en")
    page = admin.get(url)
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert german_on(page.text, german_content(settings)) == []


@pytest.mark.parametrize("url", ["/results", *ADMIN_PAGES])
def test_staff_pages_are_german_by_default(admin: TestClient[Any], url: str) -> None:
    page = admin.get(url)
    assert '<html lang="de"' in page.text
    assert "Abmelden" in page.text


@pytest.mark.parametrize("action", ["close", "open"])
def test_opening_and_closing_are_confirmed_in_english_without_german(
    admin: TestClient[Any], settings: Settings, action: str
) -> None:
    admin.cookies.set("staff_lang", "en")
    token = csrf_token(admin, "/admin")
    page = admin.post(f"/admin/surveys/newcomer/{action}", data={"_csrf_token": token})
    assert page.status_code == 200
    assert german_on(page.text, german_content(settings)) == []


def test_the_recipients_page_in_english_names_only_the_files_own_columns_in_german(
    admin: TestClient[Any], settings: Settings
) -> None:
    admin.cookies.set("staff_lang", "en")
    page = admin.get("/admin/surveys/company/recipients")
    assert page.status_code == 200
    columns = ("E-Mail", "Name", "Referenz", "Sprache")  # the header a file must have
    assert all(f"<code>{column}</code>" in page.text for column in columns)
    assert german_on(page.text, (*german_content(settings), *columns)) == []


def test_the_questionnaire_pages_in_english_show_no_german(
    admin: TestClient[Any], settings: Settings
) -> None:
    admin.cookies.set("staff_lang", "en")
    uploaded = admin.post(
        "/admin/questionnaires",
        files={"file": ("newcomer.yaml", (settings.questionnaires / "newcomer.yaml").read_bytes())},
        data={"_csrf_token": csrf_token(admin, "/admin/questionnaires")},
    )
    confirm = admin.post(
        f"{uploaded.url.path}/publish",
        data={"_csrf_token": csrf_token(admin, "/admin/questionnaires")},
    )
    pages = [admin.get("/admin/questionnaires"), uploaded, confirm]
    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        assert german_on(page.text, german_content(settings)) == []


def test_the_preview_banner_is_in_the_staff_language_on_a_page_in_the_survey_language(
    admin: TestClient[Any], settings: Settings
) -> None:
    uploaded = admin.post(
        "/admin/questionnaires",
        files={"file": ("newcomer.yaml", (settings.questionnaires / "newcomer.yaml").read_bytes())},
        data={"_csrf_token": csrf_token(admin, "/admin/questionnaires")},
    )
    admin.cookies.set("staff_lang", "en")
    preview = admin.get(f"{uploaded.url.path}/preview", params={"lang": "ar"})
    assert '<html lang="ar" dir="rtl">' in preview.text
    assert '<p class="notice" role="status" lang="en" dir="ltr">Preview: answers' in preview.text
    assert "Back to the check" in preview.text


def test_a_refused_staff_page_says_why_in_the_staff_language(settings: Settings) -> None:
    create_accounts(settings.database_url)
    with TestClient(app=create_app(settings)) as client:
        login(client, "arbeit")
        refused = client.get("/admin", headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert "Diese Seite ist für das Integrationsbüro." in refused.text

        client.cookies.set("staff_lang", "en")
        refused = client.get("/admin", headers={"accept": "text/html"})
        assert "This page is for administrators." in refused.text
        assert german_on(refused.text) == []


def test_another_groups_results_are_refused_in_the_staff_language(settings: Settings) -> None:
    create_accounts(settings.database_url)
    with TestClient(app=create_app(settings)) as client:
        login(client, "arbeit")
        refused = client.get("/results/wohnen", headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert "Sie gehören dieser Arbeitsgruppe nicht an." in refused.text

        client.cookies.set("staff_lang", "en")
        refused = client.get("/results/wohnen", headers={"accept": "text/html"})
        assert "You are not a member of this working group." in refused.text
        assert german_on(refused.text) == []
