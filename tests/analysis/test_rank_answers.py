"""Rankings in exports and results: row-level files carry one column with the choice
names in order separated by spaces (as KoboToolbox exports them); results count who
ranked each choice first and give each choice's mean place, with the suppression of
every other count (tests/fixtures/kinds.yaml)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from analysis.exports import results_csv, write_results_xlsx
from analysis.frames import choice_column, frame_from_texts
from analysis.labelled import write_labelled
from analysis.publication import Publication, plan_publication, publish, rank_key
from analysis.results import SurveyAnswers, build_results
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.conftest import texts, write_rows
from tests.conftest import FIXTURES

HELPFUL = "Welche Stelle hat Ihnen am meisten geholfen? [helpful]"


@pytest.fixture(scope="module")
def kinds() -> Questionnaire:
    result = load_questionnaire(FIXTURES / "kinds.yaml", working_groups=set())
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def frame_of(questionnaire: Questionnaire, rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    frame.insert(0, "version", 1)
    frame.insert(0, "language", "de")
    frame.insert(0, "submitted_on", "2026-03-05")
    return frame


def ranked(*orders: list[str]) -> list[dict[str, object]]:
    return [{"visits": 1, "satisfaction": 3, "helpful": order} for order in orders]


def test_a_ranking_is_a_place_per_choice_in_the_frame(kinds: Questionnaire) -> None:
    frame = frame_of(kinds, [*ranked(["beratung", "jobcenter"]), {"visits": 1}])
    places = {
        choice: frame[choice_column("helpful", choice)].tolist()
        for choice in ("jobcenter", "auslaenderbehoerde", "beratung")
    }
    assert places == {
        "jobcenter": [2, pd.NA],
        "auslaenderbehoerde": [pd.NA, pd.NA],
        "beratung": [1, pd.NA],
    }


def test_row_level_csv_carries_a_ranking_as_names_in_order(
    kinds: Questionnaire, tmp_path: Path
) -> None:
    answers = [*ranked(["beratung", "jobcenter", "auslaenderbehoerde"], ["jobcenter"]),
               {"visits": 2}]  # fmt: skip
    path = tmp_path / "responses.csv"

    write_rows(kinds, answers, path)

    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    assert [row[HELPFUL] for row in rows] == [
        "beratung jobcenter auslaenderbehoerde", "jobcenter", ""
    ]  # fmt: skip


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_spss_and_stata_carry_a_ranking_as_one_text_variable(
    kinds: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    path = tmp_path / f"responses.{file_format}"
    frame = frame_of(kinds, ranked(["beratung", "jobcenter"], ["auslaenderbehoerde"]))
    write_labelled([frame], kinds, "de", path, file_format)  # type: ignore[arg-type]
    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    found, _meta = read(str(path))
    assert list(found["helpful"]) == ["beratung jobcenter", "auslaenderbehoerde"]


def test_results_count_who_ranked_each_choice_first_and_its_mean_place(
    kinds: Questionnaire,
) -> None:
    orders = [["beratung", "jobcenter", "auslaenderbehoerde"]] * 12 + [
        ["jobcenter", "beratung", "auslaenderbehoerde"]
    ] * 8
    results = build_results(SurveyAnswers("kinds", 1, kinds, frame_of(kinds, ranked(*orders))))
    [helpful] = [q for q in results.questions if q.name == "helpful"]
    assert helpful.n == 20
    assert helpful.counts == {"jobcenter": 8, "auslaenderbehoerde": 0, "beratung": 12}
    assert helpful.percent["beratung"] == 60.0
    assert helpful.mean_rank == {"jobcenter": 1.6, "auslaenderbehoerde": 3.0, "beratung": 1.4}
    assert helpful.to_json()["mean_rank"]["beratung"] == 1.4
    written = results_csv(results)
    assert "helpful,rank," in written


def test_a_choice_ranked_first_by_fewer_than_min_cell_is_hidden_with_its_neighbour(
    kinds: Questionnaire,
) -> None:
    orders = [["beratung", "jobcenter"]] * 12 + [["jobcenter"]] * 2 + [["auslaenderbehoerde"]] * 6
    results = build_results(SurveyAnswers("kinds", 1, kinds, frame_of(kinds, ranked(*orders))))
    [helpful] = [q for q in results.questions if q.name == "helpful"]
    assert kinds.min_cell == 5
    # 2 ranked the job centre first: hidden, and so is the next smallest count of the
    # line, or the 2 could be worked out from n.
    assert helpful.counts["jobcenter"] is None
    assert helpful.counts["auslaenderbehoerde"] is None
    assert helpful.counts["beratung"] == 12
    assert helpful.suppressed


def test_a_mean_place_of_fewer_than_min_cell_rankings_is_not_shown(kinds: Questionnaire) -> None:
    orders = [["beratung"]] * 16 + [["jobcenter", "auslaenderbehoerde"]] * 4
    results = build_results(SurveyAnswers("kinds", 1, kinds, frame_of(kinds, ranked(*orders))))
    [helpful] = [q for q in results.questions if q.name == "helpful"]
    assert helpful.mean_rank["beratung"] == 1.0
    assert helpful.mean_rank["auslaenderbehoerde"] is None  # 4 ranked it, fewer than 5


def test_a_mean_place_that_would_give_away_a_small_count_of_a_place_is_not_shown(
    kinds: Questionnaire,
) -> None:
    # 3 people ranked the immigration office second: its mean place and the counts of
    # first places (and n) would give that 3 exactly.
    orders = (
        [["beratung", "jobcenter", "auslaenderbehoerde"]] * 14
        + [["jobcenter", "auslaenderbehoerde", "beratung"]] * 3
        + [["jobcenter", "beratung", "auslaenderbehoerde"]] * 6
    )
    results = build_results(SurveyAnswers("kinds", 1, kinds, frame_of(kinds, ranked(*orders))))
    [helpful] = [q for q in results.questions if q.name == "helpful"]
    assert helpful.mean_rank["auslaenderbehoerde"] is None
    assert helpful.mean_rank["jobcenter"] is not None  # 9 first, 14 second


def test_the_group_workbook_shows_a_choices_mean_place_beside_its_first_places(
    kinds: Questionnaire, tmp_path: Path
) -> None:
    orders = (
        [["beratung", "jobcenter", "auslaenderbehoerde"]] * 12
        + [["jobcenter"]] * 3
        + [["auslaenderbehoerde"]] * 6
    )
    results = build_results(SurveyAnswers("kinds", 1, kinds, frame_of(kinds, ranked(*orders))))
    path = tmp_path / "results.xlsx"
    write_results_xlsx(results, path)
    [sheet] = [s for s in load_workbook(path).worksheets if s["B2"].value == "helpful"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5, max_row=8)]
    assert rows[0] == ["Antwort", "Auf Platz 1", "%", "Mittlerer Platz", "Hinweis"]
    by_label = {row[0]: row for row in rows[1:]}
    assert by_label["Migrationsberatung"][1:4] == [12, pytest.approx(0.571), 1.0]
    # 3 ranked the job centre first: hidden (and so the next smallest count, or the 3
    # could be worked out); its mean place (12 at 2nd, 3 at 1st: 1.8) is hidden too, as
    # it gives the 3 back to anyone who knows that 15 ranked it.
    assert by_label["Jobcenter"][1] is None
    assert by_label["Jobcenter"][3] is None
    assert by_label["Jobcenter"][4] == "nicht ausgewiesen"


def test_a_mean_place_is_hidden_where_the_newcomers_placed_the_choice_a_few_times(
    kinds: Questionnaire,
) -> None:
    # Both releases have at least 5 of every place, but between them 3 newcomers placed
    # the counselling service third: its two means (with the counts behind them) would
    # give those 3 away. The job centre gained 13 second places: its mean stays.
    first = frame_of(
        kinds,
        ranked(
            *[["beratung", "jobcenter", "auslaenderbehoerde"]] * 10,
            *[["jobcenter", "beratung", "auslaenderbehoerde"]] * 10,
            *[["auslaenderbehoerde", "beratung", "jobcenter"]] * 10,
            *[["jobcenter", "auslaenderbehoerde", "beratung"]] * 10,
        ),
    )
    added = frame_of(
        kinds,
        ranked(
            *[["beratung", "jobcenter", "auslaenderbehoerde"]] * 10,
            *[["auslaenderbehoerde", "jobcenter", "beratung"]] * 3,
        ),
    )
    plan = plan_publication(kinds, groups=[None], reference_year=2026)
    earlier = publish(plan, [first]).publication

    later = publish(plan, [first, added], [earlier]).publication
    alone = publish(plan, [pd.concat([first, added], ignore_index=True)]).publication

    def mean(publication: Publication, choice: str) -> float | None:
        return publication.statistics[rank_key("helpful", choice)]["mean"]

    assert mean(earlier, "beratung") is not None
    assert mean(alone, "beratung") is not None
    assert mean(later, "beratung") is None
    assert mean(later, "jobcenter") is not None
