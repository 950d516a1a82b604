"""The XPath functions real ODK/KoboToolbox forms use, with the meaning the ODK XForms
specification gives them; the examples are those of the specifications it refers to
(XPath 1.0, XPath 3.0) and of its own function table."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pytest

from survey_app.questionnaire.expressions import parse_expression
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Questionnaire


def evaluate(source: str, answers: Mapping[str, object] | None = None) -> object:
    return parse_expression(source).evaluate(answers or {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # XPath 1.0, 4.2 String Functions
        ("substring-before('1999/04/01', '/')", "1999"),
        ("substring-after('1999/04/01', '/')", "04/01"),
        ("substring-after('1999/04/01', '19')", "99/04/01"),
        ("substring-before('abc', 'x')", ""),
        ("translate('bar', 'abc', 'ABC')", "BAr"),
        ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
        ("normalize-space('  many   spaces here ')", "many spaces here"),
        ("contains('needs assessment', 'assess')", True),
        ("starts-with('needs', 'ne')", True),
        # XPath 3.0 fn:ends-with
        ("ends-with('tattoo', 'tattoo')", True),
        ("ends-with('tattoo', 'atto')", False),
        # ODK: substr is 0-based, the end index exclusive
        ("substr('abcdef', 1, 3)", "bc"),
        ("substr('abcdef', 2)", "cdef"),
        ("substr('abcdef', 4, 99)", "ef"),
        # ODK: selected-at is 0-based, '' beyond the list
        ("selected-at('a b c', 1)", "b"),
        ("selected-at('a b c', 3)", ""),
        ("selected-at('a b c', -1)", ""),
        ("boolean-from-string('true')", True),
        ("boolean-from-string('1')", True),
        ("boolean-from-string('yes')", False),
        ("join(', ', 'a', 'b', 'c')", "a, b, c"),
        ("count-non-empty('a', '', 'c')", 2),
    ],
)
def test_text_and_select_functions(source: str, expected: object) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # XPath 1.0 and 3.0 examples
        ("floor(10.5)", 10),
        ("floor(-10.5)", -11),
        ("ceiling(10.5)", 11),
        ("ceiling(-10.5)", -10),
        ("abs(-2)", 2),
        ("abs(10.5)", 10.5),
        ("pow(2, 3)", 8),
        ("pow(-2, 3)", -8),
        ("pow(2, -3)", 0.125),
        ("pow(0, 0)", 1),
        ("max(3, 4, 5)", 5),
        ("min(3, 4, 5)", 3),
        ("sqrt(9)", 3),
        ("log10(1000)", 3),
        ("exp10(2)", 100),
        ("round(pi(), 2)", 3.14),
    ],
)
def test_number_functions(source: str, expected: object) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    "source", ["max(1, 'x')", "sqrt(-1)", "log(0 - 1)", "min('')", "floor('')", "pow('a', 2)"]
)
def test_number_functions_of_what_is_no_number_are_nan(source: str) -> None:
    value = evaluate(source)
    assert isinstance(value, float)
    assert math.isnan(value)


def test_floor_and_ceiling_keep_infinity() -> None:
    assert evaluate("floor(1 div 0)") == math.inf
    assert evaluate("ceiling(-1 div 0)") == -math.inf


def test_min_and_max_take_a_select_multiple_s_values() -> None:
    assert evaluate("max(${sizes})", {"sizes": ["3", "12", "5"]}) == 12


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # ODK: format-date identifiers %Y %y %m %n %b %d %e %a
        ("format-date('2026-03-01', '%e %b %Y')", "1 Mar 2026"),
        ("format-date('2026-03-01', '%a %d.%m.%y')", "Sun 01.03.26"),
        ("format-date('2026-03-01', '%n/%e')", "3/1"),
        ("format-date('not a date', '%Y')", ""),
        # format-date-time adds %H %h %M %S %3
        ("format-date-time('2026-03-01T09:05:07.250+01:00', '%H:%M:%S.%3 %h')", "09:05:07.250 9"),
        # days since 1970-01-01 UTC, and back
        ("decimal-date-time('1970-01-02T12:00:00.000Z')", 1.5),
        ("decimal-date-time('1970-01-02T12:00:00.000+12:00')", 1),
        ("date-time(1.5)", "1970-01-02T12:00:00.000+00:00"),
        ("date('2026-03-01T23:30:00.000+02:00')", "2026-03-01"),
        ("number('2026-03-01T00:00:00Z') = number('2026-03-01')", True),
    ],
)
def test_date_and_time_functions(source: str, expected: object) -> None:
    assert evaluate(source) == expected


def test_now_is_a_date_time_with_offset_and_uuid_is_random() -> None:
    now = str(evaluate("now()"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", now)
    first, second = evaluate("uuid()"), evaluate("uuid()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        str(first))  # fmt: skip
    assert first != second
    assert len(str(evaluate("uuid(12)"))) == 12


def test_once_keeps_the_value_a_calculation_had() -> None:
    questionnaire = Questionnaire.model_validate(
        {
            "id": "once",
            "title": {"en": "Once"},
            "languages": ["en"],
            "default_language": "en",
            "pages": [
                {
                    "name": "p",
                    "questions": [
                        {"name": "q", "type": "text", "label": {"en": "Q"}},
                        {"name": "code", "type": "calculate", "calculation": "once(uuid())"},
                    ],
                }
            ],
        }
    )
    first = check_answers(questionnaire, {"q": "a"}).answers["code"]
    assert re.fullmatch(r"[0-9a-f-]{36}", str(first))
    assert check_answers(questionnaire, {"q": "b", "code": first}).answers["code"] == first


def test_choice_name_gives_the_label_of_the_chosen_choice_in_the_default_language() -> None:
    questionnaire = Questionnaire.model_validate(
        {
            "id": "labels",
            "title": {"de": "Labels"},
            "languages": ["de", "en"],
            "default_language": "de",
            "choices": {"yn": [{"name": "1", "label": {"de": "Ja", "en": "Yes"}},
                               {"name": "2", "label": {"de": "Nein", "en": "No"}}]},
            "pages": [
                {
                    "name": "p",
                    "questions": [
                        {"name": "q", "type": "select_one", "label": {"de": "Q"},
                         "choices": "yn"},
                        {"name": "said", "type": "calculate",
                         "calculation": "jr:choice-name(${q}, '${q}')"},
                        {"name": "unknown", "type": "calculate",
                         "calculation": "jr:choice-name(${q}, '${nothing}')"},
                    ],
                }
            ],
        }
    )  # fmt: skip
    answers = check_answers(questionnaire, {"q": "2"}).answers
    assert (answers["said"], answers["unknown"]) == ("Nein", "")
