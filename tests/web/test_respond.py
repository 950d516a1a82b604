"""Answering a survey in the browser: languages, pages, skip logic, errors, htmx
fragments, the thank-you page, and the same verdict as the submission API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.district import PLACEHOLDERS
from survey_app.services.surveys import set_survey_open
from tests.web.respondent import NEWCOMER_PAGES, Respondent


def stored_answers(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        return [json.loads(row.answers) for row in session.exec(select(Submission)).all()]


def html_attributes(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert match, html[:300]
    return match.group(1), match.group(2)


def test_landing_lists_both_surveys(client: TestClient[Any]) -> None:
    page = client.get("/", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "Ankommen im Landkreis – Ihre Meinung" in page.text
    assert "Arbeitgeberbefragung: Arbeits- und Fachkräfte mit Migrations-" in page.text
    assert "persönliche Einladungslinks" in page.text
    assert page.text.count('class="survey-card"') == 2


def test_landing_links_every_language_by_its_own_name(client: TestClient[Any]) -> None:
    page = client.get("/").text
    names = [
        ("ar", "العربية"),
        ("uk", "Українська"),
        ("fa", "فارسی / دری"),
        ("tr", "Türkçe"),
        ("ps", "پښتو"),
        ("kmr", "Kurmancî"),
        ("ti", "ትግርኛ"),
    ]
    for code, name in names:
        assert f'href="/s/newcomer?lang={code}" hreflang="{code}" lang="{code}"' in page
        assert f">{name}</a>" in page


@pytest.mark.parametrize(
    ("language", "direction"),
    [
        ("ar", "rtl"),
        ("fa", "rtl"),
        ("ps", "rtl"),
        ("de", "ltr"),
        ("uk", "ltr"),
        ("kmr", "ltr"),
        ("ti", "ltr"),
    ],
)
def test_pages_declare_language_and_direction(
    client: TestClient[Any], language: str, direction: str
) -> None:
    respondent = Respondent(client)
    assert html_attributes(respondent.open(lang=language).text) == (language, direction)
    assert html_attributes(respondent.start(language).text) == (language, direction)


def test_accept_language_picks_the_survey_language(client: TestClient[Any]) -> None:
    page = Respondent(client).open(headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert html_attributes(page.text) == ("uk", "ltr")


def test_unsupported_language_falls_back_to_the_default_with_a_switcher(
    client: TestClient[Any],
) -> None:
    page = Respondent(client).open(lang="xx", headers={"Accept-Language": "ar"})
    assert html_attributes(page.text) == ("de", "ltr")
    assert 'id="languages"' in page.text
    assert 'href="/s/newcomer?lang=ar" hreflang="ar"' in page.text


def test_privacy_notice_comes_before_the_first_question(client: TestClient[Any]) -> None:
    page = Respondent(client).open(lang="en").text
    assert "The survey is voluntary and anonymous." in page
    assert 'name="arrival_year"' not in page
    assert 'value="start"' in page


def test_progress_is_shown_in_the_survey_language(client: TestClient[Any]) -> None:
    page = Respondent(client).start("uk").text
    assert "Сторінка 1 з 7" in page
    assert "Далі" in page


def test_next_moves_to_the_following_page(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    page = respondent.post(0, NEWCOMER_PAGES[0])
    assert page.status_code == 200
    assert "Seite 2 von 7" in page.text
    assert 'name="german_level"' in page.text


def test_skip_logic_hides_an_irrelevant_question(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    with_children = respondent.refresh(0, {"household": "children"})
    living_with_others = respondent.refresh(0, {"household": "other"})
    with_partner = respondent.refresh(0, {"household": "partner"})
    alone = respondent.refresh(0, {"household": "alone"})
    assert 'name="children_u18"' in with_children.text
    assert 'name="children_u18"' in living_with_others.text
    # a partner without children, or nobody: no question about children
    assert 'name="children_u18"' not in with_partner.text
    assert 'name="children_u18"' not in alone.text


def test_irrelevant_answers_are_discarded(client: TestClient[Any], db: Database) -> None:
    pages = [dict(page) for page in NEWCOMER_PAGES]
    pages[0] |= {"household": "alone", "children_u18": "yes"}
    Respondent(client).answer_all(pages)
    [answers] = stored_answers(db)
    assert answers["household"] == "alone"
    assert "children_u18" not in answers


def test_missing_required_answer_keeps_the_page_and_the_answers(
    client: TestClient[Any],
) -> None:
    respondent = Respondent(client)
    respondent.start()
    page = respondent.post(0, {"age_group": "a27_34"})
    assert page.status_code == 422
    assert "Seite 1 von 7" in page.text
    assert 'role="alert"' in page.text
    assert '<p class="error-message" id="q-arrival_year-error">' in page.text
    assert "Bitte beantworten Sie diese Frage." in page.text
    assert re.search(r'value="a27_34" checked', page.text)
    first_radio = re.search(r'<input type="radio" id="q-arrival_year-0"[^>]*>', page.text)
    assert first_radio
    assert "autofocus" in first_radio.group(0)
    assert 'aria-invalid="true"' in first_radio.group(0)
    assert "q-arrival_year-error" in first_radio.group(0)


def test_an_invalid_page_is_not_left(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, {})
    again = respondent.open()
    assert "Seite 1 von 7" in again.text


def test_constraint_error_uses_the_questionnaire_message(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    page = respondent.post(1, NEWCOMER_PAGES[1] | {"course_slots": ["morning", "no_course"]})
    assert page.status_code == 422
    assert "Bitte wählen Sie entweder Zeiten oder „Ich möchte keinen Kurs machen“." in page.text
    assert re.search(r'value="morning" checked', page.text)


def test_back_returns_to_the_previous_page_with_its_answers(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0] | {"age_group": "a35_44"})
    page = respondent.post(1, {"german_level": "b1"}, action="back")
    assert "Seite 1 von 7" in page.text
    assert re.search(r'value="a35_44" checked', page.text)
    forward = respondent.post(0, NEWCOMER_PAGES[0] | {"age_group": "a35_44"})
    assert re.search(r'value="b1" checked', forward.text)


def test_language_switch_keeps_the_answers(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start("de")
    page = respondent.post(
        0, {"age_group": "a27_34"}, action="", language="de", **{"nav:language": "ar"}
    )
    assert html_attributes(page.text) == ("ar", "rtl")
    assert "الصفحة 1 من 7" in page.text
    assert re.search(r'value="a27_34" checked', page.text)
    assert html_attributes(respondent.open().text) == ("ar", "rtl")


def test_htmx_gets_the_fragment_of_the_same_template(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start()
    full = respondent.open()
    fragment = respondent.open(headers={"HX-Request": "true"})
    boosted = respondent.open(headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert fragment.text.lstrip().startswith('<div id="page"')
    assert "<html" not in fragment.text
    assert fragment.text.strip() in full.text
    assert boosted.text == full.text


def test_questions_that_others_depend_on_refresh_the_page_and_the_others_are_saved(
    client: TestClient[Any],
) -> None:
    page = Respondent(client).start().text
    household = re.search(r'<div class="question" id="question-household"[^>]*>', page)
    age = re.search(r'<div class="question" id="question-age_group"[^>]*>', page)
    assert household
    assert age
    assert 'hx-post="/s/newcomer/p/about_you/refresh?lang=de"' in household.group(0)
    assert 'hx-target="#page"' in household.group(0)
    assert 'hx-post="/s/newcomer/p/about_you/autosave?lang=de"' in age.group(0)
    assert 'hx-swap="none"' in age.group(0)


def test_pages_have_no_inline_scripts_or_styles(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    pages = [client.get("/").text, respondent.open().text, respondent.start().text]
    pages.append(respondent.post(0, {}).text)
    for page in pages:
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
        assert " style=" not in page
        assert not re.search(r"\son[a-z]+=", page)


def test_thank_you_page_is_in_the_survey_language(client: TestClient[Any], db: Database) -> None:
    page = Respondent(client).answer_all(NEWCOMER_PAGES, "tr")
    assert html_attributes(page.text) == ("tr", "ltr")
    assert "Teşekkür ederiz!" in page.text
    assert "(Netzwerk Integration) toplantısında sunulacaktır." in page.text
    assert len(stored_answers(db)) == 1


def test_a_second_click_on_send_stores_one_response(client: TestClient[Any], db: Database) -> None:
    respondent = Respondent(client)
    respondent.start()
    for index, answers in enumerate(NEWCOMER_PAGES[:-1]):
        respondent.post(index, answers)
    draft_cookie = client.cookies.get("survey_draft")
    assert draft_cookie
    last = len(NEWCOMER_PAGES) - 1
    first = respondent.post(last, {}, action="submit")
    client.cookies.set("survey_draft", draft_cookie, path="/s/newcomer")
    second = respondent.post(last, {}, action="submit")
    assert first.url.path == second.url.path == "/s/newcomer/thanks"
    assert len(stored_answers(db)) == 1


def test_page_and_api_refuse_the_same_answers_with_the_same_message(
    client: TestClient[Any],
) -> None:
    answers = {"german_level": "a2", "integration_course": "attending"}
    answers_with_conflict = answers | {"course_slots": ["morning", "no_course"]}
    respondent = Respondent(client)
    respondent.start()
    respondent.post(0, NEWCOMER_PAGES[0])
    page = respondent.post(1, answers_with_conflict)
    api = client.post(
        "/api/v1/surveys/newcomer/responses",
        json={
            "submission_id": "api-1",
            "language": "de",
            "answers": {"arrival_year": "y2018_2021", **answers_with_conflict},
        },
    )
    assert page.status_code == api.status_code == 422
    assert set(api.json()["errors"]) == {"course_slots", "main_activity", "housing_situation"}
    assert api.json()["errors"]["course_slots"] in page.text


def test_page_and_api_store_the_same_answers(client: TestClient[Any], db: Database) -> None:
    pages = [dict(page) for page in NEWCOMER_PAGES]
    pages[0] |= {"household": "alone", "children_u18": "no"}
    pages[4] = {"services_known": ["mbe", "jobcenter"], "services_used": ["jobcenter"]}
    Respondent(client).answer_all(pages)
    given: dict[str, Any] = {name: value for page in pages for name, value in page.items()}
    api = client.post(
        "/api/v1/surveys/newcomer/responses",
        json={"submission_id": "api-2", "language": "de", "answers": given},
    )
    assert api.status_code == 201
    through_page, through_api = stored_answers(db)
    assert through_page == through_api
    assert "children_u18" not in through_api


def test_an_unknown_survey_gets_a_clear_page(client: TestClient[Any]) -> None:
    page = client.get("/s/no-such-survey", headers={"Accept-Language": "ru"})
    assert page.status_code == 404
    assert html_attributes(page.text) == ("ru", "ltr")
    assert "Опрос не найден" in page.text


def test_a_closed_survey_gets_a_clear_page_and_leaves_the_landing(
    client: TestClient[Any], db: Database
) -> None:
    set_survey_open(db, "newcomer", False)
    page = Respondent(client).open(lang="fa")
    assert page.status_code == 403
    assert html_attributes(page.text) == ("fa", "rtl")
    assert "این نظرسنجی بسته شده است" in page.text
    assert "Ankommen im Landkreis" not in client.get("/").text


def test_htmx_switches_the_language_with_a_whole_new_page(client: TestClient[Any]) -> None:
    respondent = Respondent(client)
    respondent.start("de")
    switched = client.post(
        respondent.url(),
        data={"_csrf_token": respondent.csrf(), "nav:page": "0", "nav:language": "fa"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert switched.status_code == 200
    assert switched.headers["HX-Redirect"] == "/s/newcomer/p/about_you?lang=fa"
    assert html_attributes(respondent.open().text) == ("fa", "rtl")


def test_links_to_another_language_are_not_boosted(client: TestClient[Any]) -> None:
    landing = client.get("/").text
    start = Respondent(client).open().text
    assert '<ul class="language-choice" hx-boost="false">' in landing
    assert re.search(r'<nav id="languages"[^>]*hx-boost="false"', start)


def test_the_privacy_notice_names_the_district_of_the_profile(
    client: TestClient[Any], settings: Any
) -> None:
    page = Respondent(client).open(lang="de").text
    assert "Landkreis Musterland – Integrationsmanagement, Musterstraße 1" in page
    assert f"bis zu {settings.draft_lifetime_days} Tage" in page
    assert "keine Nachteile für Sie" in page
    assert not any(f"{{{name}}}" in page for name in PLACEHOLDERS)
