"""Specification of the XLSForm expression language (relevant, constraint, calculation)."""

from __future__ import annotations

import contextlib
import datetime
import math
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.questionnaire.expressions import (
    Expression,
    ExpressionError,
    parse_expression,
    to_boolean,
)

TODAY = datetime.date(2025, 6, 15)


def evaluate(
    source: str, answers: Mapping[str, object] | None = None, current: object = None
) -> object:
    return parse_expression(source).evaluate(answers or {}, current=current, today=TODAY)


def is_true(
    source: str, answers: Mapping[str, object] | None = None, current: object = None
) -> bool:
    return parse_expression(source).is_true(answers or {}, current=current, today=TODAY)


def is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- parsing --------------------------------------------------------------------------------


def test_parse_returns_source_and_references() -> None:
    expression = parse_expression("${age} >= 18 and selected(${langs}, 'de') or ${age} = 0")
    assert isinstance(expression, Expression)
    assert expression.source == "${age} >= 18 and selected(${langs}, 'de') or ${age} = 0"
    assert expression.references == frozenset({"age", "langs"})


def test_references_are_empty_without_dollar_names() -> None:
    assert parse_expression(". > 3").references == frozenset()


def test_reference_names_may_contain_dots_and_hyphens() -> None:
    assert parse_expression("${first-name.v2} = 'x'").references == {"first-name.v2"}


def test_unknown_function_is_a_parse_error() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("1 + frobnicate(${a})")
    assert "frobnicate" in caught.value.message
    assert caught.value.position == 4


@pytest.mark.parametrize("source", ["selected(${a})", "not()", "today(1)", "if(1, 2)"])
def test_wrong_number_of_arguments_is_a_parse_error(source: str) -> None:
    with pytest.raises(ExpressionError, match="argument"):
        parse_expression(source)


@pytest.mark.parametrize(
    ("source", "position"),
    [("${a} +", 6), ("${a} = = 1", 7), ("(1", 2), ("1 # 2", 2), ("", 0)],
)
def test_syntax_error_reports_its_position(source: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    assert caught.value.position == position


def test_bare_question_name_hints_at_dollar_syntax() -> None:
    with pytest.raises(ExpressionError, match=r"\$\{name\}"):
        parse_expression("age > 18")


def test_invalid_literal_regex_is_a_parse_error() -> None:
    with pytest.raises(ExpressionError, match="regular expression"):
        parse_expression("regex(., '[0-9')")


def test_expression_error_is_a_value_error() -> None:
    assert issubclass(ExpressionError, ValueError)


def test_excessive_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError):
        parse_expression("not(" * 500 + "1" + ")" * 500)


def test_redundant_parentheses_add_no_depth() -> None:
    assert evaluate("(" * 500 + "1" + ")" * 500) == 1


def test_a_long_sum_of_answers_parses() -> None:
    source = " + ".join(f"${{q{index}}}" for index in range(150))
    assert evaluate(source, {f"q{index}": 1 for index in range(150)}) == 150


@pytest.mark.parametrize(
    ("source", "expected"),
    [("${a} - 1", 4), ("${a}-1", 4), ("${a} -1", 4), ("-${a}", -5), ("${a} div-1", -5)],
)
def test_minus_is_an_operator_next_to_references(source: str, expected: int) -> None:
    assert evaluate(source, {"a": 5}) == expected


def test_hyphenated_function_names_parse() -> None:
    assert evaluate("count-selected(${x})-1", {"x": ["a", "b"]}) == 1
    assert evaluate("string-length('abc')") == 3


def test_operator_words_need_no_spaces_around_parentheses() -> None:
    assert evaluate("(1)and(0)") is False
    assert evaluate("(0)or(1)") is True


# -- operators and precedence ---------------------------------------------------------------


def test_multiplication_binds_tighter_than_addition() -> None:
    assert evaluate("1 + 2 * 3") == 7


def test_parentheses_override_precedence() -> None:
    assert evaluate("(1 + 2) * 3") == 9


def test_subtraction_is_left_associative() -> None:
    assert evaluate("10 - 3 - 2") == 5


def test_and_binds_tighter_than_or() -> None:
    assert evaluate("1 = 1 or 1 = 2 and 1 = 2") is True


def test_comparison_binds_tighter_than_equality() -> None:
    assert evaluate("1 < 2 = 2 > 1") is True


def test_unary_minus_binds_tighter_than_multiplication() -> None:
    assert evaluate("-2 * 3") == -6


def test_div_and_mod() -> None:
    assert evaluate("7 div 2") == 3.5
    assert evaluate("7 mod 3") == 1


def test_mod_keeps_the_sign_of_the_dividend_like_xpath() -> None:
    assert evaluate("-7 mod 3") == -1


def test_whole_results_are_ints() -> None:
    result = evaluate("4 div 2")
    assert result == 2
    assert isinstance(result, int)


def test_decimal_literals() -> None:
    assert evaluate("1.5 + .5") == 2


def test_division_by_zero_does_not_raise() -> None:
    assert evaluate("1 div 0") == math.inf
    assert evaluate("-1 div 0") == -math.inf
    assert is_nan(evaluate("0 div 0"))
    assert is_nan(evaluate("5 mod 0"))


def test_arithmetic_on_an_unanswered_question_is_nan() -> None:
    assert is_nan(evaluate("${a} + 1"))


def test_and_or_short_circuit_to_booleans() -> None:
    assert evaluate("'x' and 3") is True
    assert evaluate("'' or 0") is False


# -- comparisons ----------------------------------------------------------------------------


def test_empty_answer_compares_equal_to_empty_string() -> None:
    assert is_true("${a} = ''")
    assert is_true("${a} = ''", {"a": None})
    assert not is_true("${a} != ''")


def test_answered_number_is_not_equal_to_empty_string() -> None:
    assert is_true("${a} != ''", {"a": 0})


def test_number_and_numeric_string_compare_numerically() -> None:
    assert is_true("${a} = '5.0'", {"a": 5})
    assert is_true("${a} = 5", {"a": "5"})


def test_strings_compare_as_strings() -> None:
    assert is_true("${a} = 'yes'", {"a": "yes"})
    assert not is_true("${a} = '5.0'", {"a": "5"})


def test_booleans_compare_as_numbers_or_by_name() -> None:
    assert is_true("${a} = true()", {"a": True})
    assert is_true("${a} = 1", {"a": True})
    assert is_true("${a} = 'false'", {"a": False})


def test_ordering_non_numeric_strings_is_false() -> None:
    assert not is_true("'b' > 'a'")
    assert not is_true("'b' < 'a'")


def test_ordering_with_an_unanswered_question_is_false() -> None:
    assert not is_true("${a} < 3")
    assert not is_true("${a} >= 3")


def test_numeric_strings_are_ordered_as_numbers() -> None:
    assert is_true("${a} > 9", {"a": "10"})


def test_dates_compare_as_dates() -> None:
    answers = {"start": "2024-12-31", "end": "2025-01-01"}
    assert is_true("${end} > ${start}", answers)
    assert is_true("${start} <= today()", answers)
    assert is_true("${start} = '2024-12-31'", answers)


def test_date_difference_is_in_days() -> None:
    assert evaluate("int((today() - ${dob}) div 365.25)", {"dob": "2000-06-16"}) == 24


def test_select_multiple_equals_its_space_joined_choices() -> None:
    assert is_true("${x} = 'a b'", {"x": ["a", "b"]})


def test_nan_is_not_equal_to_itself() -> None:
    assert not is_true("number('x') = number('x')")


# -- the current answer (.) -----------------------------------------------------------------


def test_dot_is_the_current_answer_in_a_range_constraint() -> None:
    constraint = parse_expression(". >= 1900 and . <= 2026")
    assert constraint.is_true({}, current=1985)
    assert constraint.is_true({}, current="2026")
    assert not constraint.is_true({}, current=1899)
    assert not constraint.is_true({}, current=None)


def test_regex_constraint_on_postcode() -> None:
    constraint = parse_expression("regex(., '^[0-9]{5}$')")
    assert constraint.is_true({}, current="10115")
    assert not constraint.is_true({}, current="1011")
    assert not constraint.is_true({}, current="101150")


def test_regex_searches_unless_anchored() -> None:
    assert is_true("regex(., '[0-9]')", current="ab1c")


def test_regex_with_an_invalid_runtime_pattern_is_false() -> None:
    assert not is_true("regex(., ${p})", {"p": "("}, current="x")


def test_string_length_constraint() -> None:
    constraint = parse_expression("string-length(.) <= 500")
    assert constraint.is_true({}, current="x" * 500)
    assert not constraint.is_true({}, current="x" * 501)


def test_nan_constraint_is_false() -> None:
    assert not parse_expression(". div ${a} > 0").is_true({}, current="")


# -- functions ------------------------------------------------------------------------------


def test_selected_finds_a_choice_in_a_multi_select_list() -> None:
    assert is_true("selected(${langs}, 'de')", {"langs": ["en", "de"]})
    assert not is_true("selected(${langs}, 'fr')", {"langs": ["en", "de"]})


def test_selected_accepts_a_space_separated_string() -> None:
    assert is_true("selected(${langs}, 'de')", {"langs": "en de"})


def test_selected_on_unanswered_is_false() -> None:
    assert not is_true("selected(${langs}, 'de')")


def test_count_selected() -> None:
    assert evaluate("count-selected(${x})", {"x": ["a", "b", "c"]}) == 3
    assert evaluate("count-selected(${x})", {"x": "a b"}) == 2
    assert evaluate("count-selected(${x})") == 0


def test_count_selected_limit_constraint() -> None:
    assert is_true("count-selected(${x}) <= 3", {"x": ["a", "b", "c"]})
    assert not is_true("count-selected(${x}) <= 3", {"x": ["a", "b", "c", "d"]})


def test_real_relevance_with_age_and_languages() -> None:
    relevant = parse_expression("${age} >= 18 and selected(${langs}, 'de')")
    assert relevant.is_true({"age": 30, "langs": ["de"]})
    assert not relevant.is_true({"age": 17, "langs": ["de"]})
    assert not relevant.is_true({"langs": ["de"]})


def test_if_chooses_a_branch() -> None:
    assert evaluate("if(${a} > 3, 'big', 'small')", {"a": 4}) == "big"
    assert evaluate("if(${a} > 3, 'big', 'small')", {"a": 2}) == "small"


def test_not() -> None:
    assert evaluate("not(${a} = 'yes')", {"a": "no"}) is True


def test_coalesce_takes_the_first_non_empty() -> None:
    assert evaluate("coalesce(${a}, ${b})", {"b": "x"}) == "x"
    assert evaluate("coalesce(${a}, ${b})", {"a": "y", "b": "x"}) == "y"


def test_concat_converts_like_xpath_string() -> None:
    assert evaluate("concat(${a}, '-', 2.5, '-', 3, true())", {"a": "x"}) == "x-2.5-3true"


def test_string_of_numbers_uses_no_exponent() -> None:
    assert evaluate("string(1 div 10000000)") == "0.0000001"
    assert evaluate("string(1 div 0)") == "Infinity"


def test_int_truncates_toward_zero() -> None:
    assert evaluate("int(2.7)") == 2
    assert evaluate("int(-2.7)") == -2


def test_number_of_non_numeric_or_empty_is_nan() -> None:
    assert is_nan(evaluate("number('abc')"))
    assert is_nan(evaluate("number(${a})"))
    assert evaluate("number(' 42 ')") == 42


def test_round_half_away_from_zero() -> None:
    assert evaluate("round(2.5)") == 3
    assert evaluate("round(-2.5)") == -3
    assert evaluate("round(2.675, 2)") == 2.68
    assert evaluate("round(1234, -2)") == 1200


def test_sum_of_arguments_or_a_list() -> None:
    assert evaluate("sum(${a}, ${b}, 1)", {"a": 2, "b": 3.5}) == 6.5
    assert evaluate("sum(${scores})", {"scores": ["1", "2", "3"]}) == 6


def test_today_uses_the_given_date() -> None:
    assert evaluate("today()") == "2025-06-15"


def test_today_defaults_to_the_current_date() -> None:
    assert parse_expression("today()").evaluate({}) == datetime.date.today().isoformat()


def test_date_converts_days_and_keeps_iso_dates() -> None:
    assert evaluate("date(0)") == "1970-01-01"
    assert evaluate("date('2024-02-29')") == "2024-02-29"


def test_string_boolean_true_false() -> None:
    assert evaluate("string(${a})", {"a": 3}) == "3"
    assert evaluate("boolean('0')") is True
    assert evaluate("true()") is True
    assert evaluate("false()") is False


def test_reference_to_a_select_multiple_evaluates_to_its_list() -> None:
    assert evaluate("${x}", {"x": ["a", "b"]}) == ["a", "b"]


# -- to_boolean -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", None, 0, 0.0, math.nan, [], False])
def test_to_boolean_false_values(value: object) -> None:
    assert to_boolean(value) is False


@pytest.mark.parametrize("value", ["0", "false", 1, -0.5, math.inf, ["a"], True])
def test_to_boolean_true_values(value: object) -> None:
    assert to_boolean(value) is True


# -- robustness -----------------------------------------------------------------------------

ROBUSTNESS_SOURCES = [
    "${a} + ${b} * ${c} - ${a} div ${b} mod ${c}",
    "-${a} = ${b} or ${a} != ${c} and ${b} < ${c}",
    "${a} <= ${b} and ${b} >= ${c} or ${a} > . and . < ${c}",
    "selected(${a}, ${b}) and count-selected(${c}) <= 3",
    "if(${a}, ${b}, ${c})",
    "coalesce(${a}, concat(${b}, ${c}, .))",
    "string-length(${a}) + int(${b}) + number(${c})",
    "round(${a}, ${b}) + round(.)",
    "sum(${a}, ${b}, ${c}) + sum(.)",
    "regex(${a}, ${b}) or regex(., '^[0-9]{5}$')",
    "not(boolean(${a})) = string(${b})",
    "int((today() - ${a}) div 365.25) >= 18",
    "date(${a}) = date(${b})",
]

answer_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "1", " 2.5 ", "de fr", "2020-02-29", "2020-02-30", "(", "NaN"]),
    st.lists(st.text(max_size=5), max_size=4),
    st.dates().map(datetime.date.isoformat),
    st.dates(),
)


# No deadline: these properties are about never raising, not speed, and a shared CI
# machine running the suite on two workers took 300 ms for one example (a flaky failure).
@settings(deadline=None)
@given(
    answers=st.dictionaries(st.sampled_from(["a", "b", "c"]), answer_values),
    current=answer_values,
    today=st.dates(),
)
def test_evaluation_never_raises(
    answers: dict[str, object], current: object, today: datetime.date
) -> None:
    for source in ROBUSTNESS_SOURCES:
        expression = parse_expression(source)
        expression.evaluate(answers, current=current, today=today)
        assert isinstance(expression.is_true(answers, current=current, today=today), bool)


@settings(deadline=None)
@given(st.text(alphabet="${}abc.()'\"-+*=!<> ,0123456789divmodor", max_size=30))
def test_parsing_only_ever_raises_expression_error(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_expression(source)


# -- a question's own answer in its constraint (${self}, ${own name}) --------------------------


def test_self_in_a_constraint_is_the_answer_being_checked() -> None:
    constraint = parse_expression("${self} > 0 and ${self} < 120", current="age")
    assert constraint.is_true({}, current=40)
    assert not constraint.is_true({}, current=0)
    assert not constraint.is_true({}, current=130)
    assert constraint.references == frozenset()


def test_the_own_name_in_a_constraint_is_the_answer_being_checked() -> None:
    constraint = parse_expression("${age} > 0 and ${age} < 120", current="age")
    assert constraint.is_true({"age": 500}, current=40)
    assert not constraint.is_true({"age": 40}, current=500)
    assert constraint.references == frozenset()


def test_other_names_stay_references_in_a_constraint() -> None:
    constraint = parse_expression("${age} >= ${years_here}", current="age")
    assert constraint.references == frozenset({"years_here"})
    assert constraint.is_true({"years_here": 3}, current=30)
    assert not constraint.is_true({"years_here": 40}, current=30)


def test_without_a_current_question_self_is_an_ordinary_reference() -> None:
    assert parse_expression("${self} > 0").references == frozenset({"self"})


# -- choice filters (XLSForm choice_filter: evaluated once per choice) ------------------------


def test_a_bare_name_in_a_choice_filter_is_a_column_of_the_choice() -> None:
    expression = parse_expression("state = ${state}", choice_filter=True)
    assert expression.columns == {"state"}
    assert expression.references == {"state"}
    assert expression.is_true({"state": "texas"}, choice={"state": "texas"})
    assert not expression.is_true({"state": "texas"}, choice={"state": "washington"})


def test_name_in_a_choice_filter_is_the_choice_name() -> None:
    expression = parse_expression("name != ${first}", choice_filter=True)
    assert expression.is_true({"first": "a"}, choice={"name": "b"})
    assert not expression.is_true({"first": "a"}, choice={"name": "a"})


def test_a_column_the_choice_lacks_is_empty_as_in_xpath() -> None:
    expression = parse_expression("county = ''", choice_filter=True)
    assert expression.is_true({}, choice={"state": "texas"})


def test_choice_filters_use_the_same_functions_as_other_expressions() -> None:
    expression = parse_expression("selected(${earlier}, name) and ref != 'x'", choice_filter=True)
    assert expression.is_true({"earlier": ["a", "b"]}, choice={"name": "b", "ref": "y"})
    assert not expression.is_true({"earlier": ["a"]}, choice={"name": "b", "ref": "y"})
    with pytest.raises(ExpressionError, match="unknown function 'pulldata'"):
        parse_expression("pulldata('f', 'c', 'k', ${q}) = state", choice_filter=True)


def test_outside_a_choice_filter_a_bare_name_is_still_an_error() -> None:
    with pytest.raises(ExpressionError, match=r"refer to questions as \$\{name\}"):
        parse_expression("age > 18")
