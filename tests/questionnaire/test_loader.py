"""The loader: YAML questionnaire files in, a checked Questionnaire or FILE:LINE problems out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from survey_app.questionnaire.errors import ProblemCode, Severity
from survey_app.questionnaire.loader import LoadResult, load_questionnaire, load_working_groups
from survey_app.questionnaire.schema import QuestionType, direction

GROUPS = {"sprache", "arbeit", "wohnen"}

VALID = """\
id: example
title: {de: Beispiel, en: Example}
languages: [de, en]
default_language: de
privacy_notice: {de: Anonym., en: Anonymous.}
choices:
  yes_no:
    - {name: "yes", label: {de: Ja, en: "Yes"}}
    - {name: "no", label: {de: Nein, en: "No"}}
pages:
  - name: first
    title: {de: Erste Seite, en: First page}
    questions:
      - name: course
        type: select_one
        choices: yes_no
        required: true
        label: {de: "Kurs?", en: "Course?"}
        working_groups: [sprache]
      - name: hours
        type: integer
        relevant: ${course} = 'yes'
        constraint: . >= 1
        label: {de: "Stunden?", en: "Hours?"}
        working_groups: [sprache, arbeit]
"""


def load(tmp_path: Path, content: str | bytes) -> LoadResult:
    path = tmp_path / "survey.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return load_questionnaire(path, working_groups=GROUPS)


def codes(result: LoadResult) -> set[ProblemCode | None]:
    return {problem.code for problem in result.problems}


def messages(result: LoadResult) -> list[str]:
    return [str(problem) for problem in result.problems]


def test_a_valid_file_loads_into_a_questionnaire(tmp_path: Path) -> None:
    result = load(tmp_path, VALID)
    assert result.problems == []
    assert result.questionnaire is not None
    assert list(result.questionnaire.questions) == ["course", "hours"]
    assert result.questionnaire.questions["course"].type is QuestionType.SELECT_ONE


def test_defaults_are_anonymous_audience_and_min_cell_five(tmp_path: Path) -> None:
    questionnaire = load(tmp_path, VALID).questionnaire
    assert questionnaire is not None
    assert questionnaire.audience == "anonymous"
    assert questionnaire.min_cell == 5


def test_expressions_are_compiled_once_at_load(tmp_path: Path) -> None:
    questionnaire = load(tmp_path, VALID).questionnaire
    assert questionnaire is not None
    assert set(questionnaire.compiled) == {("hours", "relevant"), ("hours", "constraint")}


def test_broken_yaml_is_one_error_line_with_its_line_number(tmp_path: Path) -> None:
    result = load(tmp_path, "id: x\ntitle: [unclosed\nlanguages: [de]\n")
    assert result.questionnaire is None
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith(f"{tmp_path / 'survey.yaml'}:")
    assert "invalid YAML" in result.problems[0].message
    assert result.problems[0].code is ProblemCode.INVALID_YAML


def test_an_empty_file_is_an_error_at_line_one(tmp_path: Path) -> None:
    assert messages(load(tmp_path, "  \n")) == [f"{tmp_path / 'survey.yaml'}:1: the file is empty"]


def test_a_binary_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    result = load(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert result.questionnaire is None
    assert "binary" in result.problems[0].message
    assert result.problems[0].code is ProblemCode.INVALID_YAML


def test_a_top_level_list_is_an_error(tmp_path: Path) -> None:
    assert "expected a mapping" in messages(load(tmp_path, "- a\n- b\n"))[0]


def test_an_unknown_field_is_reported_at_its_line(tmp_path: Path) -> None:
    content = VALID.replace("        required: true\n", "        requird: true\n")
    result = load(tmp_path, content)
    line = content.splitlines().index("        requird: true") + 1
    assert messages(result) == [f"{tmp_path / 'survey.yaml'}:{line}: unknown field 'requird'"]


def test_an_unknown_question_type_is_reported_at_its_line(tmp_path: Path) -> None:
    content = VALID.replace("type: integer", "type: geopoint")
    line = content.splitlines().index("        type: geopoint") + 1
    [problem] = load(tmp_path, content).problems
    assert problem.location.endswith(f":{line}")
    assert "type" in problem.message
    assert problem.code is ProblemCode.SCHEMA


def test_duplicate_question_names_are_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("name: hours", "name: course"))
    assert any("duplicate question name 'course'" in m for m in messages(result))
    assert codes(result) == {ProblemCode.DUPLICATE_NAME}


@pytest.mark.parametrize("name", ["hours__in_members", "a__in_", "hours__categories"])
def test_a_question_named_as_results_name_their_derived_questions_is_an_error(
    tmp_path: Path, name: str
) -> None:
    content = VALID.replace("name: hours", f"name: {name}")
    line = content.splitlines().index(f"      - name: {name}") + 1

    result = load(tmp_path, content)

    assert result.questionnaire is None
    [problem] = result.problems
    assert problem.code is ProblemCode.RESERVED_NAME
    assert problem.location == f"{tmp_path / 'survey.yaml'}:{line}"
    assert f"question name '{name}' has '__" in problem.message


@pytest.mark.parametrize(
    "name", ["categories", "hours_in_members", "inside__income", "x__categories_2"]
)
def test_names_that_only_resemble_derived_ones_are_fine(tmp_path: Path, name: str) -> None:
    result = load(tmp_path, VALID.replace("name: hours", f"name: {name}"))

    assert result.questionnaire is not None, result.problems


def test_duplicate_yaml_keys_are_an_error(tmp_path: Path) -> None:
    content = VALID.replace(
        "default_language: de\n", "default_language: de\ndefault_language: en\n"
    )
    assert "duplicate key 'default_language'" in messages(load(tmp_path, content))[0]


def test_a_select_needs_an_existing_choice_list(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("choices: yes_no", "choices: yesno"))
    assert any("unknown choice list 'yesno'" in m for m in messages(result))
    assert ProblemCode.CHOICE_LIST_MISSING in codes(result)


def test_a_reference_to_an_unknown_question_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("${course} = 'yes'", "${corse} = 'yes'"))
    assert any("unknown question 'corse'" in m for m in messages(result))
    assert codes(result) == {ProblemCode.UNKNOWN_REFERENCE}


def test_an_expression_syntax_error_is_an_error_at_its_line(tmp_path: Path) -> None:
    content = VALID.replace("constraint: . >= 1", "constraint: . >= (1")
    line = content.splitlines().index("        constraint: . >= (1") + 1
    result = load(tmp_path, content)
    assert result.questionnaire is None
    assert result.problems[0].location.endswith(f":{line}")
    assert result.problems[0].code is ProblemCode.INVALID_EXPRESSION


def test_an_unknown_function_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("constraint: . >= 1", "constraint: frobnicate(.)"))
    assert result.questionnaire is None
    assert codes(result) == {ProblemCode.INVALID_EXPRESSION}


def test_an_unknown_working_group_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("[sprache, arbeit]", "[sprache, kochen]"))
    assert any("unknown working group 'kochen'" in m for m in messages(result))
    assert codes(result) == {ProblemCode.UNKNOWN_WORKING_GROUP}


def test_a_question_without_label_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace('        label: {de: "Stunden?", en: "Hours?"}\n', ""))
    assert any("question 'hours' has no label" in m for m in messages(result))
    assert codes(result) == {ProblemCode.LABEL_MISSING}


def test_the_default_language_must_be_offered(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace("default_language: de", "default_language: fr"))
    assert any("default language 'fr' is not in languages" in m for m in messages(result))


def test_a_missing_translation_is_a_warning_not_an_error(tmp_path: Path) -> None:
    result = load(
        tmp_path, VALID.replace('label: {de: "Kurs?", en: "Course?"}', 'label: {de: "Kurs?"}')
    )
    assert result.questionnaire is not None
    [warning] = result.problems
    assert warning.severity is Severity.WARNING
    assert "1 text(s) have no 'en' translation" in warning.message
    assert warning.code is ProblemCode.MISSING_TRANSLATION


def test_a_text_in_an_undeclared_language_is_an_error(tmp_path: Path) -> None:
    result = load(
        tmp_path, VALID.replace('{de: "Kurs?", en: "Course?"}', '{de: "Kurs?", en: C, fr: C}')
    )
    assert any("'fr', which is not in languages" in m for m in messages(result))
    assert codes(result) == {ProblemCode.UNDECLARED_LANGUAGE}


def test_unquoted_yes_as_a_choice_name_is_reported(tmp_path: Path) -> None:
    result = load(tmp_path, VALID.replace('{name: "yes"', "{name: yes"))
    assert result.questionnaire is None


def test_the_content_hash_changes_with_the_content(tmp_path: Path) -> None:
    first = load(tmp_path, VALID).questionnaire
    second = load(tmp_path, VALID.replace("Stunden?", "Wie viele Stunden?")).questionnaire
    same = load(tmp_path, VALID).questionnaire
    assert first is not None
    assert second is not None
    assert same is not None
    assert first.content_hash != second.content_hash
    assert first.content_hash == same.content_hash


def test_working_groups_file_of_the_project_has_the_network_groups() -> None:
    from tests.conftest import QUESTIONNAIRES

    groups, problems = load_working_groups(QUESTIONNAIRES / "working_groups.yaml")
    assert problems == []
    ids = [group.id for group in groups]
    assert ids[:5] == ["sprache", "arbeit", "beratung", "wohnen", "projekte"]
    assert {"schulen", "gesundheit", "kultur"} <= set(ids)
    assert all({"de", "en"} <= set(group.name) for group in groups)


@pytest.mark.parametrize(
    ("language", "expected"), [("ar", "rtl"), ("fa", "rtl"), ("uk", "ltr"), ("de", "ltr")]
)
def test_writing_direction_follows_the_language(language: str, expected: str) -> None:
    assert direction(language) == expected


# -- choice filters -------------------------------------------------------------------------

CASCADE = (Path(__file__).resolve().parent.parent / "fixtures" / "cascade.yaml").read_text("utf-8")


def line_of(content: str, text: str) -> int:
    return next(number for number, line in enumerate(content.splitlines(), 1) if text in line)


def test_a_choice_filter_and_choice_columns_load(tmp_path: Path) -> None:
    result = load(tmp_path, CASCADE)
    assert result.problems == []
    assert result.questionnaire is not None
    county = result.questionnaire.questions["county"]
    assert county.choice_filter == "state = ${state}"
    assert result.questionnaire.choices["counties"][0].columns == {"state": "texas"}


def test_a_choice_filter_naming_an_unknown_question_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    content = CASCADE.replace("state = ${state}", "state = ${staat}")
    result = load(tmp_path, content)
    assert result.questionnaire is None
    assert messages(result) == [
        f"{tmp_path / 'survey.yaml'}:{line_of(content, '${staat}')}: choice_filter expression "
        "'state = ${staat}' refers to unknown question 'staat'"
    ]
    assert codes(result) == {ProblemCode.UNKNOWN_REFERENCE}


def test_a_choice_filter_naming_a_column_no_choice_has_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    content = CASCADE.replace("state = ${state}", "staat = ${state}")
    result = load(tmp_path, content)
    assert result.questionnaire is None
    assert messages(result) == [
        f"{tmp_path / 'survey.yaml'}:{line_of(content, 'staat = ')}: choice_filter expression "
        "'staat = ${state}' names column 'staat', which no choice of list 'counties' has"
    ]
    assert codes(result) == {ProblemCode.UNKNOWN_CHOICE_COLUMN}


def test_a_choice_filter_with_a_syntax_error_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path, CASCADE.replace("state = ${state}", "state = (${state}"))
    assert result.questionnaire is None
    assert codes(result) == {ProblemCode.INVALID_EXPRESSION}


def test_a_choice_filter_on_a_question_without_choices_is_an_error(tmp_path: Path) -> None:
    content = CASCADE.replace(
        "label: {de: In welchem Bundesstaat",
        "choice_filter: name = 'x'\n        label: {de: In welchem Bundesstaat",
    ).replace("type: select_one\n        choices: states", "type: text")
    result = load(tmp_path, content)
    assert result.questionnaire is None
    assert any("is not a select question but has a choice_filter" in m for m in messages(result))


def test_a_choice_column_name_must_be_a_plain_name(tmp_path: Path) -> None:
    result = load(
        tmp_path, CASCADE.replace("columns: {state: texas}", "columns: {'st ate': texas}", 1)
    )
    assert result.questionnaire is None
    assert codes(result) == {ProblemCode.SCHEMA}
