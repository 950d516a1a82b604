"""A roster's counted questions in the results workbook (XLSX) and the slides (PPTX):
one sheet and one slide per counted question ("Person: Geschlecht"), not one per
derived question, with per choice the households with at least one such person, the
persons, and the households by number of such persons; hidden numbers as elsewhere in
these files (an empty cell with a comment and "nicht ausgewiesen"; "·" on a slide).

The roster's households are those of `test_entry_counts`, counted there by hand:
  female: 26 households with one, 5 answered without: 26 persons
  male:   10 with two, 10 with one, 11 without: 30 persons
  diverse: 4 with one, 1 with two, 26 without: hidden (they would pin the one with two)
  child: 10 with two, 6 with one, 20 without: 26 persons
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pptx import Presentation

from analysis.exports import write_results_xlsx
from analysis.key_figures import key_figures
from analysis.results import Results
from analysis.slides import results_pptx
from survey_app.db.engine import Database
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.live_results import survey_results
from survey_app.services.released import release_results
from survey_app.services.releases import release_create
from tests.analysis.conftest import store_answers
from tests.analysis.test_entry_counts import HOUSEHOLDS, results_of
from tests.analysis.test_slides import TEXTS

SEX = "Person: Geschlecht – Antworten mit mindestens einem solchen Eintrag"
RELATION = (
    "Person: Beziehung zum Haushaltsvorstand – Antworten mit mindestens einem solchen Eintrag"
)
HEADER = [
    "Antwort",
    "Antworten mit mindestens einem solchen Eintrag",
    "%",
    "Einträge (zum Beispiel Personen)",
    "0",
    "1",
    "2",
    "Hinweis",
]


def sheet_of(results: Results, tmp_path: Path, label: str) -> Any:
    path = tmp_path / "results.xlsx"
    write_results_xlsx(results, path)
    book = load_workbook(path)
    return next(sheet for sheet in book.worksheets if sheet["A1"].value == label)


def table(sheet: Any) -> list[list[Any]]:
    """The sheet's table: its header (row 5) and a row per choice, up to the empty row."""
    rows = []
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if row[0] is None:
            break
        rows.append(list(row))
    return rows


def test_a_counted_question_is_one_sheet_with_households_persons_and_households_by_persons(
    roster: Questionnaire, tmp_path: Path
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}], language="de")

    sheet = sheet_of(results, tmp_path, SEX)

    assert sheet["B3"].value == 31  # households that gave a sex for some member
    assert sheet["E4"].value == "Antworten nach Zahl solcher Einträge"
    rows = table(sheet)
    assert rows[0] == HEADER
    assert [row[:2] + row[3:] for row in rows[1:]] == [
        ["weiblich", 26, 26, 5, 26, 0, None],
        ["männlich", 20, 30, 11, 10, 10, None],
        ["divers", 5, None, 26, None, None, "nicht ausgewiesen"],
    ]
    assert rows[2][2] == 0.645  # a real percentage (64.5 % of 31), not text
    assert sheet["C7"].number_format == "0.0%"
    assert len(sheet._charts) == 1  # households per choice, as for a choice question


def test_hidden_persons_and_households_are_empty_cells_with_a_comment(
    roster: Questionnaire, tmp_path: Path
) -> None:
    sheet = sheet_of(results_of(roster, [*HOUSEHOLDS, {}], language="de"), tmp_path, SEX)

    diverse = [sheet.cell(8, column) for column in range(1, 9)]
    assert diverse[0].value == "divers"
    commented = [cell.coordinate for cell in diverse if cell.comment is not None]
    assert commented == ["D8", "F8", "G8"]  # the persons, 1 and 2 households
    assert all(sheet[c].value is None for c in commented)
    assert "nicht ausgewiesen" in sheet["D8"].comment.text


def test_no_sheet_or_slide_of_its_own_for_a_derived_count_question(
    roster: Questionnaire, tmp_path: Path
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}], language="de")
    path = tmp_path / "results.xlsx"

    write_results_xlsx(results, path)
    slides = Presentation(io.BytesIO(results_pptx(results, TEXTS))).slides

    labels = [sheet["A1"].value for sheet in load_workbook(path).worksheets[1:]]
    titles = [slide.shapes.title.text for slide in slides if slide.shapes.title is not None]
    for shown in (labels, titles):
        assert SEX in shown
        assert RELATION in shown
        assert not [x for x in shown if "nach Zahl solcher Einträge" in x], shown


def test_the_workbook_shows_what_the_json_results_of_the_same_publication_show(
    roster: Questionnaire, tmp_path: Path
) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}], language="de")
    data = {q["name"]: q for q in results.to_json()["questions"]}

    for name, label in (("sex__in_members", SEX), ("relation__in_members", RELATION)):
        rows = table(sheet_of(results, tmp_path, label))[1:]
        choices = list(results.questions[[q.name for q in results.questions].index(name)].choices)
        for choice, row in zip(choices, rows, strict=True):
            assert row[1] == data[name]["counts"][choice]
            assert row[3] == data[name]["entries"][choice]
            by_number = data[f"{name}__{choice}"]["counts"]
            assert row[4 : 4 + len(by_number)] == list(by_number.values())
            assert all(x == 0 for x in row[4 + len(by_number) : 7]), row  # rows left out


def slide_table(results: Results, title: str) -> tuple[list[list[str]], str]:
    """The table of the slide titled `title`, and the slide's other texts."""
    deck = Presentation(io.BytesIO(results_pptx(results, TEXTS)))
    slide = next(s for s in deck.slides if s.shapes.title and s.shapes.title.text == title)
    grid = next(shape.table for shape in slide.shapes if shape.has_table)
    texts = "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
    return [[cell.text for cell in row.cells] for row in grid.rows], texts


def test_a_counted_question_is_one_slide_with_hidden_numbers_marked(
    roster: Questionnaire,
) -> None:
    rows, texts = slide_table(results_of(roster, [*HOUSEHOLDS, {}]), SEX)

    assert rows[1][4:] == ["0", "1", "2"]
    assert rows[2:] == [
        ["weiblich", "26", "83.9%", "26", "5", "26", "0"],
        ["männlich", "20", "64.5%", "30", "11", "10", "10"],
        ["divers", "5", "16.1%", "·", "26", "·", "·"],
    ]
    assert "Responses: 31" in texts
    assert "3 values are not shown." in texts


def test_a_release_shows_the_persons_in_workbook_and_slides(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    release_create(db, "roster", actor="lea")

    found = release_results(db, "roster")

    rows = table(sheet_of(found, tmp_path, RELATION))
    assert [row[:2] + row[3:7] for row in rows[1:]] == [
        ["Haushaltsvorstand", 36, 36, 0, 36, 0],
        ["Partner/in", 10, 10, 26, 10, 0],
        ["Kind", 16, 26, 20, 6, 10],
        ["Andere", 0, 0, 36, 0, 0],
    ]
    slide_rows, _texts = slide_table(found, SEX)
    assert slide_rows[4] == ["divers", "5", "16.1%", "·", "26", "·", "·"]


def test_live_results_show_the_persons_in_workbook_and_slides(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)

    found = survey_results(db, "roster")

    rows = table(sheet_of(found, tmp_path, SEX))
    assert [row[3] for row in rows[1:]] == [26, 30, None]
    slide_rows, _texts = slide_table(found, RELATION)
    assert slide_rows[4] == ["Kind", "16", "44.4%", "26", "20", "6", "10"]


def test_households_by_number_of_persons_are_no_key_figures(roster: Questionnaire) -> None:
    results = results_of(roster, [*HOUSEHOLDS, {}], language="de")

    questions = [figure.question for figure in key_figures(results)]

    assert SEX in questions
    assert not [q for q in questions if "nach Zahl solcher Einträge" in q], questions
