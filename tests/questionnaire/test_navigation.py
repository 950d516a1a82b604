"""The page state: what one page shows, keeps, refuses and where it leads, for a set of
answers, without HTTP or a database."""

from __future__ import annotations

from typing import Any

import pytest

from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.navigation import (
    first_page,
    first_page_with_errors,
    last_page,
    page_index,
    page_state,
)
from survey_app.questionnaire.rules import ErrorCode
from survey_app.questionnaire.schema import Questionnaire
from tests.conftest import FIXTURES

YES_NO = [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]
COURSE = [
    {"name": "attending", "label": {"en": "Attending"}},
    {"name": "waiting", "label": {"en": "Waiting for a place"}},
]


def question(name: str, kind: str = "select_one", **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "type": kind, "label": {"en": name}, **fields}
    if kind.startswith("select") and "choices" not in fields:
        found["choices"] = "yes_no"
    return found


DEFINITION: dict[str, Any] = {
    "id": "navigation",
    "title": {"en": "Navigation"},
    "languages": ["en"],
    "default_language": "en",
    "choices": {"yes_no": YES_NO, "course": COURSE},
    "pages": [
        {
            "name": "start",
            "questions": [question("children", required=True)],
        },
        {
            "name": "course",
            "questions": [
                question("integration_course", choices="course", required=True),
                question(
                    "course_barriers",
                    "text",
                    relevant="${integration_course} = 'waiting'",
                    required=True,
                ),
                question("wants_more", relevant="${integration_course} = 'attending'"),
                question("hours", "integer", constraint=". >= 1 and . <= 40"),
                {"name": "twice", "type": "calculate", "calculation": "${hours} * 2"},
            ],
        },
        {
            "name": "school",
            "questions": [question("school", relevant="${children} = 'yes'")],
        },
        {"name": "end", "questions": [question("comment", "text")]},
    ],
}
QUESTIONNAIRE = Questionnaire.model_validate(DEFINITION)
COURSE_PAGE = 1


def names(questions: tuple[Any, ...]) -> list[str]:
    return [found.name for found in questions]


def test_a_follow_up_question_is_visible_once_its_condition_is_answered() -> None:
    before = page_state(QUESTIONNAIRE, {}, COURSE_PAGE)
    after = page_state(QUESTIONNAIRE, {}, COURSE_PAGE, sent={"integration_course": "waiting"})
    assert names(before.visible) == ["integration_course", "hours"]
    assert names(after.visible) == ["integration_course", "course_barriers", "hours"]


def test_a_follow_up_that_was_not_shown_when_the_page_was_sent_has_appeared() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {},
        COURSE_PAGE,
        sent={"integration_course": "waiting", "hours": 5},
        shown=["integration_course", "hours"],
    )
    assert state.appeared == ("course_barriers",)
    assert state.changed


def test_a_follow_up_answered_in_the_form_that_was_sent_counts_as_seen() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {},
        COURSE_PAGE,
        sent={"integration_course": "waiting", "course_barriers": "distance"},
        shown=["integration_course", "hours"],
    )
    assert state.appeared == ()
    assert state.answers["course_barriers"] == "distance"


def test_a_page_sent_with_every_question_it_now_shows_is_unchanged() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {},
        COURSE_PAGE,
        sent={"integration_course": "waiting", "course_barriers": "no childcare"},
        shown=["integration_course", "course_barriers", "hours"],
    )
    assert state.appeared == ()
    assert state.withdrawn == ()
    assert not state.changed


def test_an_answered_question_that_no_longer_applies_is_withdrawn_and_discarded() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {"integration_course": "waiting", "course_barriers": "no childcare"},
        COURSE_PAGE,
        sent={"integration_course": "attending", "course_barriers": "no childcare"},
        shown=["integration_course", "course_barriers", "hours"],
    )
    assert state.withdrawn == ("course_barriers",)
    assert state.appeared == ("wants_more",)
    assert "course_barriers" in state.discarded
    assert "course_barriers" not in state.answers
    assert state.changed


def test_an_unanswered_question_that_goes_away_is_not_withdrawn() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {},
        COURSE_PAGE,
        sent={"integration_course": "attending", "wants_more": "yes"},
        shown=["integration_course", "course_barriers", "wants_more", "hours"],
    )
    assert state.withdrawn == ()
    assert not state.changed


def test_without_knowing_what_was_shown_nothing_counts_as_appeared() -> None:
    state = page_state(QUESTIONNAIRE, {}, COURSE_PAGE, sent={"integration_course": "waiting"})
    assert state.appeared == ()
    assert not state.changed


def test_hidden_questions_and_calculations_are_never_visible() -> None:
    state = page_state(QUESTIONNAIRE, {"integration_course": "attending", "hours": 3}, COURSE_PAGE)
    assert names(state.visible) == ["integration_course", "wants_more", "hours"]
    assert "twice" in state.relevant
    assert "course_barriers" not in state.relevant


def test_answers_of_questions_that_do_not_apply_are_discarded_on_any_page() -> None:
    state = page_state(
        QUESTIONNAIRE, {"children": "yes", "school": "yes"}, 0, sent={"children": "no"}
    )
    assert state.answers == {"children": "no"}
    assert state.discarded == frozenset({"school"})


def test_an_empty_answer_removes_the_earlier_one() -> None:
    state = page_state(
        QUESTIONNAIRE, {"hours": 5, "children": "no"}, COURSE_PAGE, sent={"hours": ""}
    )
    assert state.answers == {"children": "no"}
    assert state.discarded == frozenset()


def test_answers_to_unknown_questions_and_notes_are_not_kept() -> None:
    state = page_state(QUESTIONNAIRE, {"shoe_size": 42, "twice": 99}, 0, sent={"other": "x"})
    assert state.answers == {}


def test_the_errors_are_those_of_the_visible_questions_of_the_page() -> None:
    state = page_state(
        QUESTIONNAIRE,
        {},
        COURSE_PAGE,
        sent={"integration_course": "waiting", "hours": 80},
    )
    codes = {name: error.code for name, error in state.errors.items()}
    assert codes == {"course_barriers": ErrorCode.REQUIRED, "hours": ErrorCode.CONSTRAINT}
    assert state.errors_except_required().keys() == {"hours"}


def test_errors_of_other_pages_are_not_the_page_s() -> None:
    state = page_state(QUESTIONNAIRE, {}, COURSE_PAGE, sent={"integration_course": "attending"})
    assert state.errors == {}


def test_next_and_previous_skip_a_page_without_a_question_to_show() -> None:
    without_children = page_state(QUESTIONNAIRE, {"children": "no"}, COURSE_PAGE)
    with_children = page_state(QUESTIONNAIRE, {"children": "yes"}, COURSE_PAGE)
    assert (without_children.previous, without_children.next) == (0, 3)
    assert with_children.next == 2
    assert page_state(QUESTIONNAIRE, {"children": "no"}, 3).previous == COURSE_PAGE


def test_the_first_page_has_no_previous_and_the_last_no_next() -> None:
    assert page_state(QUESTIONNAIRE, {}, 0).is_first
    assert page_state(QUESTIONNAIRE, {}, 3).is_last
    assert not page_state(QUESTIONNAIRE, {}, COURSE_PAGE).is_last


def test_the_first_page_is_the_first_with_a_question_to_show() -> None:
    hidden_start = DEFINITION | {
        "pages": [
            {"name": "later", "questions": [question("x", relevant="${y} = 'yes'")]},
            {"name": "now", "questions": [question("y")]},
        ]
    }
    assert first_page(Questionnaire.model_validate(hidden_start), {}) == 1
    assert first_page(QUESTIONNAIRE, {}) == 0


def test_the_first_page_with_errors_is_where_a_required_question_is_unanswered() -> None:
    answers = {"children": "no", "integration_course": "waiting"}
    assert first_page_with_errors(QUESTIONNAIRE, answers) == COURSE_PAGE
    assert first_page_with_errors(QUESTIONNAIRE, answers, after=COURSE_PAGE) is None
    complete = answers | {"course_barriers": "distance"}
    assert first_page_with_errors(QUESTIONNAIRE, complete) is None


def test_answers_are_sent_from_the_last_page_with_a_question_to_show() -> None:
    assert last_page(QUESTIONNAIRE, {"children": "no"}) == 3
    only_school_last = DEFINITION | {"pages": DEFINITION["pages"][:3]}
    questionnaire = Questionnaire.model_validate(only_school_last)
    assert last_page(questionnaire, {"children": "yes"}) == 2
    assert last_page(questionnaire, {"children": "no"}) == COURSE_PAGE


def test_pages_are_found_by_name() -> None:
    assert page_index(QUESTIONNAIRE, "school") == 2
    assert page_index(QUESTIONNAIRE, "nowhere") is None


def test_a_page_outside_the_questionnaire_is_refused() -> None:
    with pytest.raises(IndexError):
        page_state(QUESTIONNAIRE, {}, 4)


# -- cascading selects: the options a page offers ---------------------------------------------


def cascade() -> Questionnaire:
    result = load_questionnaire(FIXTURES / "cascade.yaml", working_groups=set())
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def test_the_page_offers_what_the_choice_filters_keep() -> None:
    state = page_state(cascade(), {"state": "texas"}, 1)
    assert state.offered == {"county": ("brazos", "harris"), "city": ()}


def test_an_offer_that_changed_under_an_unanswered_question_shows_the_page_again() -> None:
    questionnaire = cascade()
    shown = page_state(questionnaire, {"state": "texas"}, 1)
    sent = page_state(
        questionnaire,
        {"state": "texas"},
        1,
        sent={"county": "harris"},
        shown=shown.visible_names,
        shown_offers=shown.offered_digests,
    )
    assert sent.refiltered == ("city",)
    assert sent.changed
    assert sent.unseen == ()  # city is not required: no error to hold back
    assert sent.offered["city"] == ("houston",)


def test_a_required_question_whose_options_just_appeared_gets_no_error_yet() -> None:
    questionnaire = cascade()
    shown = page_state(questionnaire, {}, 1)
    sent = page_state(
        questionnaire,
        {"state": "texas"},
        1,
        sent={},
        shown=shown.visible_names,
        shown_offers=shown.offered_digests,
    )
    assert sent.refiltered == ("county",)  # the city still waits for a county
    assert sent.errors["county"].code is ErrorCode.REQUIRED
    assert sent.unseen == ("county",)


def test_an_answer_still_offered_needs_no_second_look() -> None:
    questionnaire = cascade()
    answers = {"state": "texas", "county": "brazos", "city": "bryan"}
    shown = page_state(questionnaire, {"state": "texas"}, 1)
    sent = page_state(
        questionnaire,
        {"state": "texas"},
        1,
        sent={"county": "brazos", "city": "bryan"},
        shown=shown.visible_names,
        shown_offers=shown.offered_digests,
    )
    assert sent.refiltered == ()
    assert not sent.changed
    assert sent.answers == answers


# -- repeats whose number of entries the questionnaire sets -----------------------------------


def test_a_repeat_counted_by_a_calculation_shows_as_many_entries_as_it_calculates() -> None:
    """pyxform's repeat_date_test.xls: `repeat_count: ${n}` where `n` is a calculation on an
    earlier page; the page must show the calculated number of entries, as the check of the
    answers expects."""
    questionnaire = Questionnaire.model_validate(
        {
            "id": "counted",
            "title": {"en": "Counted"},
            "languages": ["en"],
            "default_language": "en",
            "choices": {"yes_no": YES_NO},
            "pages": [
                {"name": "first", "questions": [
                    question("adults", "integer"),
                    {"name": "n", "type": "calculate", "calculation": "${adults} + 1"},
                ]},
                {"name": "visits", "questions": [
                    {**question("visit", "repeat"), "repeat_count": "${n}",
                     "questions": [question("again")]},
                ]},
            ],
        }
    )  # fmt: skip
    state = page_state(questionnaire, {"adults": 2}, 1)
    assert state.values["visit"] == [{}, {}, {}]
