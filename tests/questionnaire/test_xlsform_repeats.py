"""XLSForm repeats (`begin_repeat` ... `end_repeat`, household rosters): imported as
questions of type repeat holding their questions, exported as such again."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from survey_app.questionnaire.errors import ProblemCode, Severity
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from survey_app.questionnaire.xlsform import (
    XlsformImport,
    export_xlsform,
    import_xlsform,
    questionnaire_yaml,
)
from tests.conftest import SHARED_XLSFORMS
from tests.fixtures.xlsform.build import write_xlsform

HEADER = ["type", "name", "label::English (en)", "relevant", "repeat_count", "calculation"]


def imported(tmp_path: Path, survey: list[list[object]]) -> XlsformImport:
    path = write_xlsform(tmp_path / "form.xlsx", survey=survey)  # type: ignore[arg-type]
    return import_xlsform(path, working_groups=set())


def questionnaire_of(result: XlsformImport) -> Questionnaire:
    assert result.questionnaire is not None, "\n".join(map(str, result.problems))
    return result.questionnaire


def warnings_at(result: XlsformImport, row: int) -> list[tuple[ProblemCode | None, str]]:
    where = f"{result.source}:survey:{row}"
    return [
        (problem.code, problem.message)
        for problem in result.problems
        if problem.severity is Severity.WARNING and problem.location == where
    ]


def names(questions: object) -> list[str]:
    return [question.name for question in questions]  # type: ignore[attr-defined]


ROSTER = [
    HEADER,
    ["integer", "size", "How many people?", "", "", ""],
    ["begin_repeat", "members", "Person", "${size} > 0", "${size}", ""],
    ["text", "first_name", "First name", "", "", ""],
    ["integer", "age", "Age", "", "", ""],
    ["calculate", "place", "", "", "", "position(..)"],
    ["note", "older", "${first_name} is an adult", "../age >= 18", "", ""],
    ["end_repeat", "", "", "", "", ""],
    ["calculate", "total_age", "", "", "", "sum(${age})"],
    ["calculate", "people", "", "", "", "count(${members})"],
    ["calculate", "second", "", "", "", "indexed-repeat(${first_name}, ${members}, 2)"],
]


# -- import -----------------------------------------------------------------------------------


def test_a_repeat_becomes_a_repeat_question_holding_its_rows_on_a_page_of_its_own(
    tmp_path: Path,
) -> None:
    result = imported(tmp_path, ROSTER)
    questionnaire = questionnaire_of(result)
    assert [(page.name, names(page.questions)) for page in questionnaire.pages] == [
        ("page_1", ["size"]),
        ("page_2", ["members"]),
        ("page_3", ["total_age", "people", "second"]),
    ]
    members = questionnaire.questions["members"]
    assert members.type is QuestionType.REPEAT
    assert members.label == {"en": "Person"}
    assert questionnaire.pages[1].title == {"en": "Person"}
    assert members.relevant == "${size} > 0"
    assert members.repeat_count == "${size}"
    assert members.required is False
    assert names(members.questions) == ["first_name", "age", "place", "older"]
    assert questionnaire.all_questions["older"].relevant == "../age >= 18"
    assert questionnaire.all_questions["place"].calculation == "position(..)"
    assert warnings_at(result, 3) == []


def test_expressions_over_an_imported_roster_read_the_entries(tmp_path: Path) -> None:
    questionnaire = questionnaire_of(imported(tmp_path, ROSTER))
    members = [{"first_name": "Amal", "age": 41}, {"first_name": "Lina", "age": 4}]
    checked = check_answers(questionnaire, {"size": 2, "members": members})
    assert checked.ok, checked.errors
    assert checked.answers["total_age"] == 45
    assert checked.answers["people"] == 2
    assert checked.answers["second"] == "Lina"
    assert [entry["place"] for entry in checked.answers["members"]] == [1, 2]  # type: ignore[index]
    assert "members[1].older" in checked.relevant
    assert "members[2].older" not in checked.relevant
    refused = check_answers(questionnaire, {"size": 3, "members": members})
    assert refused.errors["members"].code == "entry_count"


@pytest.mark.parametrize("spelling", ["begin_repeat", "begin repeat", "begin lgroup"])
def test_the_spellings_of_begin_repeat_pyxform_accepts_are_understood(
    tmp_path: Path, spelling: str
) -> None:
    survey = [
        HEADER,
        [spelling, "visits", "Visit", "", "", ""],
        ["date", "visit_date", "When?", "", "", ""],
        ["end" + spelling[5:], "", "", "", "", ""],
    ]
    questionnaire = questionnaire_of(imported(tmp_path, survey))
    assert names(questionnaire.questions["visits"].questions) == ["visit_date"]


def test_a_fixed_count_is_kept_as_a_whole_number_also_from_a_jr_count_column(
    tmp_path: Path,
) -> None:
    survey = [
        ["type", "name", "label::English (en)", "jr:count"],
        ["begin_repeat", "children", "Child", 3],
        ["integer", "child_age", "Age", ""],
        ["end_repeat", "", "", ""],
        ["begin_repeat", "parents", "Parent", 2.0],
        ["integer", "parent_age", "Age", ""],
        ["end_repeat", "", "", ""],
    ]
    questionnaire = questionnaire_of(imported(tmp_path, survey))
    assert questionnaire.questions["children"].repeat_count == "3"
    assert questionnaire.questions["parents"].repeat_count == "2"


def test_a_repeat_in_a_group_stays_on_its_page_and_groups_inside_are_flattened(
    tmp_path: Path,
) -> None:
    survey = [
        HEADER,
        ["begin_group", "household", "Household", "${consent} = 'yes'", "", ""],
        ["text", "consent", "Consent?", "", "", ""],
        ["begin_repeat", "members", "Person", "", "", ""],
        ["integer", "age", "Age", "", "", ""],
        ["begin_group", "work", "Work", "${age} >= 15", "", ""],
        ["text", "job", "Job", "${age} < 67", "", ""],
        ["end_group", "", "", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["text", "remarks", "Remarks", "", "", ""],
        ["end_group", "", "", "", "", ""],
    ]
    questionnaire = questionnaire_of(imported(tmp_path, survey))
    [page] = questionnaire.pages
    assert names(page.questions) == ["consent", "members", "remarks"]
    members = questionnaire.questions["members"]
    # The page's group applies to the repeat, once; the group inside it to each question.
    assert members.relevant == "${consent} = 'yes'"
    assert questionnaire.all_questions["age"].relevant is None
    assert questionnaire.all_questions["job"].relevant == "(${age} >= 15) and (${age} < 67)"


def test_nested_repeats_stay_nested_and_read_their_entries(tmp_path: Path) -> None:
    survey = [
        HEADER,
        ["begin_repeat", "members", "Person", "", "", ""],
        ["text", "first_name", "First name", "", "", ""],
        ["integer", "job_count", "How many jobs?", "", "", ""],
        ["begin_repeat", "jobs", "Job", "", "${job_count}", ""],
        ["text", "title", "Job title", "", "", ""],
        ["begin_repeat", "shifts", "Shift", "", "", ""],
        ["integer", "hours", "Hours", "", "", ""],
        ["calculate", "shift_label", "", "", "", "concat(${first_name}, position(../..))"],
        ["end_repeat", "", "", "", "", ""],
        ["calculate", "job_hours", "", "", "", "sum(${hours})"],
        ["end_repeat", "", "", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["calculate", "all_hours", "", "", "", "sum(${hours})"],
    ]
    questionnaire = questionnaire_of(imported(tmp_path, survey))
    assert questionnaire.repeats_around("hours") == ("members", "jobs", "shifts")
    assert questionnaire.all_questions["jobs"].repeat_count == "${job_count}"
    shifts = [{"hours": 4}, {"hours": 3}]
    members = [
        {"first_name": "Omar", "job_count": 1, "jobs": [{"title": "Koch", "shifts": shifts}]}
    ]
    checked = check_answers(questionnaire, {"members": members})
    assert checked.ok, checked.errors
    assert checked.answers["all_hours"] == 7
    job = checked.answers["members"][0]["jobs"][0]  # type: ignore[index]
    assert job["job_hours"] == 7  # type: ignore[index]
    assert [shift["shift_label"] for shift in job["shifts"]] == ["Omar1", "Omar1"]  # type: ignore[index]


def test_a_question_of_a_repeat_read_bare_outside_it_is_dropped_with_a_warning(
    tmp_path: Path,
) -> None:
    survey = [
        HEADER,
        ["begin_repeat", "members", "Person", "", "", ""],
        ["integer", "age", "Age", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["calculate", "adult", "", "", "", "if(${age} >= 18, 1, 0)"],
        ["text", "why", "Why?", "${age} < 18", "", ""],
    ]
    result = imported(tmp_path, survey)
    questionnaire = questionnaire_of(result)
    assert "adult" not in questionnaire.all_questions
    assert questionnaire.questions["why"].relevant is None
    assert warnings_at(result, 5) == [
        (
            ProblemCode.EXPRESSION_DROPPED,
            "calculation 'if(${age} >= 18, 1, 0)' dropped: it uses 'age' of repeat 'members' "
            "outside it, where it has one answer per entry; this service reads it there only "
            "inside count(), sum(), min(), max(), join() or indexed-repeat()",
        ),
        (ProblemCode.QUESTION_SKIPPED, "'adult' skipped: its calculation was dropped"),
    ]
    assert [code for code, _ in warnings_at(result, 6)] == [ProblemCode.EXPRESSION_DROPPED]


def test_an_unknown_function_inside_a_repeat_gives_one_warning_naming_row_and_function(
    tmp_path: Path,
) -> None:
    survey = [
        HEADER,
        ["begin_repeat", "members", "Person", "", "", ""],
        ["integer", "age", "Age", "", "", ""],
        ["calculate", "lookup", "", "", "", "pulldata('ages', 'age', 'key', ../age)"],
        ["end_repeat", "", "", "", "", ""],
    ]
    result = imported(tmp_path, survey)
    assert "lookup" not in questionnaire_of(result).all_questions
    assert warnings_at(result, 4) == [
        (
            ProblemCode.UNKNOWN_FUNCTION,
            "calculation 'pulldata('ages', 'age', 'key', ../age)' dropped: uses pulldata(), "
            "which this service cannot evaluate",
        ),
        (ProblemCode.QUESTION_SKIPPED, "'lookup' skipped: its calculation was dropped"),
    ]


def test_a_repeat_with_no_question_left_is_skipped_with_a_warning_at_its_row(
    tmp_path: Path,
) -> None:
    survey = [
        HEADER,
        ["text", "village", "Village", "", "", ""],
        ["begin_repeat", "places", "Place", "", "", ""],
        ["geopoint", "where", "Where?", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["calculate", "place_count", "", "", "", "count(${places})"],
    ]
    result = imported(tmp_path, survey)
    questionnaire = questionnaire_of(result)
    assert list(questionnaire.all_questions) == ["village"]
    assert [page.name for page in questionnaire.pages] == ["page_1"]
    assert warnings_at(result, 3) == [
        (ProblemCode.REPEAT_SKIPPED, "repeat 'places' skipped: none of its questions is left")
    ]
    assert ProblemCode.EXPRESSION_DROPPED in [code for code, _ in warnings_at(result, 6)]


def test_a_loop_over_a_choice_list_is_skipped_whole_with_one_warning_at_its_row(
    tmp_path: Path,
) -> None:
    survey = [
        HEADER,
        ["text", "village", "Village", "", "", ""],
        ["begin loop over crops", "per_crop", "%(label)s", "", "", ""],
        ["integer", "harvest", "Harvest of %(label)s", "", "", ""],
        ["begin_group", "inner", "Inner", "", "", ""],
        ["text", "notes", "Notes", "", "", ""],
        ["end_group", "", "", "", "", ""],
        ["end loop", "", "", "", "", ""],
    ]
    result = imported(tmp_path, survey)
    assert list(questionnaire_of(result).all_questions) == ["village"]
    assert result.skipped == 2
    assert warnings_at(result, 3) == [
        (
            ProblemCode.REPEAT_SKIPPED,
            "loop 'per_crop' skipped with its 2 question row(s): loops over a choice list are "
            "not supported (a repeat is)",
        )
    ]


def test_a_repeat_never_closed_keeps_its_questions_with_a_warning(tmp_path: Path) -> None:
    survey = [
        HEADER,
        ["begin_repeat", "members", "Person", "", "", ""],
        ["integer", "age", "Age", "", "", ""],
    ]
    result = imported(tmp_path, survey)
    assert names(questionnaire_of(result).questions["members"].questions) == ["age"]
    assert warnings_at(result, 2) == [
        (ProblemCode.UNBALANCED_GROUP, "repeat 'members' is never closed")
    ]


def test_a_problem_of_a_question_in_nested_repeats_names_its_row(tmp_path: Path) -> None:
    survey = [
        ["type", "name", "label::English (en)", "label::German (de)"],
        ["begin_repeat", "members", "Person", "Person"],
        ["begin_repeat", "jobs", "Job", "Stelle"],
        ["integer", "hours", "Hours", ""],
        ["end_repeat", "", "", ""],
        ["end_repeat", "", "", ""],
    ]
    result = imported(tmp_path, survey)
    assert warnings_at(result, 4) == [
        (ProblemCode.MISSING_TRANSLATION, "1 text(s) have no 'de' translation")
    ]


# -- the real forms of others -----------------------------------------------------------------

REAL_REPEATS = {
    "pyxform_UCL_Biomass_Plot_Form.xlsx": {
        "trees": 8, "stems": 6, "stumps": 10, "subplot1": 4, "subplot2": 4,
    },
    "pyxform_xlsform_spec_test.xlsx": {"repeat_test": 7},
    "reach_msna2024_kobo_tool_draft_v11.xlsx": {
        "roster": 33, "edu_ind": 14, "health_ind": 8, "nut_ind": 13,
    },
}  # fmt: skip


@pytest.mark.parametrize("filename", sorted(REAL_REPEATS))
def test_the_repeats_of_real_forms_are_imported_with_their_questions(filename: str) -> None:
    result = import_xlsform(SHARED_XLSFORMS / filename, working_groups=set())
    questionnaire = questionnaire_of(result)
    repeats = {
        question.name: len(question.questions)
        for question in questionnaire.all_questions.values()
        if question.type is QuestionType.REPEAT
    }
    assert repeats == REAL_REPEATS[filename]
    assert ProblemCode.REPEAT_SKIPPED not in {problem.code for problem in result.problems}
    assert not any("inside repeat" in problem.message for problem in result.problems)


def test_the_msna_s_roster_sums_and_relevants_over_the_roster_now_resolve() -> None:
    result = import_xlsform(
        SHARED_XLSFORMS / "reach_msna2024_kobo_tool_draft_v11.xlsx", working_groups=set()
    )
    questionnaire = questionnaire_of(result)
    questions = questionnaire.all_questions
    assert questions["ind_age_schooling_n"].calculation == "sum(${ind_age_schooling})"
    assert questions["roster"].repeat_count == "${hh_size}"
    assert questions["edu_ind"].relevant == (
        "(selected(${consent},'yes')) and (${ind_age_schooling_n} >= 1)"
    )
    assert questions["edu_person_id"].calculation == (
        "indexed-repeat(${person_id}, ${roster}, ${edu_ind_pos})"
    )
    assert questions["ind_pos"].calculation == "position(..)"
    assert questions["note_resp"].relevant == "${ind_pos}=1"
    roster_sums = [
        question.name
        for question in questions.values()
        if (question.calculation or "").startswith("sum(${ind_")
    ]
    assert len(roster_sums) == 11
    # Outside the roster, the head-of-household match reads one member's age bare: dropped.
    assert "ind_potentially_hoh" not in questions


def test_a_nested_repeat_of_a_real_form_keeps_its_count_and_reads_its_outer_entry() -> None:
    result = import_xlsform(
        SHARED_XLSFORMS / "pyxform_UCL_Biomass_Plot_Form.xlsx", working_groups=set()
    )
    questionnaire = questionnaire_of(result)
    assert questionnaire.repeats_around("cbh") == ("trees", "stems")
    assert questionnaire.all_questions["stems"].repeat_count == "${stem_count}"
    assert questionnaire.all_questions["tag_1"].calculation == "${tag}"
    assert questionnaire.all_questions["cbh"].constraint == ". >=  ${size_constraint}"


# -- export -----------------------------------------------------------------------------------


def test_a_repeat_is_exported_as_begin_and_end_repeat_rows_with_its_count(
    tmp_path: Path,
) -> None:
    questionnaire = questionnaire_of(imported(tmp_path, ROSTER))
    exported = tmp_path / "exported.xlsx"
    export_xlsform(questionnaire).save(exported)
    sheet = load_workbook(exported)["survey"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]
    assert [(row["type"], row["name"]) for row in rows[3:10]] == [
        ("begin_group", "page_2"),
        ("begin_repeat", "members"),
        ("text", "first_name"),
        ("integer", "age"),
        ("calculate", "place"),
        ("note", "older"),
        ("end_repeat", "members"),
    ]
    assert rows[4]["repeat_count"] == "${size}"
    xform = convert(xlsform=str(exported), validate=False).xform
    assert 'jr:count=" /data/page_1/size "' in xform


def test_nested_repeats_survive_export_and_import(tmp_path: Path) -> None:
    survey = [
        HEADER,
        ["begin_group", "household", "Household", "", "", ""],
        ["begin_repeat", "members", "Person", "", "", ""],
        ["integer", "job_count", "How many jobs?", "", "", ""],
        ["begin_repeat", "jobs", "Job", "../job_count > 0", "${job_count}", ""],
        ["text", "title", "Job title", "", "", ""],
        ["begin_repeat", "shifts", "Shift", "", "2", ""],
        ["integer", "hours", "Hours", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["end_repeat", "", "", "", "", ""],
        ["calculate", "all_hours", "", "", "", "sum(${hours})"],
        ["end_group", "", "", "", "", ""],
    ]
    original = questionnaire_of(imported(tmp_path, survey))
    exported = tmp_path / "exported.xlsx"
    export_xlsform(original).save(exported)
    again = questionnaire_of(import_xlsform(exported, working_groups=set()))
    assert again.to_definition() == original.to_definition()
    assert again.repeats_around("hours") == ("members", "jobs", "shifts")


def test_the_yaml_of_an_imported_repeat_has_its_questions_and_count_and_reads_back(
    tmp_path: Path,
) -> None:
    questionnaire = questionnaire_of(imported(tmp_path, ROSTER))
    text = questionnaire_yaml(questionnaire)
    assert "  type: repeat\n" in text
    assert "  questions:\n" in text
    assert "  repeat_count: ${size}\n" in text
    written = tmp_path / f"{questionnaire.id}.yaml"
    written.write_text(text, "utf-8")
    loaded = load_questionnaire(written, working_groups=set())
    assert loaded.errors == []
    assert loaded.questionnaire is not None
    assert loaded.questionnaire.to_definition() == questionnaire.to_definition()
