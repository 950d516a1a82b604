"""Summaries by question type, breakdowns and wave comparison, as results JSON."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from analysis.breakdowns import MISSING_COLUMN
from analysis.frames import frame_from_texts
from analysis.publication import date_bins
from analysis.results import (
    NotABreakdownQuestion,
    NotAWave,
    SurveyAnswers,
    UnknownQuestion,
    build_results,
)
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType
from tests.analysis.conftest import texts


def answers(questionnaire: Questionnaire, rows: list[dict[str, Any]]) -> SurveyAnswers:
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    return SurveyAnswers(questionnaire.id, 1, questionnaire, frame)


def question(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in results["questions"] if q["name"] == name)


LEVELS = ["a1"] * 10 + ["b1"] * 20 + ["b2"] * 6 + ["none"] * 5 + ["a2"] * 3


def rows() -> list[dict[str, Any]]:
    """44 respondents with known answers."""
    out = []
    for i, level in enumerate(LEVELS):
        employed = "yes" if i % 2 == 0 else "no"
        row: dict[str, Any] = {"german_level": level, "age": 20 + i, "employed": employed}
        if employed == "yes":
            row["hours"] = 10.0 + i
        if i < 30:
            row["support"] = ["course"] if i < 24 else ["course", "job"]
        if i < 12:
            row["arrived"] = "2024-01-10" if i < 6 else "2024-03-02"
        if i < 7:
            row["comment"] = "Danke"
        out.append(row)
    return out


def test_results_have_the_documented_shape(wave1: Questionnaire) -> None:
    data = build_results(answers(wave1, rows())).to_json()

    assert set(data) == {
        "survey", "version", "group", "responses", "min_cell", "release", "questions",
    }  # fmt: skip
    assert (data["survey"], data["version"], data["group"]) == ("wave1", 1, None)
    assert data["release"] is None  # live
    assert (data["responses"], data["min_cell"]) == (44, 5)
    assert set(data["questions"][0]) == {
        "name", "type", "label", "n", "choices", "counts", "percent",
        "mean", "median", "q1", "q3", "months",
    }  # fmt: skip


def test_questions_are_those_of_the_group_in_questionnaire_order_without_notes(
    wave1: Questionnaire,
) -> None:
    every = build_results(answers(wave1, rows())).to_json()
    arbeit = build_results(answers(wave1, rows()), group="arbeit").to_json()

    assert [q["name"] for q in every["questions"]] == [
        "german_level", "age", "arrived", "employed", "hours", "support", "comment",
    ]  # fmt: skip
    assert [q["name"] for q in arbeit["questions"]] == ["german_level", "age", "employed", "hours"]


def test_select_one_lists_every_choice_with_counts_and_percentages(wave1: Questionnaire) -> None:
    level = question(build_results(answers(wave1, rows())).to_json(), "german_level")

    assert level["n"] == 44
    # a2 (3) is below 5; the smallest other count (none: 5) is hidden with it.
    assert level["counts"] == {"none": None, "a1": 10, "a2": None, "b1": 20, "b2": 6}
    assert level["percent"] == {"none": None, "a1": 22.7, "a2": None, "b1": 45.5, "b2": 13.6}


def test_select_one_zero_counts_are_listed(wave1: Questionnaire) -> None:
    data = build_results(answers(wave1, [{"german_level": "b1"}] * 6)).to_json()

    assert question(data, "german_level")["counts"] == {
        "none": 0, "a1": 0, "a2": 0, "b1": 6, "b2": 0,
    }  # fmt: skip


def test_select_multiple_counts_respondents_per_choice(wave1: Questionnaire) -> None:
    support = question(build_results(answers(wave1, rows())).to_json(), "support")

    assert support["n"] == 30
    assert support["counts"] == {"course": 30, "counselling": 0, "housing": 0, "job": 6}
    assert support["percent"]["job"] == 20.0


def test_numbers_have_n_mean_median_and_quartiles_but_no_extremes(wave1: Questionnaire) -> None:
    age = question(build_results(answers(wave1, rows())).to_json(), "age")
    expected = pd.Series(range(20, 64), dtype="float64")

    assert age["n"] == 44
    assert age["mean"] == pytest.approx(expected.mean())
    assert age["median"] == pytest.approx(expected.median())
    assert (age["q1"], age["q3"]) == (pytest.approx(expected.quantile(0.25)),
                                      pytest.approx(expected.quantile(0.75)))  # fmt: skip
    assert "min" not in age
    assert "max" not in age


def test_number_statistics_are_hidden_below_the_minimum(wave1: Questionnaire) -> None:
    few = [{"german_level": "a1", "employed": "yes", "hours": 30.0}] * 3
    hours = question(build_results(answers(wave1, few)).to_json(), "hours")

    assert hours["n"] is None
    assert hours["mean"] is None
    assert hours["median"] is None
    assert hours["q1"] is None


def test_a_mean_needs_the_minimum_and_quartiles_need_twenty_or_twice_the_minimum(
    wave1: Questionnaire,
) -> None:
    # k = 5: with 5 to 19 answers the mean is shown, but no quartile, which would be one
    # respondent's exact answer.
    for count, quartiles in ((5, False), (19, False), (20, True)):
        data = [{"german_level": "a1", "age": 20 + i} for i in range(count)]
        age = question(build_results(answers(wave1, data)).to_json(), "age")

        assert age["mean"] == pytest.approx(20 + (count - 1) / 2)
        assert (age["median"] is not None) is quartiles
        assert (age["q1"] is not None) is quartiles
        assert (age["q3"] is not None) is quartiles


def test_breakdown_columns_follow_the_same_rules_for_statistics(wave1: Questionnaire) -> None:
    data = [{"german_level": "a1", "age": 20 + i} for i in range(25)]
    data += [{"german_level": "b1", "age": 50 + i} for i in range(8)]
    data += [{"german_level": "b2", "age": 70 + i} for i in range(7)]

    by = question(build_results(answers(wave1, data), by="german_level").to_json(), "age")["by"]

    assert by["mean"]["a1"] == pytest.approx(32.0)
    assert by["median"]["a1"] == pytest.approx(32.0)
    assert by["mean"]["b1"] == pytest.approx(53.5)
    assert by["median"]["b1"] is None  # 8 < 20
    assert by["q1"]["b2"] is None


def test_text_shows_only_how_many_answered(wave1: Questionnaire) -> None:
    comment = question(build_results(answers(wave1, rows())).to_json(), "comment")

    assert comment["n"] == 7
    assert comment["counts"] == {}
    assert comment["mean"] is None


def test_dates_are_counted_in_year_bins_fixed_by_the_questionnaire(wave1: Questionnaire) -> None:
    data = rows()
    data[0]["arrived"] = "2009-05-01"  # one early answer must not move the first bin
    survey = SurveyAnswers("wave1", 1, wave1, answers(wave1, data).frame, reference_year=2026)

    arrived = question(build_results(survey).to_json(), "arrived")

    assert arrived["n"] == 12
    # Ten years up to the year the survey was first published, open at both ends.
    assert list(arrived["months"]) == ["-2017", *map(str, range(2018, 2026)), "2026-"]
    assert arrived["months"]["-2017"] is None  # one answer: hidden
    assert arrived["months"]["2024"] is None  # 11: hidden so that 1 cannot be worked out
    assert arrived["months"]["2025"] == 0


def test_date_bins_follow_the_constraint_when_it_names_years() -> None:
    question_ = Question(
        name="arrived",
        type=QuestionType.DATE,
        constraint=". >= date('2015-01-01') and . <= date('2024-12-31')",
    )

    assert date_bins(question_, 2026) == ("-2015", *map(str, range(2016, 2024)), "2024-")


def test_labels_come_in_the_requested_language(wave1: Questionnaire) -> None:
    english = build_results(answers(wave1, rows()), language="en").to_json()
    unknown = build_results(answers(wave1, rows()), language="xx").to_json()

    assert question(english, "german_level")["label"] == "How well do you speak German?"
    assert question(english, "german_level")["choices"]["b2"] == "B2 or better"
    assert question(unknown, "german_level")["label"] == "Wie gut sprechen Sie Deutsch?"


def test_responses_below_the_minimum_are_hidden(wave1: Questionnaire) -> None:
    data = build_results(answers(wave1, rows()[:3])).to_json()

    assert data["responses"] is None
    assert all(q["n"] is None for q in data["questions"])


def test_breakdown_tables_have_margins_and_a_column_for_missing_answers(
    wave1: Questionnaire,
) -> None:
    data = rows() * 2 + [{"age": 30, "employed": "no"}] * 5
    employed = question(
        build_results(answers(wave1, data), by="german_level").to_json(), "employed"
    )
    by = employed["by"]

    assert by["question"] == "german_level"
    assert by["columns"] == ["none", "a1", "a2", "b1", "b2", MISSING_COLUMN]
    assert by["total"] == 93
    assert by["counts"]["no"][MISSING_COLUMN] == 5
    assert by["counts"]["yes"]["b1"] == 20
    assert by["counts"]["no"]["b1"] == 20
    assert by["percent"]["yes"]["b1"] == 50.0
    assert by["totals"] == {"yes": 44, "no": 49}
    # a2 has 6 respondents, 3 and 3: both hidden, and partners so that they cannot be
    # worked out from the margins.
    assert by["counts"]["yes"]["a2"] is None
    assert by["counts"]["no"]["a2"] is None
    assert sum(x is None for x in by["counts"]["yes"].values()) >= 2


def test_a_breakdown_that_would_be_mostly_hidden_is_not_published(wave1: Questionnaire) -> None:
    # 30 respondents, 3 in each level and answer: every cell of the table is below 5.
    data = [
        {"german_level": level, "age": 30, "employed": employed}
        for level in ("none", "a1", "a2", "b1", "b2")
        for employed in ("yes", "no")
        for _ in range(3)
    ]

    results = build_results(answers(wave1, data), by="german_level").to_json()

    assert "by" not in question(results, "employed")
    assert question(results, "employed")["counts"] == {"yes": 15, "no": 15}


def test_breakdown_of_numbers_gives_statistics_per_column(wave1: Questionnaire) -> None:
    age = question(build_results(answers(wave1, rows()), by="german_level").to_json(), "age")

    assert age["by"]["n"]["b1"] == 20
    assert age["by"]["mean"]["b1"] == pytest.approx(sum(range(30, 50)) / 20)
    assert age["by"]["mean"]["a2"] is None
    assert age["by"]["counts"] == {}


def test_breakdown_needs_a_known_select_one_question(wave1: Questionnaire) -> None:
    with pytest.raises(UnknownQuestion, match="no question 'nope'"):
        build_results(answers(wave1, rows()), by="nope")
    with pytest.raises(NotABreakdownQuestion, match="select_one"):
        build_results(answers(wave1, rows()), by="support")


def test_wave_comparison_gives_percentage_point_changes_for_shared_questions(
    wave1: Questionnaire, wave2: Questionnaire
) -> None:
    later = [{"german_level": "b1", "employed": "yes"}] * 30 + [{"german_level": "a1"}] * 10
    data = build_results(answers(wave2, later), compare=answers(wave1, rows())).to_json()

    level = question(data, "german_level")["compare"]
    assert data["compare"] == {"survey": "wave1", "version": 1, "responses": 44}
    assert level["survey"] == "wave1"
    assert level["percent"]["b1"] == 45.5
    assert level["change"]["b1"] == pytest.approx(75.0 - 45.5)
    assert level["change"]["a2"] is None  # hidden in wave1
    # wave2 added a choice to `support`: not the same question any more.
    assert "compare" not in question(data, "support")


def test_only_waves_of_one_series_are_compared(wave1: Questionnaire, wave2: Questionnaire) -> None:
    """A question name shared by chance (the newcomer and the company survey both ask
    `german_level`) makes no comparison: the questionnaires' `series` must match."""
    other_series = wave1.model_copy(update={"id": "company", "series": "company"})
    no_series = wave1.model_copy(update={"id": "old", "series": None})

    with pytest.raises(NotAWave, match="'company' is not a wave of 'wave2'"):
        build_results(answers(wave2, rows()), compare=answers(other_series, rows()))
    with pytest.raises(NotAWave, match="'old' is not a wave of 'wave2'"):
        build_results(answers(wave2, rows()), compare=answers(no_series, rows()))
    with pytest.raises(NotAWave, match="the survey itself"):
        build_results(answers(wave2, rows()), compare=answers(wave2, rows()))
