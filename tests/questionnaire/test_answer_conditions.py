"""What a `relevant` expression tells of single answers (`answer_conditions`): what the
disclosure audit lets an attacker who reads the questionnaire know of who answered what."""

from __future__ import annotations

import itertools

import pytest

from survey_app.questionnaire.expressions import (
    AnswerCondition,
    RepeatStructure,
    answer_conditions,
    parse_expression,
)


def conditions(source: str) -> tuple[tuple[AnswerCondition, ...], bool]:
    found = answer_conditions(parse_expression(source))
    return found.conditions, found.complete


def one(question: str, test: str, *values: str) -> AnswerCondition:
    return AnswerCondition(question, test, frozenset(values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${q} = 'x'", one("q", "in", "x")),
        ("'x' = ${q}", one("q", "in", "x")),
        ('${q} = "x"', one("q", "in", "x")),
        ("${q} != 'x'", one("q", "not in", "x")),
        ("selected(${q}, 'x')", one("q", "selected", "x")),
        ("selected(${q}, ' x ')", one("q", "selected", "x")),  # selected() strips it
        ("${q} = 'x' or ${q} = 'y'", one("q", "in", "x", "y")),
        ("(${q} = 'x' or ${q} = 'y') or 'z' = ${q}", one("q", "in", "x", "y", "z")),
        ("${q} != 'x' or ${q} != 'y'", one("q", "not in")),
        ("${q} != 'x' or ${q} = 'x'", one("q", "not in")),
        ("${q} != 'x' or ${q} = 'y'", one("q", "not in", "x")),
        ("${q} = ''", one("q", "in", "")),
    ],
)
def test_one_condition_of_one_answer(source: str, expected: AnswerCondition) -> None:
    assert conditions(source) == ((expected,), True)


def test_each_side_of_an_and_is_a_condition_of_its_own() -> None:
    assert conditions("${a} = 'x' and (selected(${m}, 'p') and ${b} != 'y')") == (
        (one("a", "in", "x"), one("m", "selected", "p"), one("b", "not in", "y")),
        True,
    )


@pytest.mark.parametrize(
    "source",
    [
        "${q} = 1",  # a number: "1.0" and "01" equal it too
        "${q} > 'x'",
        "count-selected(${q}) > 0",
        "string-length(${q}) > 0",
        "${a} = 'x' or ${b} = 'x'",  # two questions
        "selected(${m}, 'p') or selected(${m}, 'q')",  # either tick: no count of the plan
        "${a} = 'x' or (${a} = 'y' and ${b} = 'z')",
        "${a} = 'x' or (${a} = 'y' and ${a} != 'y')",
        "${a} = ${b}",
        "selected(${m}, ${a})",
        "not(${q} = 'x')",
        "true()",
    ],
)
def test_other_shapes_tell_nothing(source: str) -> None:
    assert conditions(source) == ((), False)


def test_the_understood_parts_of_an_and_are_kept_but_it_is_not_complete() -> None:
    assert conditions("${a} = 'x' and ${age} >= 18") == ((one("a", "in", "x"),), False)


def test_questions_of_repeats_tell_nothing() -> None:
    structure = RepeatStructure(around={"age": ("members",)}, repeats=frozenset({"members"}))
    expression = parse_expression("${age} = '3' and ${members} = 'x'", repeats=structure)

    assert answer_conditions(expression).conditions == ()


def holds(condition: AnswerCondition, answers: dict[str, object]) -> bool:
    answer = answers.get(condition.question, "")
    if condition.test == "selected":
        ticked = answer if isinstance(answer, list) else str(answer).split()
        return next(iter(condition.values)) in ticked
    text = " ".join(answer) if isinstance(answer, list) else str(answer)
    return (text in condition.values) == (condition.test == "in")


SOURCES = [
    "${a} = 'x'",
    "${a} != 'x'",
    "${a} = 'x' or ${a} = 'y'",
    "${a} != 'x' or ${a} = 'y'",
    "${a} != 'x' and ${a} != 'y'",
    "${a} = 'x' and selected(${m}, 'p')",
    "selected(${a}, 'y') and ${b} != ''",
    "${a} = 'x' and ${b} = 'y' or ${a} = 'z'",
    "${a} = 'x' and ${a} != 'x' or ${a} = 'z'",
    "${a} = 'x' and count-selected(${m}) = 1",
    "${b} = '' and ${a} = 'x'",
]


@pytest.mark.parametrize("source", SOURCES)
def test_conditions_hold_wherever_the_expression_does_and_complete_ones_only_there(
    source: str,
) -> None:
    # Every combination of answers: a and b a choice or unanswered, m any tick set.
    expression = parse_expression(source)
    found = answer_conditions(expression)
    ticks = [[], ["p"], ["q"], ["p", "q"]]
    for a, b, m in itertools.product(["", "x", "y", "z"], ["", "x", "y"], ticks):
        answers: dict[str, object] = {"a": a, "b": b, "m": m}
        answers = {name: value for name, value in answers.items() if value not in ("", [])}
        true = expression.is_true(answers)
        all_hold = all(holds(c, answers) for c in found.conditions)
        if true:
            assert all_hold, (source, answers)
        if found.complete:
            assert true == all_hold, (source, answers)
