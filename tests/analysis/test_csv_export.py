"""The row-level export is one set of Arrow tables (`analysis.csv_export.export_tables`)
written as CSV (`services.exports.export_csv`, what `survey-app export --format csv`
runs and the office downloads) and as XLSX (`services.exports.export_xlsx`): over demo
responses of every shipped and fixture questionnaire, several seeds, languages and chunk
sizes, and over hand-made answers that stress the edges (formulas, impossible dates, a
question whose type changed between versions, excluded responses, no responses at all),
with labels and with the form's codes (`values="codes"`), the CSV read in chunks is byte
for byte the CSV read at once, and the workbook holds the CSV's cells sheet for sheet."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from analysis.export_layout import ExportValues
from survey_app.db.engine import Database
from survey_app.db.tables import Submission
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.demo import store_demo_responses
from survey_app.services.exports import export_csv, export_xlsx
from survey_app.services.surveys import publish_directory
from tests.analysis.conftest import household, load, member, store_answers, variant
from tests.conftest import FIXTURES, QUESTIONNAIRES

# Characters XML cannot hold: the workbook drops them.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def exported(
    db: Database,
    survey: str,
    tmp_path: Path,
    *,
    language: str | None = None,
    chunk: int = 50_000,
    values: ExportValues = "labels",
) -> list[bytes]:
    """The CSV files of a survey's export read `chunk` responses at a time, once checked
    to be the files read at once and the cells of the workbook."""
    chunked = export_csv(
        db, survey, tmp_path / "chunked.csv", language=language, chunk=chunk, values=values
    )
    at_once = export_csv(db, survey, tmp_path / "at-once.csv", language=language, values=values)
    files = [path.read_bytes() for path in chunked.paths]
    assert files == [path.read_bytes() for path in at_once.paths]
    workbook = tmp_path / "rows.xlsx"
    export_xlsx(db, survey, workbook, language=language, chunk=chunk, values=values)
    assert differing_cells(files, workbook) == []
    return files


def differing_cells(files: list[bytes], workbook: Path) -> list[tuple[int, int, int, Any, Any]]:
    """The cells where the workbook's sheets differ from the CSV files, in order (sheet,
    row, column, CSV, XLSX): a number must be the same number, a text the same text but
    for what XML cannot hold (control characters; a carriage return may read back as a
    line feed), an empty cell empty."""
    book = load_workbook(workbook, read_only=True)
    differing = []
    for number, (data, sheet) in enumerate(zip(files, book.worksheets, strict=True)):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert len(cells) == len(rows)
        for line, (texts, values) in enumerate(zip(rows, cells, strict=True)):
            for column, (text, value) in enumerate(zip(texts, values, strict=True)):
                if isinstance(value, int | float):
                    same = float(text) == value
                else:
                    shown = _NOT_IN_XML.sub("", text).replace("\r", "\n")
                    same = str(value or "").replace("\r", "\n") == shown
                if not same:
                    differing.append((number, line, column, text, value))
    return differing


def fixture(name: str) -> Questionnaire:
    result = load_questionnaire(FIXTURES / f"{name}.yaml", working_groups={"arbeit", "sprache"})
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


@pytest.mark.parametrize(
    ("survey", "seed", "language", "chunk"),
    [
        ("newcomer", 1, None, 50_000),
        ("newcomer", 2, "ar", 70),
        ("newcomer", 3, "en", 200),
        ("company", 1, None, 50_000),
        ("company", 4, "en", 90),
    ],
)
def test_demo_responses_of_the_shipped_surveys_export_alike_in_every_format(
    db: Database, tmp_path: Path, survey: str, seed: int, language: str | None, chunk: int
) -> None:
    publish_directory(db, QUESTIONNAIRES)
    store_demo_responses(db, survey, 250, seed=seed)

    files = exported(db, survey, tmp_path, language=language, chunk=chunk)

    assert len(files[0].splitlines()) == 251


@pytest.mark.parametrize(
    ("name", "seed", "values"),
    [
        ("kinds", 1, "labels"),
        ("kinds", 7, "labels"),
        ("moments", 2, "labels"),
        ("kinds", 3, "codes"),
    ],
)
def test_demo_responses_of_every_kind_export_alike_in_every_format(
    db: Database, tmp_path: Path, name: str, seed: int, values: ExportValues
) -> None:
    store_answers(db, fixture(name))
    store_demo_responses(db, name, 300, seed=seed)

    files = exported(db, name, tmp_path, chunk=130, values=values)

    assert len(files[0].splitlines()) == 301


def test_rankings_given_oddly_are_their_known_names_each_at_its_last_place(
    db: Database, tmp_path: Path
) -> None:
    kinds = fixture("kinds")
    offices = [c.name for c in kinds.choices_of(kinds.all_questions["helpful"])]
    store_answers(
        db,
        kinds,
        {"helpful": [offices[1], offices[0]]},
        {"helpful": [offices[0], "gone", offices[2], offices[0]]},  # unknown, given twice
        {"helpful": []},
        {"helpful": "not a list"},
        {},
    )

    [responses] = exported(db, "kinds", tmp_path)

    rows = csv.DictReader(io.StringIO(responses.decode("utf-8-sig")))
    rankings = [row["Welche Stelle hat Ihnen am meisten geholfen? [helpful]"] for row in rows]
    assert rankings == [f"{offices[1]} {offices[0]}", f"{offices[2]} {offices[0]}", "", "", ""]


@pytest.mark.parametrize(
    ("seed", "chunk", "values"), [(5, 50_000, "labels"), (6, 40, "labels"), (8, 40, "codes")]
)
def test_households_export_their_entries_alike_in_every_format(
    db: Database,
    roster: Questionnaire,
    tmp_path: Path,
    seed: int,
    chunk: int,
    values: ExportValues,
) -> None:
    amal = member("Amal", 41, "head", works="yes", jobs=[{"job_title": "=1+1", "job_hours": 20}])
    first = store_answers(db, roster, household(amal), {"childcare": "no"})
    store_demo_responses(db, "roster", 150, seed=seed)
    # A second version, then a late answer to the first: entries must follow their rows.
    store_answers(
        db, variant(roster, version="2"), household(member("Lina", 34, "head", works="no"))
    )
    store_answers(
        db, roster, household(amal, member("Omar", 38, "partner", works="no")), version_id=first
    )

    files = exported(db, "roster", tmp_path, language="en", chunk=chunk, values=values)

    assert len(files) == 3


def retyped(questionnaire: Questionnaire, version: str, **types: str) -> Questionnaire:
    """`questionnaire` as an earlier version that asked some questions as other types."""
    definition: dict[str, Any] = questionnaire.to_definition()
    for page in definition["pages"]:
        for question in page["questions"]:
            if question["name"] in types:
                question["type"] = types[question["name"]]
                question.pop("constraint", None)
                if question["type"] in ("text", "integer", "date"):
                    question.pop("choices", None)
    return Questionnaire.model_validate(definition | {"version": version})


def test_awkward_answers_and_changed_types_export_alike_in_every_format(
    db: Database, tmp_path: Path
) -> None:
    wave1 = load("wave1")
    earlier = retyped(
        wave1, "2024", age="text", hours="text", support="select_one", german_level="text"
    )
    old_version = store_answers(
        db,
        earlier,
        {"age": "42", "hours": "3.5", "support": "job", "german_level": "b1"},
        {"age": " 7 ", "hours": "abc", "support": "gone", "german_level": "=cmd"},
        {"age": "4.5", "hours": "1e3", "german_level": "-1"},
    )
    store_answers(
        db,
        wave1,
        {"age": 30, "hours": 12.25, "arrived": "2021-02-29", "comment": "=HYPERLINK(1)"},
        {"age": 2.5, "hours": -0.1, "arrived": "2024-1-5", "comment": "+49 170", "support": []},
        {"age": 1e15, "arrived": "2024-12-31", "comment": 'line\r\nbreak "quoted" \t@x'},
        {"german_level": "c9", "support": ["job", "job", "gone"], "comment": ""},
        {},
    )
    store_answers(db, earlier, {"age": "99", "support": "course"}, version_id=old_version)
    with db.write() as session:
        session.execute(update(Submission).where(Submission.id == 2).values(status="excluded"))

    for language, values in (("de", "labels"), ("en", "labels"), ("de", "codes")):
        exported(db, "wave1", tmp_path, language=language, chunk=4, values=values)


@pytest.mark.parametrize("values", ["labels", "codes"])
def test_a_survey_without_responses_exports_every_tables_headers(
    db: Database, roster: Questionnaire, tmp_path: Path, values: ExportValues
) -> None:
    store_answers(db, roster)

    files = exported(db, "roster", tmp_path, values=values)

    assert all(len(table.splitlines()) == 1 for table in files)
