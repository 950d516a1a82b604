"""XLSForm import and export: what comes in, what is left out (and said so), what goes out."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from survey_app.questionnaire.errors import ProblemCode, Severity
from survey_app.questionnaire.loader import load_questionnaire, load_working_groups
from survey_app.questionnaire.rules import check_answers, offered_choices
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.questionnaire.xlsform import (
    XlsformImport,
    export_xlsform,
    import_xlsform,
    language_column,
    questionnaire_yaml,
)
from tests.conftest import FIXTURES, QUESTIONNAIRES, SHARED_XLSFORMS
from tests.fixtures.xlsform.build import write_xlsform

WORKING_GROUPS = {
    group.id for group in load_working_groups(QUESTIONNAIRES / "working_groups.yaml")[0]
}
SHARED_FORMS = sorted(
    path for path in SHARED_XLSFORMS.iterdir() if path.suffix in (".xls", ".xlsx")
)
ROUND_TRIP_FILES = [
    FIXTURES / "xlsform" / "rich.yaml",
    FIXTURES / "cascade.yaml",
    QUESTIONNAIRES / "company.yaml",
    QUESTIONNAIRES / "newcomer.yaml",
    FIXTURES / "roster.yaml",
]


def imported(path: Path) -> XlsformImport:
    return import_xlsform(path, working_groups=WORKING_GROUPS)


def questionnaire_of(path: Path) -> Questionnaire:
    result = imported(path)
    assert result.questionnaire is not None, "\n".join(map(str, result.problems))
    return result.questionnaire


def warnings_of(result: XlsformImport) -> list[str]:
    return [str(problem) for problem in result.problems if problem.severity is Severity.WARNING]


def warning_codes(result: XlsformImport) -> dict[str, set[ProblemCode | None]]:
    """The codes of the warnings by `SHEET:ROW`, to assert what was reported where."""
    found: dict[str, set[ProblemCode | None]] = {}
    for problem in result.problems:
        if problem.severity is Severity.WARNING:
            where = problem.location.removeprefix(f"{result.source}:")
            found.setdefault(where, set()).add(problem.code)
    return found


def form(tmp_path: Path, survey: list[list[str]], **sheets: list[list[str]]) -> Path:
    return write_xlsform(tmp_path / "form.xlsx", survey=survey, **sheets)


def load_yaml_file(path: Path) -> Questionnaire:
    result = load_questionnaire(path, working_groups=WORKING_GROUPS)
    assert result.questionnaire is not None, "\n".join(map(str, result.problems))
    return result.questionnaire


def round_trip(questionnaire: Questionnaire, tmp_path: Path) -> Questionnaire:
    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(questionnaire).save(workbook_path)
    return questionnaire_of(workbook_path)


# -- the real forms of others -----------------------------------------------------------------


@pytest.mark.parametrize("path", SHARED_FORMS, ids=lambda path: path.name)
def test_every_shared_form_imports_and_its_yaml_passes_check(path: Path, tmp_path: Path) -> None:
    result = imported(path)
    assert result.errors == []
    assert result.questionnaire is not None
    assert result.imported > 0
    written = tmp_path / f"{result.questionnaire.id}.yaml"
    written.write_text(questionnaire_yaml(result.questionnaire), "utf-8")
    checked = load_questionnaire(written, working_groups=WORKING_GROUPS)
    assert checked.errors == []
    assert checked.questionnaire is not None
    assert checked.questionnaire.to_definition() == result.questionnaire.to_definition()


@pytest.mark.parametrize("path", SHARED_FORMS, ids=lambda path: path.name)
def test_every_problem_of_a_shared_form_has_a_code(path: Path) -> None:
    assert [str(problem) for problem in imported(path).problems if problem.code is None] == []


def test_the_shared_fixture_directory_holds_forms() -> None:
    assert len(SHARED_FORMS) >= 35


def test_legacy_xls_names_and_single_colon_languages_are_understood() -> None:
    questionnaire = questionnaire_of(SHARED_XLSFORMS / "onadata_tutorial_arabic_labels.xls")
    assert questionnaire.languages == ("en", "ar")
    question = questionnaire.questions["has_children"]
    assert question.type is QuestionType.SELECT_ONE
    assert question.label["ar"] == "4. هل لديك أي أطفال؟"
    assert questionnaire.questions["web_browsers"].type is QuestionType.SELECT_MULTIPLE


# -- languages --------------------------------------------------------------------------------


def test_language_columns_with_codes_become_languages(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::Deutsch (de)", "label::English (en)"],
            ["text", "city", "Wohnort", "Place of residence"],
        ],
    )
    questionnaire = questionnaire_of(path)
    assert questionnaire.languages == ("de", "en")
    assert questionnaire.default_language == "de"
    assert questionnaire.questions["city"].label == {"de": "Wohnort", "en": "Place of residence"}


def test_a_language_given_only_by_its_english_name_gets_its_code_and_a_warning(
    tmp_path: Path,
) -> None:
    path = form(tmp_path, [["type", "name", "label::French"], ["text", "city", "Ville"]])
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.languages == ("fr",)
    assert warning_codes(result)["survey:1"] == {ProblemCode.LANGUAGE_WITHOUT_CODE}
    assert f"{path}:survey:1: warning: language 'French' has no code; taken as 'fr' " in (
        "\n".join(warnings_of(result))
    )


def test_an_unknown_language_name_becomes_a_slug_with_a_warning(tmp_path: Path) -> None:
    path = form(tmp_path, [["type", "name", "label::Plattdüütsch"], ["text", "city", "Wahnort"]])
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.languages == ("plattduutsch",)
    assert any("it is called 'plattduutsch'" in line for line in warnings_of(result))
    assert ProblemCode.UNKNOWN_LANGUAGE in warning_codes(result)["survey:1"]


def test_columns_without_language_are_the_default_language_of_the_settings(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label", "label::English (en)"], ["text", "city", "Wohnort", "City"]],
        settings=[["form_id", "default_language"], ["where", "Deutsch (de)"]],
    )
    questionnaire = questionnaire_of(path)
    assert questionnaire.default_language == "de"
    assert questionnaire.questions["city"].label == {"de": "Wohnort", "en": "City"}


def test_a_form_naming_no_language_is_imported_as_undetermined_with_a_warning(
    tmp_path: Path,
) -> None:
    path = form(tmp_path, [["type", "name", "label"], ["text", "city", "City"]])
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.languages == ("und",)
    assert any("stored as 'und' (undetermined)" in line for line in warnings_of(result))
    assert ProblemCode.UNNAMED_LANGUAGE in warning_codes(result)["survey:1"]


# -- structure --------------------------------------------------------------------------------


def test_top_level_groups_become_pages_and_loose_questions_get_pages_in_order(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)"],
            ["text", "first", "First"],
            ["begin_group", "work", "Work"],
            ["text", "job", "Job"],
            ["end_group", "", ""],
            ["text", "last", "Last"],
        ],
    )
    pages = questionnaire_of(path).pages
    assert [(page.name, [q.name for q in page.questions]) for page in pages] == [
        ("page_1", ["first"]),
        ("work", ["job"]),
        ("page_3", ["last"]),
    ]
    assert pages[1].title == {"en": "Work"}


def test_nested_groups_are_flattened_and_their_relevant_applies_to_each_question(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "relevant"],
            ["integer", "age", "Age", ""],
            ["begin group", "adults", "Adults", "${age} >= 18"],
            ["begin group", "job", "Job", "${age} < 67"],
            ["text", "occupation", "Occupation", "${age} > 20"],
            ["end group", "", "", ""],
            ["end group", "", "", ""],
        ],
    )
    questionnaire = questionnaire_of(path)
    assert [page.name for page in questionnaire.pages] == ["page_1", "adults"]
    assert questionnaire.questions["occupation"].relevant == (
        "(${age} >= 18) and (${age} < 67) and (${age} > 20)"
    )


@pytest.mark.parametrize(
    ("type_text", "reason"),
    [
        ("start", "metadata ('start') is recorded by ODK devices, not asked"),
        ("deviceid", "metadata ('deviceid') is recorded by ODK devices, not asked"),
        ("geopoint", "a location (geopoint) cannot be collected by a web survey"),
        ("image", "file uploads (image) are not supported"),
        ("barcode", "barcode scanning is not available in a web survey"),
        ("acknowledge", "acknowledge/trigger questions are not supported"),
        ("select_one_from_file places.csv", "choices from an external file ('places.csv')"),
    ],
)
def test_what_a_web_survey_cannot_collect_is_skipped_with_row_and_reason(
    tmp_path: Path, type_text: str, reason: str
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)"],
            ["text", "name", "Name"],
            [type_text, "odd", "Odd one"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert list(result.questionnaire.questions) == ["name"]
    assert (result.imported, result.skipped) == (1, 1)
    assert warning_codes(result)["survey:3"] == {ProblemCode.UNSUPPORTED_TYPE}
    assert any(
        line.startswith(f"{path}:survey:3: warning: 'odd' skipped: {reason}")
        for line in warnings_of(result)
    )


@pytest.mark.parametrize(
    ("type_text", "question_type"),
    [
        ("time", QuestionType.TIME),
        ("dateTime", QuestionType.DATETIME),
        ("datetime", QuestionType.DATETIME),
    ],
)
def test_times_and_date_times_are_imported_as_such(
    tmp_path: Path, type_text: str, question_type: QuestionType
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "required"],
            ["text", "a", "A", ""],
            [type_text, "t", "T", "yes"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.questions["t"].type is question_type
    assert result.questionnaire.questions["t"].required is True
    assert (result.imported, result.skipped) == (2, 0)
    assert "survey:3" not in warning_codes(result)


def test_times_and_date_times_round_trip_as_xlsform_time_and_datetime(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label::English (en)", "label::Arabic (ar)", "constraint"],
         ["time", "opens", "Opens at", "يفتح في", ""],
         ["dateTime", "arrived", "Arrived", "وصل", ". < now()"]],
    )  # fmt: skip
    questionnaire = questionnaire_of(path)
    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(questionnaire).save(workbook_path)
    survey = load_workbook(workbook_path)["survey"]
    header = [cell.value for cell in survey[1]]
    types = {row[header.index("name")]: row[0] for row in survey.iter_rows(values_only=True)}
    assert (types["opens"], types["arrived"]) == ("time", "dateTime")
    again = questionnaire_of(workbook_path)
    assert again.model_dump() == questionnaire.model_dump()
    assert again.questions["arrived"].constraint == ". < now()"
    yaml_text = questionnaire_yaml(questionnaire)
    assert "type: time" in yaml_text
    assert "type: datetime" in yaml_text


def test_a_range_becomes_a_bounded_number_with_its_start_end_and_step(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "parameters"],
            ["range", "stars", "Stars", "start=1 end=5 step=1"],
            ["range", "hours", "Hours", "start=0 end=4 step=0.5"],
        ],
    )
    questionnaire = questionnaire_of(path)
    stars, hours = questionnaire.questions["stars"], questionnaire.questions["hours"]
    assert stars.type is QuestionType.INTEGER
    assert stars.range is not None
    assert (stars.range.start, stars.range.end) == (1, 5)
    assert stars.constraint is None
    assert hours.type is QuestionType.DECIMAL
    assert hours.range is not None
    assert hours.range.step == 0.5


def test_a_constraint_naming_its_own_question_is_imported_and_checks_the_answer(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "constraint"],
            ["integer", "age", "Age", "${age} > 0 and ${age} < 120"],
            ["integer", "household", "People", "${self} >= 1"],
        ],
    )
    questionnaire = questionnaire_of(path)
    assert questionnaire.questions["age"].constraint == "${age} > 0 and ${age} < 120"
    assert questionnaire.questions["household"].constraint == "${self} >= 1"
    assert check_answers(questionnaire, {"age": 35, "household": 4}).ok
    refused = check_answers(questionnaire, {"age": 150, "household": 0}).errors
    assert set(refused) == {"age", "household"}


def test_self_in_a_yaml_constraint_passes_check(tmp_path: Path) -> None:
    written = tmp_path / "own.yaml"
    written.write_text(
        yaml.safe_dump(
            {
                "id": "own",
                "title": {"en": "Own"},
                "languages": ["en"],
                "default_language": "en",
                "privacy_notice": {"en": "Anonymous."},
                "pages": [
                    {
                        "name": "one",
                        "questions": [
                            {
                                "name": "age",
                                "type": "integer",
                                "label": {"en": "Age?"},
                                "constraint": "${self} > 0 and ${age} < 120",
                            }
                        ],
                    }
                ],
            }
        ),
        "utf-8",
    )
    assert load_yaml_file(written).questions["age"].constraint == "${self} > 0 and ${age} < 120"


def test_legacy_type_names_are_understood(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)"],
            ["string", "s", "S"],
            ["int", "i", "I"],
            ["select one from yes_no", "yn", "Y/N"],
        ],
        choices=[["list name", "name", "label::English (en)"], ["yes_no", "y", "Yes"]],
    )
    questions = questionnaire_of(path).questions
    assert [questions[name].type for name in ("s", "i", "yn")] == [
        QuestionType.TEXT,
        QuestionType.INTEGER,
        QuestionType.SELECT_ONE,
    ]


# -- expressions ------------------------------------------------------------------------------


def test_an_expression_referring_to_a_skipped_question_is_dropped_with_a_warning(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "relevant"],
            ["geopoint", "where", "Where?", ""],
            ["text", "street", "Street", "${where} != ''"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.questions["street"].relevant is None
    assert warning_codes(result)["survey:3"] == {ProblemCode.EXPRESSION_DROPPED}
    assert f"{path}:survey:3: warning: relevant '${{where}} != ''' dropped: it refers to " in (
        "\n".join(warnings_of(result))
    )


def test_an_expression_referring_to_no_question_at_all_is_dropped_saying_so(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label", "relevant"], ["text", "street", "Street", "${typo} = 'x'"]],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.questions["street"].relevant is None
    assert any("refers to 'typo' (no such question)" in line for line in warnings_of(result))


def test_a_calculation_that_depends_on_a_dropped_one_is_dropped_too(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "calculation", "relevant"],
            ["calculate", "id", "", "pulldata('ids', 'id', 'key', 'x')", ""],
            ["calculate", "short_id", "", "concat('x', ${id})", ""],
            ["text", "note", "Note", "", "${short_id} != ''"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert list(result.questionnaire.questions) == ["note"]
    assert result.questionnaire.questions["note"].relevant is None
    assert ProblemCode.UNKNOWN_FUNCTION in warning_codes(result)["survey:2"]
    assert any("uses pulldata(), which this service cannot" in w for w in warnings_of(result))


@pytest.mark.parametrize(
    ("expression", "function"),
    [
        ("jr:itext('intro') = 'Yes'", "jr:itext"),
        ("digest(${q}, 'SHA-256') != ''", "digest"),
        ("pulldata('fruits', 'name', 'key', ${q}) != ''", "pulldata"),
    ],
)
def test_an_expression_using_a_function_we_lack_is_dropped_naming_the_function(
    tmp_path: Path, expression: str, function: str
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "relevant"],
            ["text", "q", "Q", ""],
            ["text", "r", "R", expression],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.questions["r"].relevant is None
    assert any(f"uses {function}(), which" in line for line in warnings_of(result))
    assert warning_codes(result)["survey:3"] == {ProblemCode.UNKNOWN_FUNCTION}


def test_typographic_quotes_in_expressions_are_straightened(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "relevant"],
            ["text", "q", "Q", ""],
            ["text", "r", "R‘s question", "${q} = ‘other’"],
        ],
    )
    question = questionnaire_of(path).questions["r"]
    assert question.relevant == "${q} = 'other'"
    assert question.label == {"en": "R‘s question"}


def test_labels_with_output_and_markdown_are_kept_as_written(tmp_path: Path) -> None:
    label = "Hello ${name}, is this **right**?"
    path = form(
        tmp_path,
        [["type", "name", "label::English (en)"], ["text", "name", "Name"], ["note", "n", label]],
    )
    assert questionnaire_of(path).questions["n"].label == {"en": label}


# -- columns ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "required"), [("yes", True), ("TRUE", True), ("true()", True), ("no", False)]
)
def test_required_accepts_the_xlsform_spellings(tmp_path: Path, value: str, required: bool) -> None:
    path = form(tmp_path, [["type", "name", "label", "required"], ["text", "q", "Q", value]])
    assert questionnaire_of(path).questions["q"].required is required


def test_required_as_an_expression_requires_the_answer_only_while_it_is_true(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "required"],
            ["text", "a", "A", ""],
            ["text", "q", "Q", "${a} = 'x'"],
            ["text", "r", "R", "${nothing} = 'x'"],
        ],
    )
    result = imported(path)
    questionnaire = result.questionnaire
    assert questionnaire is not None
    assert questionnaire.questions["q"].required == "${a} = 'x'"
    assert check_answers(questionnaire, {"a": "y"}).ok
    assert set(check_answers(questionnaire, {"a": "x"}).errors) == {"q"}
    assert check_answers(questionnaire, {"a": "x", "q": "because"}).ok
    assert questionnaire.questions["r"].required is False
    assert warning_codes(result)["survey:4"] == {ProblemCode.EXPRESSION_DROPPED}


def test_all_columns_a_question_has_are_mapped(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            [
                "type", "name", "label::English (en)", "hint::English (en)", "required",
                "constraint", "constraint_message::English (en)", "appearance", "working_groups",
            ],
            [
                "integer", "year", "Year?", "e.g. 2019", "yes", ". >= 1950",
                "From 1950", "numbers", "sprache arbeit",
            ],
        ],
    )  # fmt: skip
    question = questionnaire_of(path).questions["year"]
    assert question.model_dump(exclude_defaults=True) == {
        "name": "year",
        "type": QuestionType.INTEGER,
        "label": {"en": "Year?"},
        "hint": {"en": "e.g. 2019"},
        "required": True,
        "constraint": ". >= 1950",
        "constraint_message": {"en": "From 1950"},
        "appearance": "numbers",
        "working_groups": ("sprache", "arbeit"),
    }


def test_an_unknown_working_group_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = form(
        tmp_path, [["type", "name", "label", "working_groups"], ["text", "q", "Q", "sprache sport"]]
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert result.questionnaire.questions["q"].working_groups == ("sprache",)
    assert any("unknown working group 'sport' dropped" in line for line in warnings_of(result))
    assert ProblemCode.UNKNOWN_WORKING_GROUP in warning_codes(result)["survey:2"]


def test_or_other_adds_an_other_choice_and_a_text_question_for_it(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "label::French (fr)", "relevant"],
            ["integer", "age", "Age", "Âge", ""],
            ["select_one colours or_other", "c", "Colour", "Couleur", "${age} > 3"],
            ["select_one colours", "plain", "Colour again", "Couleur encore", ""],
        ],
        choices=[["list_name", "name", "label::English (en)", "label::French (fr)"],
                 ["colours", "red", "Red", "Rouge"]],
    )  # fmt: skip
    result = imported(path)
    questionnaire = result.questionnaire
    assert questionnaire is not None
    question, other = questionnaire.questions["c"], questionnaire.questions["c_other"]
    assert [c.name for c in questionnaire.choices_of(question)] == ["red", "other"]
    assert questionnaire.choices_of(question)[1].label == {"en": "Other", "fr": "Other"}
    assert [c.name for c in questionnaire.choices_of(questionnaire.questions["plain"])] == ["red"]
    assert other.type is QuestionType.TEXT
    assert other.relevant == "(${age} > 3) and (selected(${c}, 'other'))"
    assert list(questionnaire.questions) == ["age", "c", "c_other", "plain"]
    assert warning_codes(result)["survey:3"] == {ProblemCode.OR_OTHER_ADDED}
    checked = check_answers(questionnaire, {"age": 9, "c": "other", "c_other": "Purple"})
    assert checked.ok
    assert checked.answers["c_other"] == "Purple"
    assert (
        "c_other"
        not in check_answers(questionnaire, {"age": 9, "c": "red", "c_other": "x"}).answers
    )


def test_select_multiple_or_other_survives_export_and_import_as_a_valid_xlsform(
    tmp_path: Path,
) -> None:
    from pyxform.xls2xform import convert

    path = form(
        tmp_path,
        [
            ["type", "name", "label::English (en)", "label::Arabic (ar)"],
            ["select_multiple needs or_other", "needs", "Needs", "الاحتياجات"],
        ],
        choices=[["list_name", "name", "label::English (en)", "label::Arabic (ar)"],
                 ["needs", "food", "Food", "طعام"], ["needs", "shelter", "Shelter", "مأوى"]],
    )  # fmt: skip
    questionnaire = questionnaire_of(path)
    question = questionnaire.questions["needs"]
    assert question.type is QuestionType.SELECT_MULTIPLE
    assert [c.name for c in questionnaire.choices_of(question)] == ["food", "shelter", "other"]
    assert questionnaire.questions["needs_other"].relevant == "selected(${needs}, 'other')"
    checked = check_answers(questionnaire, {"needs": ["other", "food"], "needs_other": "Water"})
    assert checked.answers == {"needs": ["food", "other"], "needs_other": "Water"}

    again = round_trip(questionnaire, tmp_path)
    assert again.to_definition() == questionnaire.to_definition()
    exported = tmp_path / "exported.xlsx"
    xform = convert(xlsform=str(exported), validate=False).xform
    assert "selected( /data/page_1/needs , 'other')" in xform


@pytest.mark.parametrize(
    ("filename", "time", "date_time"),
    [("pyxform_widgets.xls", "my_time", "dateTime"),
     ("pyxform_xlsform_spec_test.xlsx", "time_test", "datetime_test")],
)  # fmt: skip
def test_the_times_of_real_forms_are_imported(filename: str, time: str, date_time: str) -> None:
    result = imported(SHARED_XLSFORMS / filename)
    assert result.questionnaire is not None
    assert result.questionnaire.questions[time].type is QuestionType.TIME
    assert result.questionnaire.questions[date_time].type is QuestionType.DATETIME
    assert not any("not supported" in line and f"'{time}'" in line for line in warnings_of(result))


def test_a_read_only_select_keeps_its_type_and_choices_instead_of_stopping_the_import(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label", "readonly", "default"],
         ["select_one yn", "cari", "Shown", "yes", "y"],
         ["text", "q", "Q", "", ""]],
        choices=[["list_name", "name", "label"], ["yn", "y", "Yes"]],
    )  # fmt: skip
    result = imported(path)
    assert result.questionnaire is not None, result.problems
    cari = result.questionnaire.questions["cari"]
    assert (cari.type, cari.readonly, cari.choices, cari.default) == (
        QuestionType.SELECT_ONE, True, "yn", "y"
    )  # fmt: skip
    assert "survey:2" not in warning_codes(result)


# -- choices ----------------------------------------------------------------------------------


def test_only_choice_lists_that_are_used_are_imported(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label"], ["select_one colours", "c", "Colour"]],
        choices=[
            ["list_name", "name", "label"],
            ["colours", "red", "Red"],
            ["sizes", "big", "Big"],
        ],
    )
    assert list(questionnaire_of(path).choices) == ["colours"]


def test_a_duplicate_choice_keeps_the_first_with_a_warning(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label"], ["select_one colours", "c", "Colour"]],
        choices=[
            ["list_name", "name", "label"],
            ["colours", "red", "Red"],
            ["colours", "red", "Crimson"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert [choice.label for choice in result.questionnaire.choices["colours"]] == [{"und": "Red"}]
    assert warning_codes(result)["choices:3"] == {ProblemCode.DUPLICATE_CHOICE}
    assert f"{path}:choices:3: warning: duplicate choice 'red' in list 'colours' ignored" in (
        warnings_of(result)
    )


def test_choice_names_are_kept_as_written(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["select_one level", "level", "Level", ""],
            ["text", "why", "Why?", "${level} = '1' or selected(${level}, \"02\")"],
        ],
        choices=[
            ["list_name", "name", "label"],
            ["level", "1", "Low"],
            ["level", "02", "High"],
            ["level", "n/a", "Not applicable"],
            ["level", "-9", "Refused"],
            ["level", "état-civil", "Civil status"],
        ],
    )
    result = imported(path)
    assert result.questionnaire is not None
    names = [choice.name for choice in result.questionnaire.choices["level"]]
    assert names == ["1", "02", "n/a", "-9", "état-civil"]
    assert result.questionnaire.questions["why"].relevant == (
        "${level} = '1' or selected(${level}, \"02\")"
    )
    assert ProblemCode.RENAMED not in {problem.code for problem in result.problems}
    assert check_answers(result.questionnaire, {"level": "02", "why": "x"}).ok


def test_a_choice_name_with_spaces_is_renamed_and_expressions_follow(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["select_multiple level", "level", "Level", ""],
            ["text", "why", "Why?", "selected(${level}, 'very high')"],
        ],
        choices=[["list_name", "name", "label"], ["level", "very high", "Very high"]],
    )
    result = imported(path)
    assert result.questionnaire is not None
    assert [choice.name for choice in result.questionnaire.choices["level"]] == ["very_high"]
    assert result.questionnaire.questions["why"].relevant == "selected(${level}, 'very_high')"
    assert warning_codes(result)["choices:2"] == {ProblemCode.RENAMED}


def test_a_question_name_our_schema_rejects_is_renamed_and_references_follow(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["integer", "1st_visit", "First visit", ""],
            ["text", "details", "Details", "${1st_visit} > 2000"],
        ],
    )
    questions = questionnaire_of(path).questions
    assert list(questions) == ["_1st_visit", "details"]
    assert questions["details"].relevant == "${_1st_visit} > 2000"


def test_a_question_named_as_results_name_their_derived_questions_is_renamed(
    tmp_path: Path,
) -> None:
    path = form(
        tmp_path,
        [
            ["type", "name", "label", "relevant"],
            ["text", "comment__categories", "Comment", ""],
            ["integer", "age__in_household", "Age", ""],
            ["text", "why", "Why?", "${age__in_household} > 17"],
        ],
    )

    result = imported(path)

    assert result.questionnaire is not None, result.problems
    questions = result.questionnaire.questions
    assert list(questions) == ["comment_categories", "age_in_household", "why"]
    assert questions["why"].relevant == "${age_in_household} > 17"
    assert warning_codes(result)["survey:2"] == {ProblemCode.RESERVED_NAME}
    assert warning_codes(result)["survey:3"] == {ProblemCode.RESERVED_NAME}
    assert f"{path}:survey:3: warning: name 'age__in_household' has '__in_'" in "\n".join(
        warnings_of(result)
    )


# -- settings ---------------------------------------------------------------------------------


def test_settings_give_id_version_title_and_default_language(tmp_path: Path) -> None:
    path = form(
        tmp_path,
        [["type", "name", "label::Deutsch (de)", "label::English (en)"], ["text", "q", "F", "Q"]],
        settings=[
            ["form_id", "version", "form_title", "default_language"],
            ["needs_2026", "2026-1", "Bedarfe 2026", "Deutsch (de)"],
        ],
    )
    questionnaire = questionnaire_of(path)
    assert (questionnaire.id, questionnaire.version) == ("needs_2026", "2026-1")
    assert questionnaire.title == {"de": "Bedarfe 2026"}
    assert questionnaire.default_language == "de"


def test_without_settings_the_id_is_the_file_name(tmp_path: Path) -> None:
    path = write_xlsform(
        tmp_path / "Needs assessment 2026.xlsx",
        survey=[["type", "name", "label"], ["text", "q", "Q"]],
    )
    questionnaire = questionnaire_of(path)
    assert questionnaire.id == "Needs_assessment_2026"
    assert questionnaire.title == {"und": "Needs_assessment_2026"}


# -- broken input -----------------------------------------------------------------------------


def test_a_file_that_is_not_a_workbook_is_one_error_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    path.write_text("type,name\ntext,q\n")
    result = imported(path)
    assert result.questionnaire is None
    assert [str(problem) for problem in result.problems] == [
        f"{path}:1: not an Excel workbook (.xlsx or .xls)"
    ]


def test_what_the_workbook_library_warns_about_is_an_import_warning(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    path = form(tmp_path, [["type", "name", "label"], ["text", "q", "Q"]])
    # Excel writes drop-down lists of newer versions as an extension openpyxl cannot keep.
    extension = (
        b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/></extLst>'
    )
    with zipfile.ZipFile(path) as original:
        parts = {item: original.read(item) for item in original.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</worksheet>", extension + b"</worksheet>")
    with zipfile.ZipFile(path, "w") as rewritten:
        for name, content in parts.items():
            rewritten.writestr(name, content)
    result = imported(path)
    assert result.questionnaire is not None
    assert warning_codes(result)["1"] >= {ProblemCode.LIBRARY_WARNING}
    assert f"{path}:1: warning: reading the workbook (openpyxl): Data Validation extension " in (
        "\n".join(warnings_of(result))
    )
    assert not [warning for warning in recwarn if "openpyxl" in warning.filename]


def test_a_workbook_without_survey_sheet_is_an_error(tmp_path: Path) -> None:
    path = write_xlsform(tmp_path / "form.xlsx", notes=[["a"], ["b"]], other=[["c"]])
    result = imported(path)
    assert [str(problem) for problem in result.problems] == [
        f"{path}:1: no 'survey' sheet (sheets: notes, other)"
    ]
    assert result.problems[0].code is ProblemCode.NO_SURVEY_SHEET


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = imported(tmp_path / "absent.xlsx")
    assert [str(problem) for problem in result.errors] == [
        f"{tmp_path / 'absent.xlsx'}:1: cannot read: No such file or directory"
    ]
    assert result.errors[0].code is ProblemCode.UNREADABLE


def test_a_form_where_nothing_can_be_imported_is_an_error(tmp_path: Path) -> None:
    path = form(tmp_path, [["type", "name", "label"], ["geopoint", "where", "Where?"]])
    result = imported(path)
    assert result.questionnaire is None
    assert f"{path}:1: no question could be imported" in [str(p) for p in result.errors]
    assert ProblemCode.NOTHING_IMPORTED in {problem.code for problem in result.errors}


# -- YAML -------------------------------------------------------------------------------------


def test_yaml_is_block_style_quotes_yes_and_no_and_reads_back_the_same(tmp_path: Path) -> None:
    questionnaire = load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")
    text = questionnaire_yaml(questionnaire)
    assert "- name: 'yes'" in text
    assert "„Reiche“ Beispielbefragung" in text  # unicode as written, not escaped
    assert not re.search(r": [{\[]", text)  # no flow style anywhere
    written = tmp_path / "rich.yaml"
    written.write_text(text, "utf-8")
    assert load_yaml_file(written).to_definition() == questionnaire.to_definition()


def test_yaml_keys_follow_the_order_of_the_format_description() -> None:
    data = yaml.safe_load(questionnaire_yaml(load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")))
    assert list(data) == [
        "id", "version", "title", "description", "languages", "default_language", "min_cell",
        "audience", "retention", "privacy_notice", "thank_you", "choices", "pages",
    ]  # fmt: skip
    first = data["pages"][0]["questions"][1]
    assert list(first) == [
        "name", "type", "label", "hint", "required", "constraint", "constraint_message",
        "working_groups",
    ]  # fmt: skip


# -- export and round trip --------------------------------------------------------------------


def readme_example(tmp_path: Path) -> Path:
    readme = (QUESTIONNAIRES / "README.md").read_text("utf-8")
    match = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert match, "questionnaires/README.md has a ```yaml example"
    path = tmp_path / "example.yaml"
    path.write_text(match.group(1), "utf-8")
    return path


def test_the_readme_example_survives_export_and_import(tmp_path: Path) -> None:
    original = load_yaml_file(readme_example(tmp_path))
    assert round_trip(original, tmp_path).to_definition() == original.to_definition()


@pytest.mark.parametrize("path", ROUND_TRIP_FILES, ids=lambda path: path.name)
def test_export_then_import_gives_the_same_questionnaire(path: Path, tmp_path: Path) -> None:
    original = load_yaml_file(path)
    assert round_trip(original, tmp_path).to_definition() == original.to_definition()


@pytest.mark.parametrize("path", SHARED_FORMS, ids=lambda path: path.name)
def test_an_imported_real_form_survives_export_and_import(path: Path, tmp_path: Path) -> None:
    original = questionnaire_of(path)
    assert round_trip(original, tmp_path).to_definition() == original.to_definition()


def test_the_round_trip_imports_without_warnings(tmp_path: Path) -> None:
    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")).save(workbook_path)
    assert imported(workbook_path).problems == []


def test_the_export_has_a_column_per_language_named_as_kobotoolbox_does(tmp_path: Path) -> None:
    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")).save(workbook_path)
    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    header = [cell.value for cell in workbook["survey"][1]]
    assert header[:5] == ["type", "name", "label::German (de)", "label::English (en)",
                          "label::Arabic (ar)"]  # fmt: skip
    types = [row[0].value for row in workbook["survey"].iter_rows(min_row=2)]
    assert types[:3] == ["begin_group", "note", "integer"]
    assert "select_one yes_no" in types


def test_a_text_starting_with_an_equals_sign_is_exported_as_text_not_formula(
    tmp_path: Path,
) -> None:
    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")).save(workbook_path)
    cell = load_workbook(workbook_path)["survey"]["C3"]
    assert cell.data_type == "s"
    assert str(cell.value).startswith("= Bitte")


def test_a_translator_can_add_a_language_column_and_import_it_back(tmp_path: Path) -> None:
    example = load_yaml_file(readme_example(tmp_path))
    workbook_path = tmp_path / "exported.xlsx"
    workbook = export_xlsform(example)
    survey = workbook["survey"]
    column = survey.max_column + 1
    survey.cell(row=1, column=column, value="label::Ukrainian (uk)")
    for row in range(2, survey.max_row + 1):
        if survey.cell(row=row, column=2).value == "course_attended":
            survey.cell(row=row, column=column, value="Чи відвідували ви мовний курс?")
    workbook.save(workbook_path)
    result = imported(workbook_path)
    assert result.questionnaire is not None
    assert result.questionnaire.languages == ("de", "en", "uk")
    label = result.questionnaire.questions["course_attended"].label
    assert label["uk"] == "Чи відвідували ви мовний курс?"


def test_the_export_is_a_valid_xlsform_for_kobotoolbox_and_odk(tmp_path: Path) -> None:
    from pyxform.xls2xform import convert

    workbook_path = tmp_path / "exported.xlsx"
    export_xlsform(load_yaml_file(FIXTURES / "xlsform" / "rich.yaml")).save(workbook_path)
    result = convert(xlsform=str(workbook_path), validate=False)
    assert "Beispielbefragung</h:title>" in result.xform
    assert "relevant=\"selected( /data/language/course , 'yes')\"" in result.xform
    assert 'nodeset="/data/about_you/course_time" type="time"' in result.xform
    assert 'nodeset="/data/about_you/registered_at" type="dateTime"' in result.xform


@pytest.mark.parametrize(
    ("code", "column"),
    [("de", "German (de)"), ("fa", "Persian (fa)"), ("pt-BR", "Portuguese (Brazil) (pt-BR)"),
     ("und", "Unknown language (und)"), ("klingon", "klingon")],
)  # fmt: skip
def test_language_columns_name_the_language_in_english_with_its_code(
    code: str, column: str
) -> None:
    assert language_column(code) == column


# -- cascading selects (choice_filter) ----------------------------------------------------------

CASCADE_SURVEY = [
    ["type", "name", "label::English (en)", "choice_filter"],
    ["select_one states", "state", "State", ""],
    ["select_one counties", "county", "County", "state=${state}"],
]
CASCADE_CHOICES = [
    ["list_name", "name", "label::English (en)", "state", "population"],
    ["states", "texas", "Texas", "", ""],
    ["states", "washington", "Washington", "", ""],
    ["counties", "brazos", "Brazos", "texas", "230000"],
    ["counties", "king", "King", "washington", "2270000"],
]


def test_a_choice_filter_is_imported_with_the_choice_columns_it_reads(tmp_path: Path) -> None:
    result = imported(form(tmp_path, CASCADE_SURVEY, choices=CASCADE_CHOICES))
    assert [problem.message for problem in result.problems if "choice" in problem.message] == []
    questionnaire = result.questionnaire
    assert questionnaire is not None
    assert questionnaire.questions["county"].choice_filter == "state=${state}"
    # Only the columns a filter reads are kept: `population` is not.
    assert [choice.columns for choice in questionnaire.choices["counties"]] == [
        {"state": "texas"},
        {"state": "washington"},
    ]
    assert check_answers(questionnaire, {"state": "texas", "county": "brazos"}).ok
    assert not check_answers(questionnaire, {"state": "texas", "county": "king"}).ok


def test_a_choice_filter_using_a_function_we_lack_is_dropped_naming_the_function(
    tmp_path: Path,
) -> None:
    survey = [row[:] for row in CASCADE_SURVEY]
    survey[2][3] = "state=pulldata('f', 'state', 'key', ${state})"
    result = imported(form(tmp_path, survey, choices=CASCADE_CHOICES))
    assert result.questionnaire is not None
    assert result.questionnaire.questions["county"].choice_filter is None
    assert any(
        "choice_filter 'state=pulldata(" in w and "uses pulldata()" in w
        for w in warnings_of(result)
    )
    assert ProblemCode.UNKNOWN_FUNCTION in warning_codes(result)["survey:3"]


def test_a_choice_filter_naming_a_column_the_choices_lack_is_dropped_saying_so(
    tmp_path: Path,
) -> None:
    survey = [row[:] for row in CASCADE_SURVEY]
    survey[2][3] = "region=${state}"
    result = imported(form(tmp_path, survey, choices=CASCADE_CHOICES))
    assert result.questionnaire is not None
    assert result.questionnaire.questions["county"].choice_filter is None
    assert any(
        "no choice of list 'counties' has a value in column 'region'; all choices are offered"
        in warning
        for warning in warnings_of(result)
    )
    assert ProblemCode.EXPRESSION_DROPPED in warning_codes(result)["survey:3"]


def test_the_columns_only_a_dropped_choice_filter_read_are_not_kept(tmp_path: Path) -> None:
    """pyxform's or_other.xlsx: `pastel=yes` reads a column `yes` nobody has, so the filter
    is dropped, and with it the `pastel` column it read (which no export would write back)."""
    survey = [row[:] for row in CASCADE_SURVEY]
    survey[2][3] = "state=texas"
    result = imported(form(tmp_path, survey, choices=CASCADE_CHOICES))
    assert result.questionnaire is not None
    assert result.questionnaire.questions["county"].choice_filter is None
    assert [choice.columns for choice in result.questionnaire.choices["counties"]] == [{}, {}]


def test_the_real_forms_with_cascading_selects_keep_their_filters() -> None:
    questionnaire = questionnaire_of(SHARED_XLSFORMS / "reach_msna2024_kobo_tool_draft_v11.xlsx")
    filters = {
        question.name: question.choice_filter
        for question in questionnaire.iter_questions()
        if question.choice_filter
    }
    assert filters == {
        "admin2": "filter_admin1=${admin1}",
        "admin3": "filter_admin2=${admin2}",
        "admin4": "filter_admin3=${admin3}",
        "cluster_id": "filter_admin3=${admin3}",
    }
    admin2 = questionnaire.questions["admin2"]
    offered = offered_choices(questionnaire, admin2, {"admin1": "PCODE1"})
    assert [choice.name for choice in offered] == ["PCODE11", "PCODE12"]


def test_cascading_selects_survive_export_and_import(tmp_path: Path) -> None:
    original = load_yaml_file(FIXTURES / "cascade.yaml")
    exported = tmp_path / "exported.xlsx"
    export_xlsform(original).save(exported)
    survey, choices = load_workbook(exported)["survey"], load_workbook(exported)["choices"]
    assert "choice_filter" in [cell.value for cell in survey[1]]
    assert [cell.value for cell in choices[1]][-2:] == ["state", "county"]
    assert imported(exported).problems == []
    assert round_trip(original, tmp_path).to_definition() == original.to_definition()


def test_a_choice_column_naming_a_renamed_choice_follows_the_new_name(tmp_path: Path) -> None:
    choices = [
        ["list_name", "name", "label::English (en)", "state"],
        ["states", "new york", "New York", ""],
        ["counties", "kings", "Kings", "new york"],
    ]
    questionnaire = questionnaire_of(form(tmp_path, CASCADE_SURVEY, choices=choices))
    assert questionnaire.choices["states"][0].name == "new_york"
    assert questionnaire.choices["counties"][0].columns == {"state": "new_york"}
    assert check_answers(questionnaire, {"state": "new_york", "county": "kings"}).ok
