"""A respondent in a real browser tab: opens a survey, answers, presses the form's buttons.

Elements are found by form names and values, never by translated text, so the same steps
work in every language. Each step waits for its visible outcome (the next page, the error
summary, the re-rendered fragment), with JavaScript (htmx) as without.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

from survey_app.i18n import translations
from tests.web.respondent import Answers


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


class SurveyTab:
    """One tab answering one survey; `javascript` says whether the context runs scripts."""

    def __init__(
        self,
        page: Page,
        survey: str = "newcomer",
        *,
        invitation: str | None = None,
        javascript: bool = True,
    ) -> None:
        self.page = page
        self.survey = survey
        self.invitation = invitation
        self.javascript = javascript

    def url(self, suffix: str = "", **query: str) -> str:
        parameters = {**({"invitation": self.invitation} if self.invitation else {}), **query}
        return f"/s/{self.survey}{suffix}" + (f"?{urlencode(parameters)}" if parameters else "")

    def open(self, language: str | None = None, suffix: str = "") -> None:
        self.page.goto(self.url(suffix, **({"lang": language} if language else {})))

    def button(self, action: str) -> Locator:
        # Not the out-of-sight copy of Next that a page with a roster puts first for Enter.
        return self.page.locator(
            f'button[name="nav:action"][value="{action}"]:not(.visually-hidden)'
        )

    def press(self, action: str) -> None:
        self.button(action).click()

    def expect_language(self, language: str, direction: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", language)
        expect(self.page.locator("html")).to_have_attribute("dir", direction)

    def expect_page(self, index: int) -> None:
        self.page.locator(f'input[name="nav:page"][value="{index}"]').wait_for(state="attached")

    def expect_errors(self) -> None:
        self.page.locator(".error-summary").wait_for()

    def expect_thanks(self, language: str) -> None:
        self.page.wait_for_url(re.compile(rf"/s/{self.survey}/thanks\b"))
        expect(self.page.locator("h1")).to_have_text(gettext(language, "Thank you!"))

    def start(self) -> None:
        self.press("start")
        self.expect_page(0)

    def choice(self, name: str, value: str) -> Locator:
        return self.page.locator(f'input[name="{name}"][value="{value}"]')

    def answer(self, answers: Answers) -> None:
        for name, value in answers.items():
            for one in value if isinstance(value, list) else [value]:
                self._set(name, one)

    def _set(self, name: str, value: str) -> None:
        choice = self.choice(name, value)
        if choice.count():
            if not choice.is_checked():
                self._then_refreshed(name, lambda: choice.check())
        elif self.page.locator(f'select[name="{name}"]').count():
            self._then_refreshed(
                name, lambda: self.page.locator(f'select[name="{name}"]').select_option(value)
            )
        else:
            self.page.locator(f'[name="{name}"]').fill(value)

    def uncheck(self, name: str, value: str) -> None:
        """Untick one choice, as `answer` ticks them (waiting for a page refresh)."""
        choice = self.choice(name, value)
        self._then_refreshed(name, lambda: choice.uncheck())

    def _then_refreshed(self, name: str, change: Callable[[], None]) -> None:
        """Make `change`; when the question refreshes the page (skip logic), wait until htmx
        has swapped in the new fragment."""
        # By attribute: a path inside an entry (`members[2].age`) is no CSS identifier.
        refresh = f"[id='question-{name}'][hx-target='#page']"
        refreshes = self.javascript and self.page.locator(refresh).count()
        if not refreshes:
            change()
            return
        self.page.evaluate("document.getElementById('page').dataset.stale = 'yes'")
        change()
        self.page.locator("#page:not([data-stale])").wait_for(state="attached")

    def answer_page(self, index: int, answers: Answers, *, last: bool = False) -> None:
        """Answer the page shown (page `index`) and go on to the next one. Without
        JavaScript a page whose answers brought up follow-up questions comes back with
        them: they are left unanswered, and the page is sent again."""
        self.answer(answers)
        self.press("submit" if last else "next")
        if not self.javascript and self.came_back_with_new_questions():
            self.press("submit" if last else "next")
        if not last:
            self.expect_page(index + 1)

    def came_back_with_new_questions(self) -> bool:
        """Whether the page just sent came back because questions appeared or went."""
        self.page.wait_for_load_state()
        return self.page.locator("#page-notice").count() > 0


NEWCOMER_LANGUAGES = ("de", "en", "ar", "uk", "fa", "ru", "tr", "ps", "kmr", "ti")

# Minimal valid answers for every page of the company survey.
COMPANY_PAGES: list[Answers] = [
    {"sector": "wz_c", "company_size": "s10_49"},
    {"vacancies_now": "yes", "vacancies_count": "3"},
    {"migrant_employment_5y": "no"},
    {},
    {},
    {"comment": "Gute Idee."},
]
COMPANY_LANGUAGES = ("de", "en")


def every_page(tab: SurveyTab, pages: list[Answers], language: str) -> Iterator[str]:
    """Show every respondent page of a survey in turn and yield a name for each.

    Anonymous surveys: the landing page and the resume form, empty and after a wrong code
    (one of the 20 wrong guesses a client may make in 15 minutes). Then the start screen,
    the first page, with its errors, every other page, "Continue later" and the thank-you
    page; an invitation link that was used gets a page of its own.
    """
    anonymous = tab.invitation is None
    if anonymous:
        tab.page.goto(f"/?lang={language}")
        yield "landing"
        tab.open(language, "/resume")
        yield "resume"
        tab.page.locator("#resume-code").fill("AAAAA-AAAAA")
        tab.press("resume")
        tab.page.locator("#resume-code-error").wait_for()
        yield "resume-error"
    tab.open(language)
    yield "start"
    tab.start()
    yield "page-1"
    tab.press("next")
    tab.expect_errors()
    yield "page-1-error"
    for index, answers in enumerate(pages):
        if index > 0:
            yield f"page-{index + 1}"
        if index == 1:
            tab.press("save")
            continue_now = tab.page.locator("a.button.primary")
            continue_now.wait_for()
            yield "saved"
            continue_now.click()
            tab.expect_page(index)
        tab.answer_page(index, answers, last=index == len(pages) - 1)
    tab.expect_thanks(language)
    yield "thanks"
    if not anonymous:
        tab.open(language)
        expect(tab.page.locator("h1")).to_have_text(gettext(language, "Already answered"))
        yield "link-used"
