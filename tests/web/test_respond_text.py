"""Texts as respondents read them: terms in another script isolated, digits of their
language, numbers read as they write them, every message in their language, a first
screen with the consent button on it."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from typing import Any

import pytest
from babel.dates import format_date
from litestar.testing import TestClient
from markupsafe import Markup
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.render.text import (
    isolated,
    isolated_plain,
    local_digits,
    numbering_system,
    other_direction_runs,
)
from survey_app.services.invitations import invitations_create
from tests.web.respondent import NEWCOMER_PAGES, Respondent

# -- isolating runs in the other writing direction -------------------------------------


def runs(text: str, direction: str) -> list[str]:
    return [text[start:end] for start, end in other_direction_runs(text, direction)]


def test_a_german_term_in_an_arabic_sentence_is_one_run_with_its_brackets() -> None:
    text = "استشارات الهجرة للبالغين (Migrationsberatung für Erwachsene – MBE) – لمن هم"
    assert runs(text, "rtl") == ["(Migrationsberatung für Erwachsene – MBE)"]


def test_terms_separated_by_arabic_words_are_separate_runs() -> None:
    text = "(Flüchtlingsberatung / Sozialberatung، مثلًا لدى Caritas أو Diakonie أو AWO)"
    assert runs(text, "rtl") == [
        "Flüchtlingsberatung / Sozialberatung",
        "Caritas",
        "Diakonie",
        "AWO",
    ]


def test_a_number_written_right_after_a_term_belongs_to_it() -> None:
    assert runs("A1 وA2 وB1 … هي مستويات", "rtl") == ["A1", "A2", "B1"]
    assert runs("في سن 27 سنة", "rtl") == []


def test_a_run_never_takes_a_bracket_opened_outside_it() -> None:
    assert runs("دورة (Kurs عربي) و x", "rtl") == ["Kurs", "x"]
    assert runs("دورة (Integrationskurs (BAMF)) x", "rtl") == ["(Integrationskurs (BAMF))", "x"]


def test_a_text_in_the_other_direction_alone_is_one_run_with_its_punctuation() -> None:
    # A question not translated into Arabic is shown in German: its "?" ends it, on the
    # right, instead of being left outside the run on the Arabic page's left.
    assert runs("Wie zufrieden waren Sie (1 bis 5)?", "rtl") == [
        "Wie zufrieden waren Sie (1 bis 5)?"
    ]
    assert runs("¿Qué tal?", "rtl") == ["¿Qué tal?"]
    assert runs("2", "rtl") == []


def test_arabic_in_a_german_sentence_is_isolated_too() -> None:
    assert runs("Sprache: العربية (Arabisch)", "ltr") == ["العربية"]
    assert runs("Deutsch, English, Türkçe", "ltr") == []


def test_no_character_written_against_the_page_is_missed_in_any_script() -> None:
    """Texts with nothing against the page's direction are told apart by a quick check
    before the rules run; it must know every character of the other direction."""
    for code in range(0x110000):
        char = chr(code)
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            assert other_direction_runs(char, "rtl") == [(0, 1)], hex(code)
        elif kind in ("R", "AL"):
            assert other_direction_runs(char, "ltr") == [(0, 1)], hex(code)


def test_isolated_text_is_escaped_html_with_bdi_elements() -> None:
    html = isolated("عربي <b>fett</b> & عربي", "rtl")
    assert isinstance(html, Markup)
    assert html == "عربي <bdi>&lt;b&gt;fett&lt;/b&gt;</bdi> &amp; عربي"


def test_where_no_markup_goes_unicode_isolates_are_used() -> None:
    assert isolated_plain("دورة (Integrationskurs) و", "rtl") == (
        "دورة \u2066(Integrationskurs)\u2069 و"
    )


def test_latin_terms_on_an_arabic_page_are_rendered_isolated(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start("ar")
    for index in range(4):
        page = respondent.answer_page(index, NEWCOMER_PAGES[index], language="ar")
    assert "<bdi>(Migrationsberatung für Erwachsene – MBE)</bdi>" in page.text
    assert "<bdi>Caritas</bdi>" in page.text


# -- digits ----------------------------------------------------------------------------


def test_digits_follow_the_numbering_system_of_babel_s_locale_data() -> None:
    assert numbering_system("fa") == "arabext"
    assert numbering_system("ar") == "latn"
    assert numbering_system("ar-SY") == "arab"
    assert local_digits("1 von 6", "fa") == "۱ von ۶"
    assert local_digits("1 من 6", "ar") == "1 من 6"
    assert local_digits("1 من 6", "ar-SY") == "١ من ٦"
    assert local_digits("10", "xx-unknown") == "10"


def test_a_persian_page_counts_pages_in_persian_digits(client: TestClient[Any]) -> None:
    persian = Respondent(client).start("fa").text
    client.cookies.clear()
    arabic = Respondent(client).start("ar").text
    assert "صفحه‌ی ۱ از ۷" in persian
    assert "الصفحة 1 من 7" in arabic


def test_the_expiry_date_of_saved_answers_is_in_persian_digits(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start("fa")
    saved = respondent.post(0, {}, action="save", language="fa")
    expires = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=30)
    written = format_date(expires, format="long", locale="fa")
    assert local_digits(written, "fa") in saved.text
    assert written not in saved.text


# -- numbers as people write them ------------------------------------------------------------


@pytest.fixture
def company(client: TestClient[Any], db: Database) -> Respondent:
    [token] = invitations_create(db, "company", 1)
    respondent = Respondent(client, "company", invitation=token)
    respondent.start("de")
    respondent.post(0, {"sector": "wz_c", "company_size": "s10_49"})
    return respondent


def test_a_german_thousands_separator_is_read_as_one_thousand(
    company: Respondent, db: Database
) -> None:
    page = company.answer_page(1, {"vacancies_now": "yes", "vacancies_count": "1.000"})
    assert "Seite 3 von 6" in page.text
    back = company.post(2, {}, action="back")
    assert re.search(r'inputmode="numeric"[^>]*value="1000"', back.text)


def test_a_number_with_a_decimal_part_is_refused_as_no_whole_number(company: Respondent) -> None:
    page = company.post(1, {"vacancies_now": "yes", "vacancies_count": "2,5"})
    assert page.status_code == 422
    assert "Bitte geben Sie eine ganze Zahl ein." in page.text


def test_whole_numbers_in_persian_digits_are_accepted(
    client: TestClient[Any], db: Database
) -> None:
    [token] = invitations_create(db, "company", 1)
    respondent = Respondent(client, "company", invitation=token)
    respondent.start("en")
    respondent.post(0, {"sector": "wz_c", "company_size": "s10_49"}, language="en")
    page = respondent.answer_page(
        1, {"vacancies_now": "yes", "vacancies_count": "۱۲"}, language="en"
    )
    assert "Page 3 of 6" in page.text
    for index in range(2, 6):
        answers = {"migrant_employment_5y": "no"} if index == 2 else {}
        respondent.answer_page(index, answers, "submit" if index == 5 else "next", "en")
    with db.read() as session:
        [answers] = session.exec(select(Submission.answers)).all()
    assert json.loads(answers)["vacancies_count"] == 12


# -- resume codes from other keyboards ------------------------------------------------------


def test_a_resume_code_typed_in_persian_digits_continues_the_answers(
    client: TestClient[Any],
) -> None:
    first = Respondent(client)
    first.start("fa")
    saved = first.post(0, {"age_group": "a35_44"}, action="save", language="fa")
    code = re.search(r'<p class="resume-code"[^>]*>([A-Z0-9-]+)</p>', saved.text)
    assert code
    typed = code.group(1).lower().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    client.cookies.clear()
    second = Respondent(client)
    second.open(lang="fa")
    resumed = client.post(
        second.url("/resume"),
        data={"_csrf_token": second.csrf(), "code": typed, "nav:lang": "fa"},
    )
    assert resumed.status_code == 200
    assert re.search(r'value="a35_44" checked', resumed.text)


# -- every message in the respondent's language ---------------------------------------------


def test_an_expired_form_is_explained_in_the_survey_language_with_a_way_back(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    respondent.start("fa")
    expired = client.post(
        "/s/newcomer/p/about_you?lang=fa",
        data={"_csrf_token": "stale", "nav:action": "next"},
        headers={"accept": "text/html"},
    )
    assert expired.status_code == 403
    assert '<html lang="fa" dir="rtl">' in expired.text
    assert "مهلت این فرم تمام شده است." in expired.text
    assert 'href="/s/newcomer/p/about_you?lang=fa"' in expired.text
    assert "رفتن به محتوا" in expired.text  # the skip link


def test_an_unknown_address_is_explained_in_the_browser_s_language(
    client: TestClient[Any],
) -> None:
    page = client.get("/nowhere", headers={"accept": "text/html", "accept-language": "uk"})
    assert page.status_code == 404
    assert '<html lang="uk" dir="ltr">' in page.text
    assert "Такої сторінки немає." in page.text
    assert "This page does not exist." in page.text  # for whoever helps


def test_too_many_wrong_resume_codes_are_explained_in_the_survey_language(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    respondent.open(lang="ar")
    statuses = []
    for attempt in range(21):
        wrong = client.post(
            "/s/newcomer/resume?lang=ar",
            data={"_csrf_token": respondent.csrf(), "code": f"WRONG{attempt}", "nav:lang": "ar"},
        )
        statuses.append(wrong.status_code)
    assert statuses[-1] == 429
    assert wrong.headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in wrong.text
    assert "محاولات كثيرة جدًا." in wrong.text


def test_an_expired_staff_form_is_explained_in_the_staff_language(
    client: TestClient[Any],
) -> None:
    refused = client.post("/admin/users", data={}, headers={"accept": "text/html"})
    assert refused.status_code == 403
    assert '<html lang="de"' in refused.text
    assert "Dieses Formular ist abgelaufen." in refused.text

    client.cookies.set("staff_lang", "en")
    refused = client.post("/admin/users", data={}, headers={"accept": "text/html"})
    assert '<html lang="en"' in refused.text
    assert "This form has expired. Please reload the page and try again." in refused.text


# -- the first screen and the favicon ------------------------------------------------------------


def test_the_start_screen_summarises_the_privacy_notice_and_asks_for_consent(
    client: TestClient[Any],
) -> None:
    start = Respondent(client).open(lang="de").text
    summary, details = start.split('<details class="privacy-details">')
    assert "Die Befragung ist freiwillig und anonym." in summary
    assert "Wer ist verantwortlich?" in details
    assert "Alle Hinweise zum Datenschutz lesen" in details
    assert "Ich bin einverstanden – Befragung beginnen</button>" in details


def test_the_favicon_is_served_where_browsers_look_for_it(client: TestClient[Any]) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").text
