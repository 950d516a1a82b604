"""Defaults, read-only questions, bounded numbers and rankings: how a questionnaire file
says them, what its check refuses, how answers are judged, and how an XLSForm brings them
in and takes them out again (tests/fixtures/kinds.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from survey_app.questionnaire.errors import EXPLANATIONS, ProblemCode, Severity
from survey_app.questionnaire.loader import LoadResult, load_questionnaire
from survey_app.questionnaire.navigation import page_state
from survey_app.questionnaire.rules import ErrorCode, check_answers, parse_form_value
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.questionnaire.xlsform import export_xlsform, import_xlsform
from tests.conftest import FIXTURES
from tests.fixtures.xlsform.build import write_xlsform

KINDS = FIXTURES / "kinds.yaml"
GROUPS = {"arbeit"}


def kinds() -> Questionnaire:
    result = load_questionnaire(KINDS, working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def with_question(tmp_path: Path, **question: Any) -> LoadResult:
    """A small questionnaire file with one question (and a yes/no list) loaded."""
    definition = {
        "id": "one",
        "title": {"en": "One"},
        "languages": ["en"],
        "default_language": "en",
        "choices": {
            "yn": [{"name": "y", "label": {"en": "Yes"}}, {"name": "n", "label": {"en": "No"}}]
        },
        "pages": [{"name": "p", "questions": [{"name": "q", "label": {"en": "Q"}, **question}]}],
    }
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(definition), encoding="utf-8")
    return load_questionnaire(path, working_groups=GROUPS)


def codes(result: LoadResult) -> set[ProblemCode | None]:
    return {problem.code for problem in result.errors}


# -- defaults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        {"type": "integer", "default": "seven"},
        {"type": "select_one", "choices": "yn", "default": "maybe"},
        {"type": "select_multiple", "choices": "yn", "default": "y maybe"},
        {"type": "rank", "choices": "yn", "default": "y y"},
        {"type": "date", "default": "today()"},
        {"type": "integer", "range": {"start": 1, "end": 5}, "default": "9"},
        {"type": "note", "default": "x"},
    ],
)
def test_a_default_that_is_no_possible_answer_is_refused_by_the_check(
    tmp_path: Path, question: dict[str, Any]
) -> None:
    result = with_question(tmp_path, **question)
    assert result.questionnaire is None
    assert ProblemCode.INVALID_DEFAULT in codes(result)
    assert EXPLANATIONS[ProblemCode.INVALID_DEFAULT]


@pytest.mark.parametrize(
    "question",
    [
        {"type": "integer", "default": "7"},
        {"type": "decimal", "default": "2.5"},
        {"type": "select_multiple", "choices": "yn", "default": "y n"},
        {"type": "rank", "choices": "yn", "default": "n y"},
        {"type": "date", "default": "2026-03-01"},
        {"type": "time", "default": "08:30"},
    ],
)
def test_a_default_that_is_a_possible_answer_passes_the_check(
    tmp_path: Path, question: dict[str, Any]
) -> None:
    result = with_question(tmp_path, **question)
    assert result.questionnaire is not None, result.problems


def test_a_default_fills_the_page_only_until_the_question_has_been_shown() -> None:
    questionnaire = kinds()
    first = page_state(questionnaire, {}, 0)
    assert first.prefilled == {"visits": 2}
    cleared = page_state(questionnaire, {}, 0, sent={"visits": None}, shown=first.visible_names)
    assert "visits" not in cleared.prefilled
    answered = page_state(questionnaire, {"visits": 5}, 0)
    assert answered.prefilled == {}
    assert page_state(questionnaire, {}, 1).prefilled == {"known": ["jobcenter", "beratung"]}


def test_a_default_is_no_answer_for_the_api() -> None:
    checked = check_answers(kinds(), {"satisfaction": 3, "helpful": ["jobcenter"]})
    assert checked.errors["visits"].code is ErrorCode.REQUIRED
    assert "known" not in checked.answers


# -- read-only questions ----------------------------------------------------------------------


def test_a_read_only_question_is_never_asked_and_shows_its_default_or_calculation() -> None:
    questionnaire = kinds()
    district = questionnaire.questions["district"]
    assert district.readonly
    assert not district.takes_answer
    state = page_state(questionnaire, {"visits": 3}, 0)
    assert "district" in state.visible_names
    assert state.read_only == {"district": "nord", "visits_twice": 6}
    assert "district" not in state.prefilled


def test_a_read_only_question_stores_its_value_like_a_calculation_whatever_is_sent() -> None:
    checked = check_answers(
        kinds(),
        {"district": "sued", "visits": 3, "visits_twice": 100, "satisfaction": 4,
         "helpful": ["beratung"]},
    )  # fmt: skip
    assert checked.ok, checked.errors
    assert (checked.answers["district"], checked.answers["visits_twice"]) == ("nord", 6)


def test_a_read_only_question_cannot_be_required(tmp_path: Path) -> None:
    result = with_question(tmp_path, type="text", readonly=True, required=True)
    assert ProblemCode.NOT_REQUIRABLE in codes(result)


def test_only_calculations_and_read_only_questions_calculate(tmp_path: Path) -> None:
    assert with_question(tmp_path, type="integer", readonly=True, calculation="1 + 1").questionnaire
    refused = with_question(tmp_path, type="integer", calculation="1 + 1")
    assert ProblemCode.CALCULATION_MISMATCH in codes(refused)


# -- bounded numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [(0, ErrorCode.RANGE), (6, ErrorCode.RANGE), (2.5, ErrorCode.INTEGER), (5, None), (1, None)],
)
def test_a_bounded_integer_refuses_numbers_outside_its_range(
    answer: float, error: ErrorCode | None
) -> None:
    checked = check_answers(kinds(), {"satisfaction": answer})
    found = checked.errors.get("satisfaction")
    assert (found.code if found else None) is error
    if found is not None and error is ErrorCode.RANGE:
        assert found.values == {"start": 1, "end": 5, "step": 1}


@pytest.mark.parametrize(
    ("answer", "error"),
    [(0.7, ErrorCode.STEP), (4.5, ErrorCode.RANGE), (1.5, None), (0, None), (4, None)],
)
def test_a_bounded_decimal_refuses_numbers_between_its_steps(
    answer: float, error: ErrorCode | None
) -> None:
    found = check_answers(kinds(), {"wait_hours": answer}).errors.get("wait_hours")
    assert (found.code if found else None) is error


def test_a_bounded_number_from_a_page_is_read_with_a_decimal_point_in_any_language() -> None:
    wait_hours = kinds().questions["wait_hours"]
    assert parse_form_value(wait_hours, ["1.250"], "de") == 1.25
    assert parse_form_value(wait_hours, ["1,5"], "de") == 1.5
    visits = kinds().questions["visits"]
    assert parse_form_value(visits, ["1.250"], "de") == 1250


@pytest.mark.parametrize(
    "bounds",
    [{"start": 3, "end": 3}, {"start": 0, "end": 1, "step": 0.25}],
)
def test_a_range_that_cannot_be_is_refused_by_the_check(
    tmp_path: Path, bounds: dict[str, float]
) -> None:
    result = with_question(tmp_path, type="integer", range=bounds)
    assert ProblemCode.INVALID_RANGE in codes(result)


def test_a_range_belongs_to_number_questions(tmp_path: Path) -> None:
    result = with_question(tmp_path, type="text", range={"start": 1, "end": 5})
    assert ProblemCode.INVALID_RANGE in codes(result)


# -- rankings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (["beratung", "jobcenter", "auslaenderbehoerde"], None),
        (["beratung"], None),
        ("beratung jobcenter", None),
        (["beratung", "beratung"], ErrorCode.RANK),
        (["beratung", "botschaft"], ErrorCode.CHOICES),
        ("beratung", None),
        ([1, 2], ErrorCode.CHOICES),
        ([], ErrorCode.REQUIRED),
    ],
)
def test_a_ranking_is_the_chosen_choices_in_order_each_once(
    answer: object, error: ErrorCode | None
) -> None:
    checked = check_answers(kinds(), {"helpful": answer})
    found = checked.errors.get("helpful")
    assert (found.code if found else None) is error
    if error is None:
        expected = answer.split() if isinstance(answer, str) else answer
        assert checked.answers["helpful"] == expected


def test_a_ranking_sent_from_a_page_closes_up_positions_left_empty() -> None:
    helpful = kinds().questions["helpful"]
    assert parse_form_value(helpful, ["beratung", "", "jobcenter"]) == ["beratung", "jobcenter"]
    assert parse_form_value(helpful, ["", "", ""]) == []


def test_a_ranking_needs_a_choice_list(tmp_path: Path) -> None:
    assert ProblemCode.CHOICE_LIST_MISSING in codes(with_question(tmp_path, type="rank"))


# -- XLSForm ----------------------------------------------------------------------------------


def form(tmp_path: Path, survey: list[list[str]]) -> Path:
    return write_xlsform(
        tmp_path / "form.xlsx",
        survey=survey,
        choices=[["list_name", "name", "label::English (en)"],
                 ["yn", "y", "Yes"], ["yn", "n", "No"], ["yn", "dont know", "Don't know"]],
    )  # fmt: skip


def test_an_xlsform_brings_defaults_read_only_questions_ranges_and_rankings(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label::English (en)", "readonly", "default", "parameters",
          "calculation"],
         ["select_one yn", "cari", "Shown", "yes", "y", "", ""],
         ["integer", "total", "Total", "true", "", "", "1 + 2"],
         ["range", "stars", "Stars", "", "3", "start=1 end=5 step=1", ""],
         ["rank yn", "order", "Order", "", "n y", "", ""],
         ["select_one yn", "known", "Known", "", "dont know", "", ""]],
    )  # fmt: skip
    result = import_xlsform(path, working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    questions = result.questionnaire.questions
    assert questions["cari"].readonly
    assert questions["cari"].choices == "yn"
    assert questions["total"].readonly
    assert questions["total"].calculation == "1 + 2"
    assert questions["stars"].default == "3"
    assert questions["order"].type is QuestionType.RANK
    assert questions["order"].default == "n y"
    # The choice renamed (choice names hold no spaces) is renamed in the default too.
    assert questions["known"].default == "dont_know"


def test_an_xlsform_default_that_cannot_be_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label::English (en)", "default", "parameters"],
         ["select_one yn", "pick", "Pick", "maybe", ""],
         ["date", "day", "Day", "today()", ""],
         ["range", "stars", "Stars", "9", "start=1 end=5"]],
    )  # fmt: skip
    result = import_xlsform(path, working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    assert all(question.default is None for question in result.questionnaire.iter_questions())
    warned = {
        problem.location.rsplit(":", 1)[-1]
        for problem in result.problems
        if problem.code is ProblemCode.INVALID_DEFAULT and problem.severity is Severity.WARNING
    }
    assert warned == {"2", "3", "4"}


def test_the_new_kinds_round_trip_through_an_xlsform(tmp_path: Path) -> None:
    questionnaire = kinds()
    exported = tmp_path / "kinds.xlsx"
    export_xlsform(questionnaire).save(exported)
    result = import_xlsform(exported, working_groups=GROUPS)
    assert result.questionnaire is not None, result.problems
    assert result.questionnaire.model_dump()["pages"] == questionnaire.model_dump()["pages"]
    assert result.questionnaire.choices == questionnaire.choices
