"""Expressions over repeats, as the ODK XForms specification defines them.

Inside an entry, `${age}` (and `../age`) is that entry's answer, `position(..)` its
position from 1; outside, a question of a repeat is a node-set with one node per entry,
which `count()`, `sum()`, `min()`, `max()`, `join()` and `count-non-empty()` read whole;
`indexed-repeat(${age}, ${members}, 2)` is one entry's answer. Evaluating never raises.
"""

from __future__ import annotations

import math

import pytest

from survey_app.questionnaire.expressions import (
    EntryAnswers,
    ExpressionError,
    RepeatStructure,
    parse_expression,
)

STRUCTURE = RepeatStructure(
    around={
        "member_name": ("members",),
        "age": ("members",),
        "jobs": ("members",),
        "job_title": ("members", "jobs"),
    },
    repeats=frozenset({"members", "jobs"}),
)
HOUSEHOLD: dict[str, object] = {
    "members": [
        {"member_name": "Amal", "age": 41, "jobs": [{"job_title": "Nurse"}, {"job_title": "Cook"}]},
        {"member_name": "Omar", "age": 44},
        {"member_name": "Lina"},
    ]
}


def evaluate(source: str, answers: object = HOUSEHOLD) -> object:
    assert isinstance(answers, dict | EntryAnswers)
    return parse_expression(source, repeats=STRUCTURE).evaluate(answers)


def inside(position: int) -> EntryAnswers:
    members = HOUSEHOLD["members"]
    assert isinstance(members, list)
    names = frozenset({"member_name", "age", "jobs"})
    return EntryAnswers(members[position - 1], names, HOUSEHOLD, position)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("count(${members})", 3),
        ("count(${age})", 3),  # one node per entry, answered or not
        ("count-non-empty(${age})", 2),
        ("sum(${age})", float("nan")),  # XPath 1.0: number('') is NaN
        ("sum(${age}) > 0", False),
        ("max(${age})", float("nan")),
        ("join(', ', ${member_name})", "Amal, Omar, Lina"),
        ("indexed-repeat(${age}, ${members}, 2)", 44),
        ("indexed-repeat(${age}, ${members}, 3)", ""),
        ("indexed-repeat(${age}, ${members}, 4)", ""),
        ("indexed-repeat(${age}, ${members}, 1.5)", ""),
        ("indexed-repeat(${job_title}, ${members}, 1, ${jobs}, 2)", "Cook"),
        ("count(${jobs})", 2),  # every entry of the nested repeat
        ("count(${job_title})", 2),
        ("join(' ', ${job_title})", "Nurse Cook"),
        ("position(..)", 1),  # outside any entry: the root's position
    ],
)
def test_outside_a_repeat_its_questions_are_read_over_all_entries(
    source: str, value: object
) -> None:
    result = evaluate(source)
    if isinstance(value, float) and math.isnan(value):
        assert isinstance(result, float)
        assert math.isnan(result)
    else:
        assert result == value


@pytest.mark.parametrize(
    ("source", "second", "third"),
    [
        ("position(..)", 2, 3),
        ("${age}", 44, ""),  # the entry's own, unanswered: never another entry's
        ("../age", 44, ""),
        ("${member_name}", "Omar", "Lina"),
        ("count(${members})", 3, 3),
        ("count(${job_title})", 0, 0),  # the jobs of this entry only
        ("indexed-repeat(${age}, ${members}, position(..) - 1)", 41, 44),
        ("concat(position(..), '/', count(${members}))", "2/3", "3/3"),
    ],
)
def test_inside_an_entry_references_are_that_entrys(
    source: str, second: object, third: object
) -> None:
    assert evaluate(source, inside(2)) == second
    assert evaluate(source, inside(3)) == third


def test_in_a_nested_entry_dot_dot_steps_up_one_repeat_at_a_time() -> None:
    amal = inside(1)
    job = EntryAnswers({"job_title": "Cook"}, frozenset({"job_title"}), amal, 2)
    assert evaluate("position(..)", job) == 2
    assert evaluate("position(../..)", job) == 1
    assert evaluate("${member_name}", job) == "Amal"
    assert evaluate("../../member_name", job) == "Amal"
    assert evaluate("../job_title", job) == "Cook"
    assert evaluate("current()/../job_title", job) == "Cook"
    assert evaluate("count(${job_title})", amal) == 2


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("..", "only possible in position(..)"),
        ("../age + ..", "only possible in position(..)"),
        ("position(${age})", "position() takes '..'"),
        ("position()", "position() takes '..'"),
        ("indexed-repeat(${age}, ${members})", "indexed-repeat() takes a question"),
        ("indexed-repeat('age', ${members}, 1)", "indexed-repeat() takes a question"),
        ("count(${age}, ${sex})", "count() takes 1 argument(s), got 2"),
    ],
)
def test_repeat_functions_are_checked_when_parsed(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_expression(source, repeats=STRUCTURE)


def test_aggregated_references_are_not_bare() -> None:
    expression = parse_expression(
        "sum(${age}) + indexed-repeat(${age}, ${members}, 1) + ${x}", repeats=STRUCTURE
    )
    assert expression.references == {"age", "members", "x"}
    assert expression.bare_references == {"x"}


def test_an_unanswered_question_of_the_entry_is_never_read_from_around_it() -> None:
    entry = EntryAnswers({}, frozenset({"age"}), {"age": 40}, 1)
    assert evaluate("${age}", entry) == ""
    assert dict(entry) == {"age": None}


@pytest.mark.parametrize("members", ["Amal", [1, "two"], [{"age": [{"x": 1}]}], None])
def test_answers_of_any_shape_never_make_an_expression_raise(members: object) -> None:
    answers = {"members": members}
    assert evaluate("count(${members})", answers) in (0, 1)
    evaluate("indexed-repeat(${age}, ${members}, 1)", answers)
    evaluate("sum(${age}) + max(${job_title}) + join(',', ${age})", answers)
