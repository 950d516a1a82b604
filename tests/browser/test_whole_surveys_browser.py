"""Whole surveys in a real browser, with JavaScript and without: the newcomer survey in
Arabic, Farsi and Ukrainian, the company survey in German, answered so that every
follow-up question comes up; each appears when its condition is answered (at once with
htmx, on the same page again without JavaScript) and not before, the answers are stored,
and the same answers sent through the API get the same verdict (an answer refused on a
page is refused by the API with the same message). No console error on the way (no CSP
violation, no missing file)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, expect

from tests.browser.live import LiveApp
from tests.browser.survey_tab import SurveyTab

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-answering")]

NewContext = Callable[..., BrowserContext]
Step = tuple[str, str | list[str]]


@dataclass(frozen=True)
class Script:
    """How one respondent answers a survey: per page, the answers in the order given;
    `follow_ups` are the questions that only appear because of an earlier answer, each
    with the question of that answer (on its page or an earlier one)."""

    survey: str
    pages: list[list[Step]]
    follow_ups: Mapping[str, str]


NEWCOMER = Script(
    "newcomer",
    [
        [
            ("arrival_year", "y2018_2021"),
            ("age_group", "a27_34"),
            ("household", "children"),
            ("children_u18", "yes"),
        ],
        [
            ("german_level", "b1"),
            ("integration_course", "waiting"),
            ("other_german_course", "dropped"),
            ("course_barriers", ["times", "childcare"]),
            ("course_slots", ["evening"]),
            ("course_format", "in_person"),
        ],
        [
            ("main_activity", "job_seeking"),
            ("job_barriers", ["language", "recognition"]),
            ("previous_occupation", "care_health"),
            ("desired_occupation", "care_health"),
            ("qualification_abroad", "yes"),
            ("recognition_status", "in_progress"),
            ("job_counselling", "yes"),
        ],
        [
            ("housing_situation", "own_flat"),
            ("flat_looking", "yes"),
            ("flat_barriers", ["rent_too_high", "landlords_refuse"]),
            ("renting_course", "yes"),
        ],
        [
            ("services_known", ["mbe", "jobcenter", "sozialamt"]),
            ("services_used", ["mbe", "jobcenter"]),
            ("quality_jobcenter", "good"),
            ("quality_counselling", "very_good"),
            ("counselling_barriers", ["appointments"]),
        ],
        [
            ("kita_place", "waiting"),
            ("school_contact", "not_so_good"),
            ("family_doctor", "looking"),
            ("health_language", "interpreter"),
            ("leisure", ["sport", "meeting_place"]),
            ("local_contacts", "sometimes"),
            ("feel_welcome", "rather_yes"),
        ],
        [
            ("help_most", ["german_courses", "flat_help"]),
            ("helped_filling", "no"),
        ],
    ],
    {
        "children_u18": "household",
        "course_barriers": "integration_course",
        "course_format": "course_slots",
        "job_barriers": "main_activity",
        "recognition_status": "qualification_abroad",
        "flat_barriers": "flat_looking",
        "renting_course": "flat_looking",
        "services_used": "services_known",
        "quality_jobcenter": "services_used",
        "quality_counselling": "services_used",
        "kita_place": "children_u18",
        "school_contact": "children_u18",
    },
)
COMPANY = Script(
    "company",
    [
        [
            ("sector", "wz_q"),
            ("company_size", "s50_249"),
            ("location_zone", "north"),
            ("training_company", "yes"),
            ("chamber", "ihk"),
        ],
        [
            ("vacancies_now", "yes"),
            ("vacancies_count", "1.200"),
            ("vacancy_areas", ["care_health", "other"]),
            ("vacancy_areas_other", "Hauswirtschaft"),
            ("vacancy_skill_levels", ["helper", "skilled"]),
            ("hiring_difficulty", "rather_hard"),
            ("vacancies_12m", "v6_10"),
            ("apprenticeships_unfilled", "some_unfilled"),
        ],
        [
            ("migrant_employment_5y", "current"),
            ("refugee_employment", "yes"),
            ("experience_rating", "rather_good"),
            ("experience_comment", "Zuverlässig, Sprache braucht Zeit"),
            ("recognition_experiences", ["success", "ongoing"]),
            ("regulations_known", ["ausbildungsduldung", "chancenkarte"]),
            ("regulations_used", ["ausbildungsduldung"]),
        ],
        [
            ("german_level_helper", "a2"),
            ("german_level_skilled", "b2"),
            ("german_level_apprenticeship", "depends"),
            ("language_course_release", "partly"),
        ],
        [
            ("barriers", ["language", "other"]),
            ("barriers_other", "Wohnungen in der Nähe"),
            ("support_wanted", ["contact_person", "other"]),
            ("support_other", "Sprachkurs im Betrieb"),
            ("contact_known", "no"),
        ],
        [
            ("internships_offer", "yes"),
            ("apprenticeships_offer", "maybe"),
            ("job_fair_interest", "exhibitor"),
            ("job_fair_format", ["speed_dating", "trial_days"]),
        ],
    ],
    {
        "vacancies_count": "vacancies_now",
        "vacancy_areas": "vacancies_now",
        "vacancy_areas_other": "vacancy_areas",
        "vacancy_skill_levels": "vacancies_now",
        "hiring_difficulty": "vacancies_now",
        "apprenticeships_unfilled": "training_company",
        "refugee_employment": "migrant_employment_5y",
        "experience_rating": "migrant_employment_5y",
        "experience_comment": "migrant_employment_5y",
        "regulations_used": "regulations_known",
        "barriers_other": "barriers",
        "support_other": "support_wanted",
        "apprenticeships_offer": "training_company",
        "job_fair_format": "job_fair_interest",
    },
)
RUNS = [
    (NEWCOMER, "ar", "rtl"),
    (NEWCOMER, "fa", "rtl"),
    (NEWCOMER, "uk", "ltr"),
    (NEWCOMER, "ps", "rtl"),
    (NEWCOMER, "ti", "ltr"),
    (COMPANY, "de", "ltr"),
]
STORED_NUMBERS = {"vacancies_count": 1200}


def stored(live_app: LiveApp, survey: str, comment: str) -> list[dict[str, Any]]:
    """The answers of every response to `survey` whose comment is `comment`."""
    with closing(sqlite3.connect(live_app.database_path)) as connection:
        rows = connection.execute(
            "SELECT answers FROM submission WHERE survey_id = ? ORDER BY id", (survey,)
        ).fetchall()
    answers = [json.loads(row[0]) for row in rows]
    return [found for found in answers if found.get("comment") == comment]


def expected_answers(script: Script, comment: str) -> dict[str, Any]:
    """The answers as stored: numbers as numbers ("1.200" typed in German is 1200)."""
    given: dict[str, Any] = {name: value for page in script.pages for name, value in page}
    numbers = {name: value for name, value in STORED_NUMBERS.items() if name in given}
    return {**given, **numbers, "comment": comment}


def answer_the_survey(
    tab: SurveyTab,
    script: Script,
    comment: str,
    *,
    refused: str | None = None,
    absent: frozenset[str] = frozenset(),
) -> set[str]:
    """Answer every page as `script` says; returns the follow-up questions seen to appear:
    not on the page until the answer they follow from is given, then shown (at once with
    htmx, on the same page again once it is sent without JavaScript, or on a later page).
    With `refused`, the page of that question comes back with errors, and answering stops
    there. The questions in `absent` must be on no page, before or after its answers."""
    hidden: set[str] = set()  # not on the page while the answer they follow was not given
    appeared: set[str] = set()
    pages = [*script.pages[:-1], [*script.pages[-1], ("comment", comment)]]
    for index, steps in enumerate(pages):
        tab.expect_page(index)
        on_this_page = {name for name, _ in steps}
        for name, value in steps:
            question = tab.page.locator(f"#question-{name}")
            if name in script.follow_ups and not question.count():
                # Only possible without JavaScript: the answers so far bring it up once
                # the page is sent, and the same page comes back with it.
                assert not tab.javascript, f"{name} did not appear at once with htmx"
                tab.press("submit" if tab.button("submit").count() else "next")
                tab.expect_page(index)
                expect(tab.page.locator("#page-notice")).to_be_visible()
            expect(question).to_be_visible()
            if name in hidden:
                appeared.add(name)
            brought_up = [later for later, by in script.follow_ups.items() if by == name]
            for later in brought_up:
                expect(tab.page.locator(f"#question-{later}")).to_have_count(0)
                hidden.add(later)
            tab.answer({name: value})
            for later in brought_up:
                if later in on_this_page:
                    # htmx shows it at once; a page without JavaScript only once it is sent.
                    expect(tab.page.locator(f"#question-{later}")).to_have_count(
                        1 if tab.javascript else 0
                    )
        for name in absent:
            expect(tab.page.locator(f"#question-{name}")).to_have_count(0)
        last = index == len(pages) - 1
        tab.press("submit" if last else "next")
        if refused in on_this_page:
            tab.expect_errors()
            tab.expect_page(index)
            return appeared
        if not last:
            tab.expect_page(index + 1)
    return appeared


def with_answer(script: Script, name: str, value: str | list[str]) -> Script:
    """`script` with another answer to the question `name`."""
    pages = [
        [(step, value if step == name else given) for step, given in page] for page in script.pages
    ]
    return replace(script, pages=pages)


def console_problems(messages: list[ConsoleMessage]) -> list[str]:
    return [message.text for message in messages if message.type in ("error", "warning")]


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize(
    ("script", "language", "direction"),
    RUNS,
    ids=[f"{script.survey}-{language}" for script, language, _ in RUNS],
)
def test_every_follow_up_question_appears_when_it_becomes_relevant(
    new_context: NewContext,
    live_app: LiveApp,
    script: Script,
    language: str,
    direction: str,
    javascript: bool,
) -> None:
    page = new_context(
        java_script_enabled=javascript, viewport={"width": 360, "height": 740}
    ).new_page()
    messages: list[ConsoleMessage] = []
    page.on("console", lambda message: messages.append(message))
    invitation = live_app.invitation() if script.survey == "company" else None
    tab = SurveyTab(page, script.survey, invitation=invitation, javascript=javascript)
    comment = f"{script.survey}-{language}-{uuid.uuid4().hex[:8]}"

    tab.open(language)
    tab.expect_language(language, direction)
    tab.start()
    appeared = answer_the_survey(tab, script, comment)

    tab.expect_thanks(language)
    tab.expect_language(language, direction)
    assert appeared == set(script.follow_ups)
    [answers] = stored(live_app, script.survey, comment)
    assert answers == expected_answers(script, comment)
    assert console_problems(messages) == []


# Per survey, an answer on an early page that withholds follow-up questions of later pages
# (all of them, not only those named in `follow_ups`), for a survey that is answered
# without them from start to end.
DECLINED = [
    (NEWCOMER, "ar", False, "children_u18", "no", {"kita_place", "school_contact"}),
    (
        COMPANY,
        "de",
        True,
        "training_company",
        "no",
        {"apprenticeships_unfilled", "german_level_apprenticeship", "apprenticeships_offer"},
    ),
]


@pytest.mark.parametrize(
    ("script", "language", "javascript", "question", "answer", "withheld"),
    DECLINED,
    ids=[f"{script.survey}-{language}" for script, language, *_ in DECLINED],
)
def test_a_follow_up_of_a_later_page_is_never_shown_when_the_earlier_answer_withholds_it(
    new_context: NewContext,
    live_app: LiveApp,
    script: Script,
    language: str,
    javascript: bool,
    question: str,
    answer: str,
    withheld: set[str],
) -> None:
    declined = with_answer(script, question, answer)
    declined = replace(
        declined,
        pages=[[step for step in page if step[0] not in withheld] for page in declined.pages],
        follow_ups={name: by for name, by in script.follow_ups.items() if name not in withheld},
    )
    page = new_context(java_script_enabled=javascript).new_page()
    invitation = live_app.invitation() if script.survey == "company" else None
    tab = SurveyTab(page, script.survey, invitation=invitation, javascript=javascript)
    comment = f"declined-{uuid.uuid4().hex[:8]}"

    tab.open(language)
    tab.start()
    answer_the_survey(tab, declined, comment, absent=frozenset(withheld))

    tab.expect_thanks(language)
    [answers] = stored(live_app, script.survey, comment)
    assert answers == expected_answers(declined, comment)
    assert not withheld & set(answers)


# Per survey, an answer its question's constraint refuses: as given on the page, and as
# sent to the API.
TOO_MANY = ["german_courses", "job_help", "flat_help", "health"]
REFUSED = [
    (NEWCOMER, "fa", "help_most", TOO_MANY, TOO_MANY),
    (COMPANY, "de", "vacancies_count", "12000", 12000),
]


@pytest.mark.parametrize(
    ("script", "language", "question", "on_the_page", "through_the_api"),
    REFUSED,
    ids=[f"{script.survey}-{language}" for script, language, *_ in REFUSED],
)
def test_the_same_answers_get_the_same_verdict_through_the_pages_and_the_api(
    new_context: NewContext,
    live_app: LiveApp,
    script: Script,
    language: str,
    question: str,
    on_the_page: str | list[str],
    through_the_api: int | list[str],
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    invitation = live_app.invitation() if script.survey == "company" else None
    tab = SurveyTab(page, script.survey, invitation=invitation, javascript=False)
    comment = f"verdict-{uuid.uuid4().hex[:8]}"
    tab.open(language)
    tab.start()
    answer_the_survey(tab, script, comment)
    tab.expect_thanks(language)

    typed = expected_answers(script, comment)
    body: dict[str, Any] = {
        "submission_id": f"api-{comment}",
        "language": language,
        "answers": typed,
        "invitation": live_app.invitation() if invitation else None,
    }
    response = httpx.post(
        f"{live_app.base_url}/api/v1/surveys/{script.survey}/responses", json=body
    )
    assert response.status_code == 201, response.text

    through_pages, through_api = stored(live_app, script.survey, comment)
    assert through_pages == through_api

    refused_answers = {**typed, question: through_the_api}
    wrong = httpx.post(
        f"{live_app.base_url}/api/v1/surveys/{script.survey}/responses",
        json={
            **body,
            "submission_id": f"api-wrong-{comment}",
            "answers": refused_answers,
            "invitation": live_app.invitation() if invitation else None,
        },
    )
    assert wrong.status_code == 422
    assert list(wrong.json()["errors"]) == [question]
    message = wrong.json()["errors"][question]

    wrong_comment = f"wrong-{comment}"
    tab = SurveyTab(
        page,
        script.survey,
        invitation=live_app.invitation() if invitation else None,
        javascript=False,
    )
    tab.open(language)
    tab.start()
    posted: list[int] = []
    page.on(
        "response",
        lambda sent: posted.append(sent.status) if sent.request.method == "POST" else None,
    )
    answer_the_survey(
        tab, with_answer(script, question, on_the_page), wrong_comment, refused=question
    )
    assert posted[-1] == 422
    expect(page.locator(f"#question-{question} .error-message")).to_contain_text(message)
    assert stored(live_app, script.survey, wrong_comment) == []
