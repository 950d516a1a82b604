"""Row-level exports of a survey with repeats, in KoboToolbox's "long" layout: the
responses' table as before with each repeat's number of entries and `_index` in front,
and one table per repeat, one row per entry, linked by `_parent_table_name` and
`_parent_index` (and `_submission__index` to the response), `_position` its place."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from analysis.export_layout import entries_paths
from survey_app.db.engine import Database
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.demo import store_demo_responses
from survey_app.services.exports import export_csv, export_xlsx
from tests.analysis.conftest import household, load, member, store_answers, variant

AMAL = member("Amal", 41, "head", works="yes", jobs=[{"job_title": "Köchin", "job_hours": 20}])
LINA = member("Lina", 4, "child")
OMAR = member("Omar", 38, "partner", works="yes", jobs=[{"job_title": "=1+1"}, {"job_title": "B"}])
SAMI = member("Sami", 70, "head", works="no")
HOUSEHOLDS = [household(AMAL, LINA, OMAR), {"childcare": "no"}, household(SAMI)]


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_csv_export_writes_a_file_per_repeat_beside_the_responses(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    output = tmp_path / "roster.csv"

    written = export_csv(db, "roster", output, language="en", chunk=2)  # entries across chunks

    assert written.responses == 3
    paths = written.paths
    assert paths == [output, tmp_path / "roster-members.csv", tmp_path / "roster-jobs.csv"]
    responses, members, jobs = (read_csv(path) for path in paths)
    assert [row["_index"] for row in responses] == ["1", "2", "3"]
    assert [row["Person [members]"] for row in responses] == ["3", "", "1"]
    assert list(members[0])[:5] == [
        "_index", "_parent_table_name", "_parent_index", "_submission__index", "_position",
    ]  # fmt: skip
    assert [
        (row["_index"], row["_parent_table_name"], row["_parent_index"], row["_position"])
        for row in members
    ] == [("1", "responses", "1", "1"), ("2", "responses", "1", "2"),
          ("3", "responses", "1", "3"), ("4", "responses", "3", "1")]  # fmt: skip
    assert [row["First name [member_name]"] for row in members] == ["Amal", "Lina", "Omar", "Sami"]
    assert [row["Age [age]"] for row in members] == ["41", "4", "38", "70"]
    assert [row["Relation to the head of household [relation]"] for row in members][:2] == [
        "Head of household", "Child",
    ]  # fmt: skip
    assert [
        (row["_parent_table_name"], row["_parent_index"], row["_submission__index"]) for row in jobs
    ] == [("members", "1", "1"), ("members", "3", "1"), ("members", "3", "1")]
    assert [row["Job [job_title]"] for row in jobs] == ["Köchin", "'=1+1", "B"]
    assert [row["_position"] for row in jobs] == ["1", "1", "2"]


def test_xlsx_export_has_a_sheet_per_repeat(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster, *HOUSEHOLDS)
    path = tmp_path / "roster.xlsx"

    assert export_xlsx(db, "roster", path, language="en", chunk=2).responses == 3

    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["responses", "members", "jobs"]
    rows = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    assert [len(rows[name]) for name in book.sheetnames] == [4, 5, 4]  # with the headers
    assert rows["responses"][0][0] == "_index"
    assert [row[0] for row in rows["responses"][1:]] == [1, 2, 3]
    header = rows["jobs"][0]
    titles = [row[header.index("Job [job_title]")] for row in rows["jobs"][1:]]
    assert titles == ["Köchin", "'=1+1", "B"]
    parents = [row[header.index("_parent_index")] for row in rows["jobs"][1:]]
    assert parents == [1, 3, 3]


def test_an_export_with_no_responses_still_has_every_tables_headers(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster)

    written = export_csv(db, "roster", tmp_path / "r.csv", language="en")

    assert written.responses == 0
    paths = written.paths
    header = paths[2].read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith('"_index","_parent_table_name","_parent_index"')
    assert '"Job [job_title]"' in header


def test_surveys_without_repeats_export_one_csv_as_before(db: Database, tmp_path: Path) -> None:
    wave1 = load("wave1")
    store_answers(db, wave1, {"age": 30})

    paths = export_csv(db, "wave1", tmp_path / "w.csv", language="en").paths

    assert paths == [tmp_path / "w.csv"]
    assert entries_paths(tmp_path / "w.csv", wave1) == {}
    assert "_index" not in read_csv(paths[0])[0]


def test_entries_follow_their_responses_when_versions_alternate(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    first = store_answers(db, roster, household(SAMI))
    store_answers(db, variant(roster, version="2"), household(AMAL, LINA))
    late = household(AMAL | {"member_name": "Eda"})
    store_answers(db, roster, late, version_id=first)  # an answer to version 1, late

    paths = export_csv(db, "roster", tmp_path / "r.csv", language="en").paths

    members = read_csv(paths[1])
    assert [(row["_parent_index"], row["First name [member_name]"]) for row in members] == [
        ("1", "Sami"), ("2", "Amal"), ("2", "Lina"), ("3", "Eda"),
    ]  # fmt: skip
    assert [row["_parent_index"] for row in read_csv(paths[2])] == ["2", "4"]


def test_every_member_of_stored_demo_households_is_exported_once(
    db: Database, roster: Questionnaire, tmp_path: Path
) -> None:
    store_answers(db, roster)
    store_demo_responses(db, "roster", 120, seed=5)

    paths = export_csv(db, "roster", tmp_path / "r.csv", language="en", chunk=50).paths

    responses, members, jobs = (read_csv(path) for path in paths)
    sizes = [
        int(row["How many people live in your household? [household_size]"]) for row in responses
    ]
    assert [int(row["Person [members]"]) for row in responses] == sizes
    assert len(members) == sum(sizes)
    assert len({(row["_parent_index"], row["_position"]) for row in members}) == len(members)
    working = [row for row in members if row["Does ${member_name} work? [works]"] == "Yes"]
    assert len(jobs) == sum(int(row["Job [jobs]"] or 0) for row in members)
    assert {row["_parent_index"] for row in jobs} <= {row["_index"] for row in working}
