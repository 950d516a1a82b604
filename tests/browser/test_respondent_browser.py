"""Answering in a real browser: whole surveys in Arabic and Ukrainian, skip logic live
through htmx, errors at their questions, resuming after closing the browser or on another
device, and the same survey without JavaScript."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser.live import LiveApp
from tests.browser.survey_tab import SurveyTab, gettext
from tests.web.respondent import NEWCOMER_PAGES, Answers

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-answering")]

NewContext = Callable[..., BrowserContext]


def with_comment(pages: list[Answers], comment: str) -> list[Answers]:
    return [*pages[:-1], {**pages[-1], "comment": comment}]


def survey_posts(page: Page) -> list[Request]:
    """The form posts `page` sends to a survey from now on."""
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    return posts


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("uk", "ltr")])
def test_a_newcomer_answers_every_page_in_their_language_up_to_the_thank_you_page(
    page: Page, live_app: LiveApp, language: str, direction: str
) -> None:
    posts = survey_posts(page)
    tab = SurveyTab(page)
    comment = f"{language}-{uuid.uuid4().hex[:8]}"
    tab.open(language)
    tab.expect_language(language, direction)
    tab.start()
    for index, answers in enumerate(with_comment(NEWCOMER_PAGES, comment)):
        progress = gettext(language, "Page %(number)s of %(total)s") % {
            "number": index + 1,
            "total": len(NEWCOMER_PAGES),
        }
        expect(page.locator(".progress")).to_have_text(progress)
        tab.expect_language(language, direction)
        tab.answer_page(index, answers, last=index == len(NEWCOMER_PAGES) - 1)
    tab.expect_thanks(language)
    tab.expect_language(language, direction)
    expect(page.locator(".notice")).to_have_text(gettext(language, "Your answers have been sent."))
    stored_language, answers = live_app.stored_answers("newcomer", comment)
    assert stored_language == language
    assert answers["arrival_year"] == "y2018_2021"
    assert answers["housing_situation"] == "own_flat"
    assert posts
    assert all(post.headers.get("hx-request") == "true" for post in posts)


def test_arabic_pages_mirror_the_german_layout(page: Page) -> None:
    tab = SurveyTab(page)
    tab.open("de")
    tab.start()
    width = page.evaluate("document.documentElement.clientWidth")
    german = {
        "next": box(page, 'button[value="next"]'),
        "radio": box(page, "#q-arrival_year-0"),
        "label": box(page, 'label[for="q-arrival_year-0"]'),
    }
    tab.open("ar")
    tab.expect_language("ar", "rtl")
    tab.expect_page(0)
    arabic = {
        "next": box(page, 'button[value="next"]'),
        "radio": box(page, "#q-arrival_year-0"),
        "label": box(page, 'label[for="q-arrival_year-0"]'),
    }
    assert arabic["next"]["x"] + arabic["next"]["width"] == pytest.approx(
        width - german["next"]["x"], abs=1
    )
    assert german["radio"]["x"] < german["label"]["x"]
    assert arabic["radio"]["x"] > arabic["label"]["x"]
    assert arabic["radio"]["x"] + arabic["radio"]["width"] == pytest.approx(
        width - german["radio"]["x"], abs=1
    )


def test_switching_to_arabic_mid_survey_reloads_the_page_right_to_left_with_the_answers(
    page: Page,
) -> None:
    tab = SurveyTab(page)
    tab.open("de")
    tab.start()
    tab.answer({"age_group": "a27_34"})
    page.locator('button[name="nav:language"][value="ar"]').click()
    tab.expect_language("ar", "rtl")
    expect(page.locator("h1")).to_have_text("معلومات عنك")
    expect(tab.choice("age_group", "a27_34")).to_be_checked()


def test_changing_an_answer_shows_and_hides_the_dependent_question_without_a_reload(
    page: Page,
) -> None:
    tab = SurveyTab(page)
    tab.open("de")
    tab.start()
    tab.answer({"arrival_year": "y2015_2017"})
    documents: list[Request] = []
    page.on("request", lambda r: documents.append(r) if r.resource_type == "document" else None)
    page.evaluate("window.sameDocument = true")
    children = page.locator("#question-children_u18")
    expect(children).to_have_count(0)  # asked only of people living with children or others

    tab.answer({"household": "children"})
    expect(children).to_be_visible()
    tab.answer({"household": "partner"})
    expect(children).to_have_count(0)
    tab.answer({"household": "other"})
    expect(children).to_be_visible()

    assert page.evaluate("window.sameDocument") is True
    assert documents == []
    expect(tab.choice("arrival_year", "y2015_2017")).to_be_checked()
    expect(tab.choice("household", "other")).to_be_checked()
    tab.expect_page(0)


def test_a_missing_required_answer_is_explained_at_its_question_until_it_is_given(
    page: Page,
) -> None:
    tab = SurveyTab(page)
    tab.open("de")
    tab.start()
    tab.answer({"age_group": "a27_34"})
    tab.press("next")

    tab.expect_errors()
    tab.expect_page(0)
    question = page.locator("#question-arrival_year")
    expect(question).to_have_class(re.compile(r"\bhas-error\b"))
    expect(question.locator(".error-message")).to_contain_text("Bitte beantworten Sie diese Frage.")
    first_choice = tab.choice("arrival_year", "before_2015")
    expect(first_choice).to_be_focused()
    expect(first_choice).to_have_attribute("aria-invalid", "true")
    expect(first_choice).to_have_attribute(
        "aria-describedby", re.compile(r"\bq-arrival_year-error\b")
    )
    expect(tab.choice("age_group", "a27_34")).to_be_checked()

    tab.answer({"arrival_year": "y2024_later"})
    tab.press("next")
    tab.expect_page(1)
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.locator(".error-message")).to_have_count(0)


def test_a_contradicting_choice_is_explained_with_the_questionnaire_message_and_corrected(
    page: Page,
) -> None:
    tab = SurveyTab(page)
    tab.open("en")
    tab.start()
    tab.answer_page(0, NEWCOMER_PAGES[0])
    tab.answer({**NEWCOMER_PAGES[1], "course_slots": ["morning", "no_course"]})
    tab.press("next")

    tab.expect_errors()
    tab.expect_page(1)
    expect(page.locator("#question-course_slots .error-message")).to_contain_text(
        "Please choose either times or “I do not want to take a course”."
    )
    expect(page.locator(".error-summary a")).to_have_attribute("href", "#q-course_slots-0")
    expect(tab.choice("course_slots", "morning")).to_be_checked()

    tab.uncheck("course_slots", "no_course")
    tab.press("next")
    tab.expect_page(2)
    expect(page.locator(".error-summary")).to_have_count(0)


def test_answers_are_still_there_after_closing_and_reopening_the_browser(
    new_context: NewContext,
) -> None:
    before = new_context()
    tab = SurveyTab(before.new_page())
    tab.open("uk")
    tab.start()
    tab.answer_page(0, {"arrival_year": "y2015_2017", "age_group": "a35_44"})
    saved_state = before.storage_state()
    before.close()

    after = SurveyTab(new_context(storage_state=saved_state).new_page())
    after.open()
    after.expect_language("uk", "ltr")
    after.expect_page(1)
    after.press("back")
    after.expect_page(0)
    expect(after.choice("arrival_year", "y2015_2017")).to_be_checked()
    expect(after.choice("age_group", "a35_44")).to_be_checked()


def test_answers_continue_on_another_device_with_the_resume_code(new_context: NewContext) -> None:
    phone = SurveyTab(new_context().new_page())
    phone.open("fa")
    phone.start()
    phone.answer_page(0, {"arrival_year": "before_2015", "age_group": "a45_54"})
    phone.answer({"german_level": "b1"})
    phone.press("save")
    code = phone.page.locator(".resume-code").inner_text().strip()
    assert len(code) >= 10

    laptop = SurveyTab(new_context().new_page())
    laptop.open("fa")
    expect(laptop.page.locator('input[name="nav:page"]')).to_have_count(0)
    laptop.page.locator('main a[href^="/s/newcomer/resume"]').click()
    laptop.page.locator("#resume-code").fill(code)
    laptop.press("resume")
    laptop.expect_page(1)
    laptop.expect_language("fa", "rtl")
    expect(laptop.choice("german_level", "b1")).to_be_checked()
    laptop.press("back")
    laptop.expect_page(0)
    expect(laptop.choice("arrival_year", "before_2015")).to_be_checked()
    expect(laptop.choice("age_group", "a45_54")).to_be_checked()


def test_the_resume_form_and_the_way_back_stay_in_the_language_of_the_survey(
    page: Page,
) -> None:
    tab = SurveyTab(page)
    tab.open("fa")
    page.locator('main a[href^="/s/newcomer/resume"]').click()
    expect(page.locator("h1")).to_have_text(gettext("fa", "Continue with a resume code"))
    tab.expect_language("fa", "rtl")

    page.locator('main a[href^="/s/newcomer?"]').click()
    expect(tab.button("start")).to_have_text(gettext("fa", "I agree – start the survey"))
    tab.expect_language("fa", "rtl")


def test_without_javascript_plain_form_posts_answer_the_survey_end_to_end(
    new_context: NewContext, live_app: LiveApp
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    posts = survey_posts(page)
    tab = SurveyTab(page, javascript=False)
    comment = f"nojs-{uuid.uuid4().hex[:8]}"
    pages = with_comment(NEWCOMER_PAGES, comment)
    tab.open("ru")
    tab.start()
    # living alone: the question about children is never shown, so never stored
    tab.answer_page(0, {**pages[0], "household": "alone"})

    tab.answer({"german_level": "a2"})
    tab.press("next")
    tab.expect_errors()
    expect(page.locator("#question-integration_course .error-message")).to_contain_text(
        gettext("ru", "Please answer this question.")
    )
    tab.answer({"integration_course": "attending"})
    tab.press("next")
    tab.expect_page(2)
    tab.press("back")
    tab.expect_page(1)
    expect(tab.choice("german_level", "a2")).to_be_checked()
    tab.press("next")
    tab.expect_page(2)
    for index in range(2, len(pages)):
        tab.answer_page(index, pages[index], last=index == len(pages) - 1)

    tab.expect_thanks("ru")
    tab.expect_language("ru", "ltr")
    language, answers = live_app.stored_answers("newcomer", comment)
    assert language == "ru"
    assert answers["household"] == "alone"
    assert "children_u18" not in answers
    assert answers["integration_course"] == "attending"
    assert posts
    assert all(post.resource_type == "document" for post in posts)
    assert all("hx-request" not in post.headers for post in posts)
