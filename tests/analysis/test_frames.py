"""Stored answers become one tidy frame: a row per submission, typed columns per question."""

from __future__ import annotations

import pandas as pd

from analysis.frames import empty_frame, frame_from_texts, join_texts, parse_answers
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.conftest import texts, variant

FULL = {
    "german_level": "b1",
    "age": 34,
    "arrived": "2024-03-15",
    "employed": "yes",
    "hours": 20.5,
    "support": ["course", "job"],
    "support_count": 2,
    "comment": "Mehr Kurse",
}


def test_one_row_per_submission_and_one_column_per_answered_question(
    wave1: Questionnaire,
) -> None:
    frame = frame_from_texts(wave1, [(wave1, texts(FULL, {"german_level": "a1", "age": 20}))])

    assert len(frame) == 2
    assert list(frame.columns) == [
        "german_level", "age", "arrived", "employed", "hours",
        "support/course", "support/counselling", "support/housing", "support/job", "comment",
    ]  # fmt: skip


def test_notes_and_calculations_have_no_column(wave1: Questionnaire) -> None:
    frame = frame_from_texts(wave1, [(wave1, texts(FULL))])

    assert "intro" not in frame.columns
    assert "support_count" not in frame.columns


def test_select_one_is_categorical_in_choice_order(wave1: Questionnaire) -> None:
    frame = frame_from_texts(wave1, [(wave1, texts({"german_level": "b2"}, {}))])

    column = frame["german_level"]
    assert isinstance(column.dtype, pd.CategoricalDtype)
    assert list(column.cat.categories) == ["none", "a1", "a2", "b1", "b2"]
    assert column.iloc[0] == "b2"
    assert pd.isna(column.iloc[1])


def test_select_multiple_is_one_boolean_column_per_choice(wave1: Questionnaire) -> None:
    frame = frame_from_texts(wave1, [(wave1, texts(FULL, {"age": 40}))])

    assert frame["support/course"].dtype == "boolean"
    assert frame.loc[0, ["support/course", "support/counselling", "support/job"]].tolist() == [
        True, False, True,
    ]  # fmt: skip
    # Not answered is missing, not "no choice ticked".
    assert frame.loc[1, ["support/course", "support/job"]].isna().all()


def test_numbers_are_numeric_dates_datetimes_and_text_strings(wave1: Questionnaire) -> None:
    frame = frame_from_texts(wave1, [(wave1, texts(FULL))])

    assert frame["age"].dtype == "Int64"
    assert frame["hours"].dtype == "float64"
    assert frame["arrived"].iloc[0] == pd.Timestamp("2024-03-15")
    assert frame["comment"].iloc[0] == "Mehr Kurse"


def test_questions_only_in_older_versions_are_dropped(wave1: Questionnaire) -> None:
    pages = wave1.to_definition()["pages"]
    extra = {"name": "old_question", "type": "text", "label": {"de": "Alt"}}
    older = variant(wave1, pages=[{**pages[0], "questions": [*pages[0]["questions"], extra]}])

    frame = frame_from_texts(wave1, [(older, texts({**FULL, "old_question": "x"}))])

    assert "old_question" not in frame.columns
    assert frame["german_level"].iloc[0] == "b1"


def test_versions_are_stacked_and_changed_types_are_converted(wave1: Questionnaire) -> None:
    definition = wave1.to_definition()
    pages = [
        {
            **page,
            "questions": [
                {**q, "type": "select_one"} if q["name"] == "support" else q
                for q in page["questions"]
                if q["name"] != "support_count"
            ],
        }
        for page in definition["pages"]
    ]
    older = variant(wave1, pages=pages)

    frame = frame_from_texts(
        wave1, [(older, texts({"support": "housing"})), (wave1, texts({"support": ["job"]}))]
    )

    assert frame["support/housing"].tolist() == [True, False]
    assert frame["support/job"].tolist() == [False, True]


def test_broken_rows_become_missing_values_without_error(wave1: Questionnaire) -> None:
    lines = [
        '{"age":"old","german_level":"c2","support":"course","arrived":"yesterday"}',
        "not json at all",
        "",
        '["a list"]',
        '{"age":41.5,"hours":"7","comment":12}',
        texts(FULL)[0],
    ]

    frame = parse_answers(wave1, wave1, join_texts(lines), len(lines))

    assert len(frame) == 6
    assert frame["age"].isna().tolist() == [True, True, True, True, True, False]
    assert frame["german_level"].isna().sum() == 5
    assert frame["german_level"].iloc[5] == "b1"
    assert frame["arrived"].isna().sum() == 5


def test_newlines_inside_stored_texts_do_not_split_rows(wave1: Questionnaire) -> None:
    pretty = '{\n  "age": 30,\n  "comment": "zwei\\nZeilen"\n}'

    frame = frame_from_texts(wave1, [(wave1, [pretty, texts(FULL)[0]])])

    assert frame["age"].tolist() == [30, 34]
    assert frame["comment"].iloc[0] == "zwei\nZeilen"


def test_no_answers_give_an_empty_frame_with_typed_columns(wave1: Questionnaire) -> None:
    frame = frame_from_texts(wave1, [(wave1, [])])

    assert len(frame) == 0
    assert list(frame.columns) == list(empty_frame(wave1).columns)
    assert isinstance(frame["german_level"].dtype, pd.CategoricalDtype)
