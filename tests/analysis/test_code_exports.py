"""The row-level CSV and XLSX with the form's codes (`values="codes"`, Kobo's "XML values
and headers"): headers are the questions' names, a `select_one` is its choice's name as
the form wrote it, a `select_multiple` the chosen names separated by spaces and a 1/0
column per choice, `question/choice`. Both formats are written from the same tables
(`tests/analysis/test_csv_export.py`); here what they hold."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from survey_app.db.engine import Database
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.exports import export_csv, export_xlsx
from tests.analysis.conftest import load, store_answers, variant
from tests.conftest import FIXTURES

LEVELS = ["01", "-1", "=cmd", "no-school", "b2"]
SUPPORT = ["1", "-99", "@x", "job"]


def coded() -> Questionnaire:
    """wave1 with choice names as forms write them: leading zeros, negative numbers,
    hyphens, and names a spreadsheet would evaluate."""
    wave1 = load("wave1")
    choices = wave1.to_definition()["choices"]
    levels = [c | {"name": name} for c, name in zip(choices["level"], LEVELS, strict=True)]
    support = [c | {"name": name} for c, name in zip(choices["support"], SUPPORT, strict=True)]
    return variant(wave1, choices=choices | {"level": levels, "support": support})


def rows(db: Database, tmp_path: Path) -> list[dict[str, str]]:
    written = export_csv(db, "wave1", tmp_path / "codes.csv", values="codes")
    text = written.paths[0].read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def stored(db: Database, *answers: dict[str, Any]) -> None:
    store_answers(db, coded(), *answers)


def test_headers_are_the_question_names_with_a_column_per_choice(
    db: Database, tmp_path: Path
) -> None:
    stored(db, {"german_level": "01"})

    [row] = rows(db, tmp_path)

    assert list(row) == [
        *("submitted_on", "language", "version", "status"),
        *("german_level", "age", "arrived", "employed", "hours"),
        *("support", *(f"support/{name}" for name in SUPPORT)),
        "comment",
    ]


def test_a_select_one_is_its_choice_name_as_the_form_wrote_it(db: Database, tmp_path: Path) -> None:
    stored(db, {"german_level": "01"}, {"german_level": "no-school"}, {"german_level": "b2"}, {})

    assert [row["german_level"] for row in rows(db, tmp_path)] == ["01", "no-school", "b2", ""]


def test_a_selection_is_its_names_in_the_forms_order_and_a_tick_per_choice(
    db: Database, tmp_path: Path
) -> None:
    stored(db, {"support": ["job", "1"]}, {"support": ["gone"]}, {"support": []}, {})

    found = rows(db, tmp_path)

    assert [row["support"] for row in found] == ["1 job", "", "", ""]
    assert [row["support/1"] for row in found] == ["1", "0", "", ""]
    assert [row["support/job"] for row in found] == ["1", "0", "", ""]
    assert [row["support/-99"] for row in found] == ["0", "0", "", ""]


def test_codes_that_are_numbers_stay_as_they_are_and_others_cannot_become_formulas(
    db: Database, tmp_path: Path
) -> None:
    stored(
        db,
        {"german_level": "-1", "support": ["-99", "1"], "comment": "-1"},
        {"german_level": "=cmd", "support": ["@x"], "comment": "=HYPERLINK(1)"},
        {"support": ["-99", "@x"]},
    )

    found = rows(db, tmp_path)

    assert [row["german_level"] for row in found] == ["-1", "'=cmd", ""]
    # Numbers and a name a spreadsheet would evaluate: the whole cell is text.
    assert [row["support"] for row in found] == ["1 -99", "'@x", "'-99 @x"]
    # Free text is text whatever it looks like.
    assert [row["comment"] for row in found] == ["'-1", "'=HYPERLINK(1)", ""]


def test_the_workbook_has_the_same_codes_as_text_cells(db: Database, tmp_path: Path) -> None:
    stored(db, {"german_level": "01", "support": ["-99"], "age": 30}, {"german_level": "=cmd"})
    path = tmp_path / "codes.xlsx"

    assert export_xlsx(db, "wave1", path, values="codes").responses == 2

    sheet = load_workbook(path, read_only=True)["responses"]
    header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    found = [dict(zip(header, row, strict=True)) for row in cells]
    assert [row["german_level"] for row in found] == ["01", "'=cmd"]
    assert [row["support"] for row in found] == ["-99", None]
    assert [row["support/-99"] for row in found] == [1, None]
    assert found[0]["age"] == 30


def test_a_ranking_of_number_codes_stays_as_it_is(db: Database, tmp_path: Path) -> None:
    kinds = load_questionnaire(FIXTURES / "kinds.yaml", working_groups={"arbeit", "sprache"})
    assert kinds.questionnaire is not None
    choices = kinds.questionnaire.to_definition()["choices"]
    offices = [
        c | {"name": name} for c, name in zip(choices["offices"], ["-1", "2", "=x"], strict=True)
    ]
    store_answers(
        db,
        variant(kinds.questionnaire, choices=choices | {"offices": offices}),
        {"helpful": ["2", "-1"]},
        {"helpful": ["=x", "2"]},
    )

    written = export_csv(db, "kinds", tmp_path / "codes.csv", values="codes")

    text = written.paths[0].read_text(encoding="utf-8-sig")
    assert [row["helpful"] for row in csv.DictReader(io.StringIO(text))] == ["2 -1", "'=x 2"]
