"""Repeats (rosters): a question asked once per entry, nested at least one level deep.

The answer to a repeat is a list of entries, each an object of answers to the repeat's
questions; entries are checked like the questions of a page, errors keyed by path
(`members[2].age`, from 1). Expressions follow ODK XForms: inside an entry `${age}` is
that entry's answer and `position(..)` its position; outside, aggregate functions read a
question over all entries (tests/fixtures/roster.yaml).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.questionnaire.errors import ProblemCode, errors_only
from survey_app.questionnaire.loader import load_questionnaire, read_yaml
from survey_app.questionnaire.rules import MAX_ENTRIES, ErrorCode, check_answers
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.questionnaire.validation import check_questionnaire
from tests.conftest import FIXTURES

ROSTER = FIXTURES / "roster.yaml"


def checked(questionnaire: Questionnaire) -> list[tuple[str, ProblemCode | None, str]]:
    """The questionnaire's errors."""
    problems = check_questionnaire(questionnaire, working_groups=set(), locate=str)
    return [(problem.location, problem.code, problem.message) for problem in errors_only(problems)]


@pytest.fixture(scope="module")
def roster() -> Questionnaire:
    """The roster as the loader reads it, every check passed."""
    questionnaire = Questionnaire.model_validate(read_yaml(ROSTER).data)
    assert checked(questionnaire) == []
    return questionnaire


def define(*questions: dict[str, Any]) -> Questionnaire:
    return Questionnaire.model_validate(
        {
            "id": "small",
            "title": {"en": "Small"},
            "languages": ["en"],
            "default_language": "en",
            "pages": [{"name": "one", "questions": list(questions)}],
        }
    )


def person(name: str, age: int, relation: str, **more: Any) -> dict[str, Any]:
    return {"member_name": name, "age": age, "relation": relation, **more}


FAMILY = {
    "household_size": 3,
    "members": [
        person("Amal", 41, "head", sex="f", works="yes", jobs=[{"job_title": "Nurse"}]),
        person("Omar", 44, "partner", works="no"),
        person("Lina", 4, "child"),
    ],
}

# -- the model ----------------------------------------------------------------------------


def test_a_repeat_is_one_question_of_its_page_with_its_own_questions(
    roster: Questionnaire,
) -> None:
    assert list(roster.questions)[:2] == ["household_size", "members"]
    members = roster.questions["members"]
    assert members.type is QuestionType.REPEAT
    assert members.repeat_count == "${household_size}"
    assert [question.name for question in members.questions][:3] == [
        "member_name",
        "age",
        "sex",
    ]
    assert "age" not in roster.questions
    assert roster.all_questions["job_title"].type is QuestionType.TEXT
    assert roster.repeat_of["age"] == "members"
    assert roster.repeat_of["job_title"] == "jobs"
    assert roster.repeats_around("job_title") == ("members", "jobs")
    assert roster.repeats_around("members") == ()
    assert ("job_label", "calculation") in roster.compiled


def test_a_questionnaire_with_a_repeat_loads_and_can_be_published() -> None:
    result = load_questionnaire(ROSTER, working_groups=set())
    assert result.errors == []
    assert result.questionnaire is not None
    assert result.questionnaire.questions["members"].type is QuestionType.REPEAT


def test_entries_are_checked_and_cleaned_with_calculations_inside_and_over_them(
    roster: Questionnaire,
) -> None:
    result = check_answers(roster, FAMILY)
    assert result.errors == {}
    amal, omar, lina = result.answers["members"]
    assert amal == {
        "member_name": "Amal",
        "age": 41,
        "sex": "f",
        "relation": "head",
        "older_than_previous": "",
        "works": "yes",
        "jobs": [{"job_title": "Nurse", "job_label": "Amal 1.1"}],
        "job_count": 1,
    }
    assert omar["older_than_previous"] == "true"
    assert omar["job_count"] == 0
    assert lina == {
        "member_name": "Lina",
        "age": 4,
        "relation": "child",
        "older_than_previous": "false",
        "job_count": 0,
    }
    assert result.answers["member_count"] == 3
    assert result.answers["total_age"] == 89
    assert result.answers["oldest"] == 44
    assert result.answers["names"] == "Amal, Omar, Lina"
    assert result.answers["second_age"] == 44
    assert "childcare" in result.relevant
    assert "members[2].works" in result.relevant
    assert "members[3].works" not in result.relevant


def test_errors_are_keyed_by_the_entry_and_question(roster: Questionnaire) -> None:
    answers = {
        "household_size": 2,
        "members": [
            person("Amal", 41, "partner", works="yes", jobs=[{"job_title": "Nurse"}, {}]),
            {"member_name": "Omar", "relation": "child", "age": "old"},
        ],
    }
    errors = check_answers(roster, answers).errors
    assert {key: error.code for key, error in errors.items()} == {
        "members[1].relation": ErrorCode.CONSTRAINT,
        "members[1].jobs[2].job_title": ErrorCode.REQUIRED,
        "members[2].age": ErrorCode.INTEGER,
    }
    assert errors["members[2].age"].question == "members[2].age"
    assert errors["members[1].relation"].constraint_message == {
        "de": "Die erste Person ist der Haushaltsvorstand, nur sie.",
        "en": "The first person is the head of household, and only the first.",
    }


def test_position_makes_only_the_first_entry_the_head(roster: Questionnaire) -> None:
    first = person("Amal", 40, "head", works="no")
    two_heads = {"household_size": 2, "members": [first, person("Lina", 9, "head")]}
    assert list(check_answers(roster, two_heads).errors) == ["members[2].relation"]


def test_answers_irrelevant_in_an_entry_are_dropped(roster: Questionnaire) -> None:
    child = person("Lina", 4, "child", works="yes", jobs=[{"job_title": "Paper round"}])
    answers = {"household_size": 2, "members": [person("Amal", 41, "head", works="no"), child]}
    result = check_answers(roster, answers)
    assert result.errors == {}
    assert "works" not in result.answers["members"][1]
    assert "jobs" not in result.answers["members"][1]


def test_a_nested_repeat_relevant_through_a_relative_path_is_required(
    roster: Questionnaire,
) -> None:
    answers = {"household_size": 1, "members": [person("Amal", 41, "head", works="yes")]}
    assert {k: e.code for k, e in check_answers(roster, answers).errors.items()} == {
        "members[1].jobs": ErrorCode.REQUIRED
    }


@pytest.mark.parametrize(
    "members",
    ["Amal, Omar", {"member_name": "Amal"}, [person("Amal", 41, "head"), "Omar"], [[]]],
)
def test_a_repeat_answer_is_a_list_of_objects(roster: Questionnaire, members: object) -> None:
    errors = check_answers(roster, {"household_size": 1, "members": members}).errors
    assert {key: error.code for key, error in errors.items()} == {"members": ErrorCode.ENTRIES}


def test_an_unknown_key_in_an_entry_is_refused_at_its_path(roster: Questionnaire) -> None:
    amal = person("Amal", 41, "head", works="no", hobby="chess")
    answers = {"household_size": 1, "members": [amal]}
    errors = check_answers(roster, answers).errors
    assert {key: error.code for key, error in errors.items()} == {
        "members[1].hobby": ErrorCode.UNKNOWN_QUESTION
    }


def test_questions_of_a_repeat_are_unknown_outside_their_entries(roster: Questionnaire) -> None:
    errors = check_answers(roster, {**FAMILY, "age": 41}).errors
    assert {key: error.code for key, error in errors.items()} == {"age": ErrorCode.UNKNOWN_QUESTION}


@pytest.mark.parametrize("household_size", [2, 4])
def test_the_number_of_entries_must_be_the_repeat_count(
    roster: Questionnaire, household_size: int
) -> None:
    errors = check_answers(roster, {**FAMILY, "household_size": household_size}).errors
    assert {key: error.code for key, error in errors.items()} == {"members": ErrorCode.ENTRY_COUNT}


def test_a_required_repeat_needs_an_entry() -> None:
    questionnaire = define(
        {
            "name": "visits",
            "type": "repeat",
            "required": True,
            "label": {"en": "Visit"},
            "questions": [{"name": "place", "type": "text", "label": {"en": "Where?"}}],
        }
    )
    for answers in ({}, {"visits": []}):
        errors = check_answers(questionnaire, answers).errors
        assert {key: error.code for key, error in errors.items()} == {"visits": ErrorCode.REQUIRED}
    assert check_answers(questionnaire, {"visits": [{}]}).ok


VISITS = define(
    {"name": "travelled", "type": "integer", "label": {"en": "Trips?"}},
    {
        "name": "visits",
        "type": "repeat",
        "relevant": "${travelled} > 0",
        "label": {"en": "Visit"},
        "questions": [
            {"name": "place", "type": "text", "required": True, "label": {"en": "Where?"}},
            {"name": "nights", "type": "integer", "label": {"en": "Nights?"}},
        ],
    },
)


def test_more_entries_than_the_cap_are_refused() -> None:
    entries = [{"place": "Kassel"}] * (MAX_ENTRIES + 1)
    errors = check_answers(VISITS, {"travelled": 1, "visits": entries}).errors
    assert {key: error.code for key, error in errors.items()} == {"visits": ErrorCode.ENTRY_COUNT}
    assert check_answers(VISITS, {"travelled": 1, "visits": entries[:MAX_ENTRIES]}).ok


def test_an_irrelevant_repeat_is_dropped_with_its_entries() -> None:
    result = check_answers(VISITS, {"travelled": 0, "visits": [{"place": 3}]})
    assert result.ok
    assert result.answers == {"travelled": 0}


def test_errors_of_entries_are_reported_only_within_the_scope() -> None:
    answers = {"travelled": 1, "visits": [{}]}
    assert list(check_answers(VISITS, answers, scope={"travelled"}).errors) == []
    assert list(check_answers(VISITS, answers, scope={"visits"}).errors) == ["visits[1].place"]


entry = st.fixed_dictionaries(
    {"place": st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=20)},
    optional={"nights": st.integers(min_value=0, max_value=400)},
)


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(entry, min_size=1, max_size=MAX_ENTRIES))
def test_any_list_of_valid_entries_is_accepted_and_cleaned_once_for_all(
    entries: list[dict[str, Any]],
) -> None:
    first = check_answers(VISITS, {"travelled": 1, "visits": entries})
    assert first.ok
    assert len(first.answers["visits"]) == len(entries)  # type: ignore[arg-type]
    again = check_answers(VISITS, first.answers)
    assert again.ok
    assert again.answers == first.answers


# -- questionnaire checks -------------------------------------------------------------------

MEMBERS: dict[str, Any] = {
    "name": "members",
    "type": "repeat",
    "label": {"en": "Person"},
    "questions": [{"name": "age", "type": "integer", "label": {"en": "Age"}}],
}


def codes(questionnaire: Questionnaire) -> list[ProblemCode | None]:
    return [code for _, code, _ in checked(questionnaire)]


def test_names_are_unique_across_entries_and_pages() -> None:
    duplicate = {"name": "age", "type": "integer", "label": {"en": "Your age"}}
    assert codes(define(duplicate, MEMBERS)) == [ProblemCode.DUPLICATE_NAME]


def test_an_entry_question_may_not_take_the_name_results_derive_for_it() -> None:
    # Results count households by the sexes of their members as `sex__in_members`.
    taken = {"name": "sex__in_members", "type": "text", "label": {"en": "Sex"}}
    members = MEMBERS | {"questions": [*MEMBERS["questions"], taken]}

    assert codes(define(members)) == [ProblemCode.RESERVED_NAME]


def test_only_repeats_have_questions_and_a_repeat_count() -> None:
    text = {
        "name": "t",
        "type": "text",
        "label": {"en": "T"},
        "repeat_count": "2",
        "questions": MEMBERS["questions"],
    }
    assert codes(define(text)) == [ProblemCode.REPEAT_FIELD, ProblemCode.REPEAT_FIELD]


def test_a_repeat_has_questions_and_no_constraint() -> None:
    empty = {**MEMBERS, "questions": [], "constraint": ". > 1"}
    assert codes(define(empty)) == [ProblemCode.EMPTY_REPEAT, ProblemCode.REPEAT_FIELD]


@pytest.mark.parametrize(
    ("relevant", "problem"),
    [
        ("sum(${age}) > 10", None),
        ("indexed-repeat(${age}, ${members}, 1) > 10", None),
        ("count(${members}) > 1", None),
        ("${age} > 10", ProblemCode.REPEAT_REFERENCE),
        ("${members} != ''", ProblemCode.REPEAT_REFERENCE),
        ("position(..) = )", ProblemCode.INVALID_EXPRESSION),
    ],
)
def test_outside_its_repeat_a_question_is_only_read_through_aggregates(
    relevant: str, problem: ProblemCode | None
) -> None:
    after = {"name": "after", "type": "text", "label": {"en": "A"}, "relevant": relevant}
    assert codes(define(MEMBERS, after)) == ([] if problem is None else [problem])


def test_a_repeat_count_must_parse_and_name_known_questions() -> None:
    for repeat_count, problem in (("3", None), ("${n} +", ProblemCode.INVALID_EXPRESSION)):
        repeat = {**MEMBERS, "repeat_count": repeat_count}
        assert codes(define(repeat)) == ([] if problem is None else [problem])
    assert codes(define({**MEMBERS, "repeat_count": "${n}"})) == [ProblemCode.UNKNOWN_REFERENCE]


def test_a_repeat_count_no_answer_could_hold_is_refused() -> None:
    assert codes(define({**MEMBERS, "repeat_count": str(MAX_ENTRIES)})) == []
    assert codes(define({**MEMBERS, "repeat_count": str(MAX_ENTRIES + 1)})) == [
        ProblemCode.REPEAT_FIELD
    ]


def test_choice_filters_read_entries_and_positions() -> None:
    """Offered choices are cached per question and what its filter reads: that includes
    the entry's position and answers in entries read from outside."""
    questionnaire = Questionnaire.model_validate(
        {
            "id": "filters",
            "title": {"en": "Filters"},
            "languages": ["en"],
            "default_language": "en",
            "choices": {
                "roles": [
                    {"name": "head", "label": {"en": "Head"}, "columns": {"first": "1"}},
                    {"name": "other", "label": {"en": "Other"}, "columns": {"first": "0"}},
                ]
            },
            "pages": [
                {
                    "name": "one",
                    "questions": [
                        {
                            **MEMBERS,
                            "questions": [
                                *MEMBERS["questions"],
                                {
                                    "name": "role",
                                    "type": "select_one",
                                    "choices": "roles",
                                    "choice_filter": "first = if(position(..) = 1, '1', '0')",
                                    "label": {"en": "Role"},
                                },
                            ],
                        },
                        {
                            "name": "adult_role",
                            "type": "select_one",
                            "choices": "roles",
                            "choice_filter": "name = 'head' or max(${age}) >= 18",
                            "label": {"en": "Role of an adult"},
                        },
                    ],
                }
            ],
        }
    )
    assert checked(questionnaire) == []
    result = check_answers(questionnaire, {"members": [{"age": 40}, {"age": 9}]})
    assert result.offered["members[1].role"] == ("head",)
    assert result.offered["members[2].role"] == ("other",)
    assert result.offered["adult_role"] == ("head", "other")
    children = check_answers(questionnaire, {"members": [{"age": 7}, {"age": 9}]})
    assert children.offered["adult_role"] == ("head",)


def test_texts_of_an_entry_need_translations_like_any_other() -> None:
    definition = define(MEMBERS).model_dump(mode="json", exclude_defaults=True)
    definition["languages"] = ["en", "de"]
    definition["title"]["de"] = "Klein"
    definition["pages"][0]["questions"][0]["label"]["de"] = "Person"
    problems = check_questionnaire(
        Questionnaire.model_validate(definition), working_groups=set(), locate=str
    )
    missing = [problem for problem in problems if problem.code is ProblemCode.MISSING_TRANSLATION]
    assert [(problem.location, problem.message) for problem in missing] == [
        (
            str(("pages", 0, "questions", 0, "questions", 0, "label")),
            "1 text(s) have no 'de' translation",
        )
    ]


def test_results_name_the_question_a_label_shows_the_answer_of(roster: Questionnaire) -> None:
    # Results show nobody's answer: "Does ${member_name} work?" reads "Does [First name] work?".
    works = roster.all_questions["works"].label

    assert roster.text_for_results(works, "en") == "Does [First name] work?"
    assert roster.text_for_results(works, "de") == "Ist [Vorname] erwerbstätig?"
    assert roster.text_for_results({"en": "Plain"}, "en") == "Plain"
