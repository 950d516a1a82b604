"""Answer rules: one verdict for a set of answers, wherever they come from."""

from __future__ import annotations

from typing import Any

import pytest

from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.rules import (
    ErrorCode,
    check_answers,
    offered_choices,
    parse_form_value,
)
from survey_app.questionnaire.schema import Questionnaire
from tests.conftest import FIXTURES

DEFINITION: dict[str, Any] = {
    "id": "rules",
    "title": {"en": "Rules"},
    "languages": ["en"],
    "default_language": "en",
    "choices": {
        "yes_no": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}],
        "langs": [
            {"name": "de", "label": {"en": "German"}},
            {"name": "en", "label": {"en": "English"}},
            {"name": "ar", "label": {"en": "Arabic"}},
        ],
    },
    "pages": [
        {
            "name": "one",
            "questions": [
                {
                    "name": "works",
                    "type": "select_one",
                    "choices": "yes_no",
                    "required": True,
                    "label": {"en": "Do you work?"},
                },
                {
                    "name": "hours",
                    "type": "integer",
                    "required": True,
                    "relevant": "${works} = 'yes'",
                    "constraint": ". >= 1 and . <= 80",
                    "constraint_message": {"en": "Between 1 and 80."},
                    "label": {"en": "Hours?"},
                },
                {"name": "intro", "type": "note", "label": {"en": "Some notes."}},
            ],
        },
        {
            "name": "two",
            "questions": [
                {
                    "name": "spoken",
                    "type": "select_multiple",
                    "choices": "langs",
                    "constraint": "count-selected(.) <= 2",
                    "label": {"en": "Languages?"},
                },
                {
                    "name": "arabic_help",
                    "type": "select_one",
                    "choices": "yes_no",
                    "relevant": "selected(${spoken}, 'ar')",
                    "label": {"en": "Help in Arabic?"},
                },
                {"name": "income", "type": "decimal", "label": {"en": "Income?"}},
                {"name": "arrived", "type": "date", "label": {"en": "Arrival?"}},
                {"name": "opens", "type": "time", "label": {"en": "Opening time?"}},
                {"name": "landed", "type": "datetime", "label": {"en": "Landed when?"}},
                {"name": "comment", "type": "text", "label": {"en": "Comment?"}},
                {"name": "weekly", "type": "calculate", "calculation": "${hours} * 4"},
            ],
        },
    ],
}

QUESTIONNAIRE = Questionnaire.model_validate(DEFINITION)


def errors_of(answers: dict[str, object], **kwargs: Any) -> dict[str, ErrorCode]:
    result = check_answers(QUESTIONNAIRE, answers, **kwargs)
    return {name: error.code for name, error in result.errors.items()}


def test_a_complete_valid_set_of_answers_passes() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "yes", "hours": 20, "spoken": ["de", "ar"]})
    assert result.ok
    assert result.answers["hours"] == 20


def test_a_required_relevant_question_must_be_answered() -> None:
    assert errors_of({"works": "yes"}) == {"hours": ErrorCode.REQUIRED}


def test_required_only_applies_when_relevant() -> None:
    assert errors_of({"works": "no"}) == {}


def test_irrelevant_answers_are_discarded_not_refused() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "hours": 500})
    assert result.ok
    assert "hours" not in result.answers


def test_a_failed_constraint_carries_the_questionnaire_message() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "yes", "hours": 100})
    error = result.errors["hours"]
    assert error.code is ErrorCode.CONSTRAINT
    assert error.constraint_message == {"en": "Between 1 and 80."}


def test_a_constraint_over_a_multi_select_counts_the_choices() -> None:
    answers = {"works": "no", "spoken": ["de", "en", "ar"]}
    assert errors_of(answers) == {"spoken": ErrorCode.CONSTRAINT}


@pytest.mark.parametrize(
    "constraint",
    ["${years} >= 1 and ${years} <= 80", "${self} >= 1 and ${self} <= 80", ". >= 1 and . <= 80"],
)
def test_a_constraint_naming_its_own_question_checks_the_answer_given(constraint: str) -> None:
    definition = {
        "id": "own",
        "title": {"en": "Own"},
        "languages": ["en"],
        "default_language": "en",
        "pages": [
            {
                "name": "one",
                "questions": [
                    {
                        "name": "years",
                        "type": "integer",
                        "constraint": constraint,
                        "label": {"en": "Years?"},
                    }
                ],
            }
        ],
    }
    questionnaire = Questionnaire.model_validate(definition)
    assert check_answers(questionnaire, {"years": 30}).ok
    assert check_answers(questionnaire, {"years": 30}).answers == {"years": 30}
    assert check_answers(questionnaire, {"years": 0}).errors["years"].code is ErrorCode.CONSTRAINT
    assert check_answers(questionnaire, {"years": 81}).errors["years"].code is ErrorCode.CONSTRAINT


def test_relevance_sees_answers_given_earlier_in_the_questionnaire() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "spoken": ["ar"], "arabic_help": "yes"})
    assert result.answers["arabic_help"] == "yes"
    result = check_answers(QUESTIONNAIRE, {"works": "no", "spoken": ["de"], "arabic_help": "yes"})
    assert "arabic_help" not in result.answers


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("works", "maybe", ErrorCode.CHOICE),
        ("works", 1, ErrorCode.CHOICE),
        ("spoken", "de", ErrorCode.CHOICES),
        ("spoken", ["de", "fr"], ErrorCode.CHOICES),
        ("income", "a lot", ErrorCode.DECIMAL),
        ("income", True, ErrorCode.DECIMAL),
        ("arrived", "2024-02-30", ErrorCode.DATE),
        ("opens", "25:00", ErrorCode.TIME),
        ("opens", "9:30", ErrorCode.TIME),
        ("opens", "0930", ErrorCode.TIME),
        ("opens", "halb zehn", ErrorCode.TIME),
        ("opens", 930, ErrorCode.TIME),
        ("landed", "2024-02-30T10:00", ErrorCode.DATETIME),
        ("landed", "2024-03-01", ErrorCode.DATETIME),
        ("landed", "20240301T1000", ErrorCode.DATETIME),
        ("landed", "01.03.2024 10:00", ErrorCode.DATETIME),
        ("comment", 12, ErrorCode.TEXT),
        ("comment", "x" * 5001, ErrorCode.TOO_LONG),
    ],
)
def test_wrong_types_and_unknown_choices_are_refused(
    name: str, value: object, code: ErrorCode
) -> None:
    assert errors_of({"works": "no", name: value}) == {name: code}


def test_a_whole_number_must_not_be_a_fraction_or_a_boolean() -> None:
    assert errors_of({"works": "yes", "hours": 2.5}) == {"hours": ErrorCode.INTEGER}
    assert errors_of({"works": "yes", "hours": True}) == {"hours": ErrorCode.INTEGER}


def test_an_unknown_question_is_refused() -> None:
    assert errors_of({"works": "no", "shoe_size": 42}) == {"shoe_size": ErrorCode.UNKNOWN_QUESTION}


def test_errors_are_reported_only_within_the_scope_of_a_page() -> None:
    assert errors_of({}, scope={"spoken", "income"}) == {}
    assert errors_of({}, scope={"works", "hours"}) == {"works": ErrorCode.REQUIRED}


def test_calculations_are_computed_on_the_server() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "yes", "hours": 10, "weekly": 9999})
    assert result.answers["weekly"] == 40


def test_multi_select_answers_are_kept_in_choice_order() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "spoken": ["ar", "de"]})
    assert result.answers["spoken"] == ["de", "ar"]


def test_notes_never_carry_an_answer() -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "intro": "typed into a note"})
    assert "intro" not in result.answers


def test_form_values_are_typed_before_they_are_checked() -> None:
    questions = QUESTIONNAIRE.questions
    assert parse_form_value(questions["hours"], ["12"]) == 12
    assert parse_form_value(questions["income"], ["1250,50"]) == 1250.5
    assert parse_form_value(questions["hours"], ["twelve"]) == "twelve"
    assert parse_form_value(questions["hours"], [""]) is None
    assert parse_form_value(questions["spoken"], ["de", "ar"]) == ["de", "ar"]


def test_a_number_typed_as_text_in_a_form_is_a_type_error() -> None:
    value = parse_form_value(QUESTIONNAIRE.questions["hours"], ["twelve"])
    assert errors_of({"works": "yes", "hours": value}) == {"hours": ErrorCode.INTEGER}


@pytest.mark.parametrize(
    ("typed", "language", "number"),
    [
        ("1.000", "de", 1000),
        ("1.000.000", "de", 1_000_000),
        ("1,000", "en", 1000),
        ("1 000", "uk", 1000),
        ("1\u00a0000", "ru", 1000),
        ("۱۲", "fa", 12),
        ("١٢", "ar", 12),
        ("۱۲۳۴", "fa", 1234),
        ("-3", "tr", -3),
    ],
)
def test_whole_numbers_are_read_as_people_write_them(
    typed: str, language: str, number: int
) -> None:
    assert parse_form_value(QUESTIONNAIRE.questions["hours"], [typed], language) == number


@pytest.mark.parametrize(
    ("typed", "language", "number"),
    [
        ("1,5", "de", 1.5),
        ("1.000,5", "de", 1000.5),
        ("1.5", "de", 1.5),
        ("1.5", "en", 1.5),
        ("1,5", "en", 1.5),
        ("1 234,5", "uk", 1234.5),
        ("۱٫۵", "fa", 1.5),
        ("١٬٢٣٤٫٥", "ar", 1234.5),
    ],
)
def test_decimal_numbers_are_read_as_people_write_them(
    typed: str, language: str, number: float
) -> None:
    assert parse_form_value(QUESTIONNAIRE.questions["income"], [typed], language) == number


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("1,5", "de"),
        ("1.5", "en"),
        ("1,000", "de"),
        ("1.00.0", "de"),
        ("zwölf", "de"),
        ("1e3", "en"),
    ],
)
def test_a_number_with_a_decimal_part_or_misplaced_signs_is_no_whole_number(
    typed: str, language: str
) -> None:
    value = parse_form_value(QUESTIONNAIRE.questions["hours"], [typed], language)
    assert value == typed
    assert errors_of({"works": "yes", "hours": value}) == {"hours": ErrorCode.INTEGER}


def test_a_decimal_with_two_different_readings_is_not_guessed() -> None:
    assert parse_form_value(QUESTIONNAIRE.questions["income"], ["1,000.5,2"], "en") == "1,000.5,2"
    assert parse_form_value(QUESTIONNAIRE.questions["income"], ["NaN"], "en") == "NaN"


# -- cascading selects (choice_filter) ------------------------------------------------------


def cascade() -> Questionnaire:
    result = load_questionnaire(FIXTURES / "cascade.yaml", working_groups=set())
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def test_a_choice_filter_offers_only_the_choices_it_keeps() -> None:
    questionnaire = cascade()
    county = questionnaire.questions["county"]
    offered = offered_choices(questionnaire, county, {"state": "texas"})
    assert [choice.name for choice in offered] == ["brazos", "harris"]
    assert offered_choices(questionnaire, county, {}) == ()


def test_a_choice_the_filter_excludes_is_refused_as_not_offered() -> None:
    checked = check_answers(cascade(), {"state": "texas", "county": "king"})
    assert checked.errors["county"].code is ErrorCode.NOT_OFFERED
    assert "county" not in checked.answers


def test_an_answer_that_no_longer_fits_a_changed_earlier_answer_is_refused() -> None:
    questionnaire = cascade()
    answers = {"state": "washington", "county": "king", "city": "seattle"}
    assert check_answers(questionnaire, answers).ok
    changed = check_answers(questionnaire, {**answers, "state": "texas"})
    assert {name: error.code for name, error in changed.errors.items()} == {
        "county": ErrorCode.NOT_OFFERED,
        "city": ErrorCode.NOT_OFFERED,
    }


def test_the_choices_offered_are_reported_with_the_verdict() -> None:
    checked = check_answers(cascade(), {"state": "texas", "county": "brazos"})
    assert checked.ok
    assert checked.offered == {
        "county": ("brazos", "harris"),
        "city": ("college_station", "bryan"),
    }


def test_a_multiple_select_is_refused_when_one_of_its_choices_is_not_offered() -> None:
    definition = {
        **DEFINITION,
        "choices": {
            **DEFINITION["choices"],
            "langs": [
                {"name": "de", "label": {"en": "German"}, "columns": {"official": "yes"}},
                {"name": "en", "label": {"en": "English"}, "columns": {"official": "no"}},
                {"name": "ar", "label": {"en": "Arabic"}, "columns": {"official": "no"}},
            ],
        },
        "pages": [
            {
                "name": "one",
                "questions": [
                    {"name": "works", "type": "select_one", "choices": "yes_no",
                     "label": {"en": "Work?"}},
                    {"name": "spoken", "type": "select_multiple", "choices": "langs",
                     "choice_filter": "${works} = 'yes' or official = 'yes'",
                     "label": {"en": "Languages?"}},
                ],
            }
        ],
    }  # fmt: skip
    questionnaire = Questionnaire.model_validate(definition)
    refused = check_answers(questionnaire, {"works": "no", "spoken": ["de", "en"]})
    assert refused.errors["spoken"].code is ErrorCode.NOT_OFFERED
    assert check_answers(questionnaire, {"works": "yes", "spoken": ["de", "en"]}).ok


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("09:30", "09:30"),
        (" 09:30 ", "09:30"),
        ("09:30:00", "09:30"),
        ("23:59:59", "23:59:59"),
        ("09:30:15.250", "09:30:15"),
        ("09:30:00.000+01:00", "09:30+01:00"),
    ],
)
def test_a_time_is_kept_as_iso_hours_and_minutes_with_seconds_only_when_given(
    value: str, stored: str
) -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "opens": value})
    assert result.ok
    assert result.answers["opens"] == stored


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2026-03-01T14:30", "2026-03-01T14:30"),  # what <input type="datetime-local"> sends
        ("2026-03-01 14:30", "2026-03-01T14:30"),
        ("2026-03-01T14:30:05", "2026-03-01T14:30:05"),
        ("2026-03-01T14:30:00.000+01:00", "2026-03-01T14:30+01:00"),  # as ODK clients send
        ("2026-03-01T14:30Z", "2026-03-01T14:30+00:00"),
    ],
)
def test_a_date_time_is_kept_as_iso_date_and_time(value: str, stored: str) -> None:
    result = check_answers(QUESTIONNAIRE, {"works": "no", "landed": value})
    assert result.ok
    assert result.answers["landed"] == stored


def test_a_constraint_compares_a_date_time_with_now() -> None:
    definition = {
        "id": "moments",
        "title": {"en": "Moments"},
        "languages": ["en"],
        "default_language": "en",
        "pages": [
            {
                "name": "one",
                "questions": [
                    {
                        "name": "landed",
                        "type": "datetime",
                        "constraint": "decimal-date-time(.) <= decimal-date-time(now())",
                        "label": {"en": "Landed when?"},
                    }
                ],
            }
        ],
    }
    questionnaire = Questionnaire.model_validate(definition)
    assert check_answers(questionnaire, {"landed": "2020-01-01T10:00"}).ok
    future = check_answers(questionnaire, {"landed": "2999-01-01T10:00"})
    assert future.errors["landed"].code is ErrorCode.CONSTRAINT
