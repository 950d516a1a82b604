"""`survey-app results`, `export` and `demo`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyreadstat
import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from analysis.publication_format import Publication
from analysis.results import Results
from analysis.results_tables import results_csv, results_text
from survey_app.db.engine import Database
from survey_app.db.tables import Release
from survey_app.services.released import release_results
from tests.analysis.conftest import (
    QUESTIONNAIRES,
    WAVE1_SHEETS,
    household,
    member,
    read_roster,
    store_answers,
)
from tests.cli import Ran, survey_app
from tests.conftest import empty_database


def environment(database_url: str, directory: Path) -> dict[str, str]:
    return {
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_QUESTIONNAIRES": str(QUESTIONNAIRES),
        "SURVEY_VAR_DIR": str(directory / "var"),
    }


def run(env: dict[str, str], *args: str) -> Ran:
    return survey_app(env, *args)


@pytest.fixture(scope="session")
def demo(
    tmp_path_factory: pytest.TempPathFactory, database_under_test: str | None
) -> Iterator[dict[str, str]]:
    """400 demo responses to wave1, stored by `survey-app demo` once per test process:
    the tests only read them (one adds a second survey, wave2)."""
    directory = tmp_path_factory.mktemp("cli-demo")
    with empty_database(directory) as database_url:
        env = environment(database_url, directory)
        done = run(env, "demo", "wave1", "--responses", "400", "--seed", "1")
        assert done.returncode == 0, done.stderr
        assert "stored 400 demo responses for wave1" in done.stderr
        yield env


def test_results_prints_the_json_of_a_working_group(demo: dict[str, str]) -> None:
    done = run(demo, "results", "wave1", "--group", "arbeit", "--lang", "en")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["survey"], data["group"], data["responses"]) == ("wave1", "arbeit", 400)
    assert [q["name"] for q in data["questions"]] == ["german_level", "age", "employed", "hours"]
    assert data["questions"][0]["label"] == "How well do you speak German?"


def test_results_table_and_csv_formats(demo: dict[str, str]) -> None:
    table = run(demo, "results", "wave1", "--format", "table", "--by", "employed")
    rows = run(demo, "results", "wave1", "--format", "csv")

    assert table.returncode == 0, table.stderr
    assert "german_level: Wie gut sprechen Sie Deutsch?" in table.stdout
    assert "by employed:" in table.stdout
    parsed = list(csv.DictReader(io.StringIO(rows.stdout)))
    assert {row["question"] for row in parsed} >= {"german_level", "age", "support"}


def test_results_compare_sets_two_waves_side_by_side(demo: dict[str, str]) -> None:
    assert run(demo, "demo", "wave2", "--responses", "200", "--seed", "2").returncode == 0

    done = run(demo, "results", "wave2", "--compare", "wave1")

    data = json.loads(done.stdout)
    assert data["compare"]["responses"] == 400
    assert "change" in data["questions"][0]["compare"]


def test_demo_makes_an_earlier_wave_to_compare_with(
    tmp_path: Path, database_under_test: str | None
) -> None:
    with empty_database(tmp_path) as database_url:
        env = environment(database_url, tmp_path)
        done = run(env, "demo", "wave1", "--responses", "100", "--earlier-wave")

        assert done.returncode == 0, done.stderr
        assert "100 demo responses for wave1-demo-earlier, an earlier wave of wave1" in done.stderr
        compared = json.loads(
            run(env, "results", "wave1", "--compare", "wave1-demo-earlier").stdout
        )
        assert compared["compare"]["responses"] == 100
        wrong = run(env, "demo", "wave1", "--remove", "--earlier-wave")
        assert wrong.returncode == 2
        assert "survey-app demo wave1-demo-earlier --remove" in wrong.stderr


UNKNOWN = [
    (["results", "nope"], "error: no survey 'nope'"),
    (["results", "wave1", "--group", "nope"], "error: no working group 'nope'"),
    (["results", "wave1", "--by", "nope"], "error: survey 'wave1' has no question 'nope'"),
    (["results", "wave1", "--by", "age"], "breakdowns need a select_one question"),
    (["results", "wave1", "--compare", "nope"], "error: no survey 'nope'"),
    (["export", "nope", "--format", "csv", "--output", "x.csv"], "error: no survey 'nope'"),
]


def test_unknown_names_exit_2_with_a_message(demo: dict[str, str]) -> None:
    for args, message in UNKNOWN:
        done = run(demo, *args)

        assert done.returncode == 2, args
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_export_writes_row_level_csv_and_xlsx(demo: dict[str, str], tmp_path: Path) -> None:
    done = run(demo, "export", "wave1", "--format", "csv", "--output", str(tmp_path / "a.csv"))
    xlsx = run(demo, "export", "wave1", "--format", "xlsx", "--output", str(tmp_path / "a.xlsx"))

    assert done.returncode == 0, done.stderr
    assert xlsx.returncode == 0, xlsx.stderr
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 400
    assert rows[0]["version"] == "1"
    sheet = load_workbook(tmp_path / "a.xlsx", read_only=True).active
    assert sheet is not None
    assert sum(1 for _row in sheet.iter_rows()) == 401


def test_export_with_codes_writes_the_forms_names_and_choice_codes(
    demo: dict[str, str], tmp_path: Path
) -> None:
    levels = {"none", "a1", "a2", "b1", "b2"}
    support = ["course", "counselling", "housing", "job"]

    done = run(demo, "export", "wave1", "--format", "csv", "--values", "codes",
               "--output", str(tmp_path / "c.csv"))  # fmt: skip
    xlsx = run(demo, "export", "wave1", "--format", "xlsx", "--values", "codes",
               "--output", str(tmp_path / "c.xlsx"))  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert xlsx.returncode == 0, xlsx.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text("utf-8-sig"))))
    assert len(rows) == 400
    assert {row["german_level"] for row in rows} == levels
    for row in rows:
        ticked = [name for name in support if row[f"support/{name}"] == "1"]
        assert row["support"].split() == ticked
    sheet = load_workbook(tmp_path / "c.xlsx", read_only=True).active
    assert sheet is not None
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert list(header) == list(rows[0])
    assert [cell[header.index("german_level")] for cell in cells] == [
        row["german_level"] for row in rows
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "sav", "--output", "x.sav"],
        ["--format", "csv", "--group", "arbeit", "--output", "x.csv"],
    ],
)
def test_codes_are_for_the_row_level_csv_and_xlsx(demo: dict[str, str], args: list[str]) -> None:
    done = run(demo, "export", "wave1", "--values", "codes", *args)

    assert done.returncode == 2
    assert "--values codes is for the row-level CSV and XLSX" in done.stderr


def test_export_writes_spss_and_stata_files_with_labels(
    demo: dict[str, str], tmp_path: Path
) -> None:
    import pyreadstat

    sav = run(demo, "export", "wave1", "--format", "sav", "--output", str(tmp_path / "a.sav"))
    dta = run(demo, "export", "wave1", "--format", "dta", "--lang", "en",
              "--output", str(tmp_path / "a.dta"))  # fmt: skip

    assert sav.returncode == 0, sav.stderr
    assert dta.returncode == 0, dta.stderr
    spss, spss_meta = pyreadstat.read_sav(str(tmp_path / "a.sav"))
    stata, stata_meta = pyreadstat.read_dta(str(tmp_path / "a.dta"))
    assert len(spss) == len(stata) == 400
    assert spss_meta.variable_value_labels["german_level"][5] == "B2 oder besser"
    assert stata_meta.variable_value_labels["german_level"][5] == "B2 or better"


def test_export_of_a_group_writes_the_aggregated_workbook(
    demo: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "arbeit.xlsx"

    done = run(
        demo, "export", "wave1", "--group", "arbeit", "--format", "xlsx", "--output", str(path)
    )

    assert done.returncode == 0, done.stderr
    assert load_workbook(path).sheetnames == WAVE1_SHEETS


def test_export_of_a_group_as_csv_for_german_excel(demo: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "arbeit.csv"

    done = run(
        demo, "export", "wave1", "--group", "arbeit", "--format", "csv", "--excel-de",
        "--output", str(path),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("Frage;Typ;Fragetext;n;")
    rows = run(demo, "export", "wave1", "--format", "csv", "--excel-de", "--output", str(path))
    assert rows.returncode == 2
    assert "--excel-de is for the aggregated CSV" in rows.stderr


@pytest.fixture(scope="module")
def released(
    tmp_path_factory: pytest.TempPathFactory, database_under_test: str | None
) -> Iterator[dict[str, str]]:
    """200 demo responses to wave1 and its first release, in a database of their own."""
    directory = tmp_path_factory.mktemp("cli-release")
    with empty_database(directory) as database_url:
        env = environment(database_url, directory)
        assert run(env, "demo", "wave1", "--responses", "200", "--seed", "3").returncode == 0
        done = run(env, "release", "wave1")
        assert done.returncode == 0, done.stderr
        yield env


def stored_publication(env: dict[str, str]) -> Publication:
    db = Database(env["SURVEY_DATABASE_URL"])
    try:
        with db.read() as session:
            text = session.execute(
                select(col(Release.publication)).where(col(Release.survey_id) == "wave1")
            ).scalar_one()
    finally:
        db.dispose()
    return Publication.loads(text)


def test_results_of_a_release_show_the_numbers_it_stored(released: dict[str, str]) -> None:
    publication = stored_publication(released)

    done = run(released, "results", "wave1", "--release", "1", "--group", "arbeit")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["release"]["number"] == 1
    assert data["responses"] == publication.get("responses")
    select_questions = [q for q in data["questions"] if q["type"] == "select_one"]
    assert select_questions
    for question in select_questions:
        assert question["n"] == publication.get(f"n|{question['name']}")
        assert question["counts"] == {
            choice: publication.get(f"count|{question['name']}|{choice}")
            for choice in question["choices"]
        }


@pytest.mark.parametrize(
    ("output_format", "formatted"), [("table", results_text), ("csv", results_csv)]
)
def test_results_of_a_release_as_table_and_csv_are_what_the_pages_are_built_from(
    released: dict[str, str], output_format: str, formatted: Callable[[Results], str]
) -> None:
    db = Database(released["SURVEY_DATABASE_URL"])
    try:
        found = release_results(db, "wave1", group="arbeit", by="employed", language="en")
    finally:
        db.dispose()

    done = run(
        released, "results", "wave1", "--release", "1", "--group", "arbeit", "--by", "employed",
        "--lang", "en", "--format", output_format,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    # click's test runner reads the CSV's CRLF line ends as LF.
    assert done.stdout == formatted(found).replace("\r\n", "\n")


IMPORTS_PROBE = """
import sys

from survey_app.cli import main

heavy, *calls = sys.argv[1:]
for arguments in calls:
    try:
        main(arguments.split())
    except SystemExit as ended:
        assert not ended.code, (arguments, ended.code)
print("loaded:", ",".join(name for name in heavy.split(",") if name in sys.modules))
"""


def loaded_by(env: dict[str, str], heavy: str, *calls: str) -> str:
    """The modules of `heavy` (comma-separated) loaded by `survey-app` `calls` (each a
    command line), run one after another in a fresh process: this one has them all."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_PROBE, heavy, *calls],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_results_of_a_release_load_neither_pandas_nor_the_audit_nor_the_orm(
    released: dict[str, str],
) -> None:
    heavy = (
        "pandas,numpy,pyarrow,highspy,analysis.publication,analysis.frames,yaml,"
        "sqlmodel,sqlalchemy.orm,survey_app.db.tables,survey_app.services.releases"
    )

    loaded = loaded_by(
        released,
        heavy,
        "results wave1 --release 1",
        "results wave1 --release 1 --group arbeit --by employed --format table",
        "results wave1 --release 1 --format csv",
    )

    assert loaded == "loaded:"


def test_a_later_live_view_loads_neither_pandas_nor_the_audit_nor_the_orm(
    released: dict[str, str],
) -> None:
    heavy = (
        "pandas,numpy,pyarrow,highspy,analysis.publication,analysis.frames,yaml,"
        "sqlmodel,sqlalchemy.orm,survey_app.db.tables"
    )
    calls = ("results wave1", "results wave1 --group arbeit --by employed --format table")
    first = [run(released, *call.split()) for call in calls]
    assert all(done.returncode == 0 for done in first), [done.stderr for done in first]

    loaded = loaded_by(released, heavy, *calls)

    assert loaded == "loaded:"
    assert [run(released, *call.split()).stdout for call in calls] == [
        done.stdout for done in first
    ]


def test_a_live_view_that_counts_reads_the_answers_without_the_orm(
    released: dict[str, str], tmp_path: Path
) -> None:
    # A var directory of its own: no stored frame or publication, so each call reads the
    # answers from the database and counts them (pandas loaded says it did).
    env = {**released, "SURVEY_VAR_DIR": str(tmp_path / "var")}
    heavy = "pandas,sqlmodel,sqlalchemy.orm,survey_app.db.tables,survey_app.services.surveys"

    loaded = loaded_by(
        env, heavy, "results wave1", "results wave1 --group arbeit --by employed --format table"
    )

    assert loaded == "loaded: pandas"


def test_a_row_level_csv_export_loads_no_pandas_no_orm_no_workbook_and_no_audit(
    released: dict[str, str], tmp_path: Path
) -> None:
    heavy = (
        "pandas,analysis.frames,analysis.exports,survey_app.services.results,"
        "survey_app.render,jinja2,pptx,openpyxl,highspy,analysis.publication,"
        "sqlmodel,sqlalchemy.orm,survey_app.db.tables,survey_app.services.surveys,analysis.results"
    )

    loaded = loaded_by(
        released,
        heavy,
        f"export wave1 --format csv --output {tmp_path / 'rows.csv'}",
        f"export wave1 --format csv --values codes --output {tmp_path / 'codes.csv'}",
    )

    assert loaded == "loaded:"


def test_export_of_a_survey_with_repeats_writes_a_file_per_repeat_beside_the_file(
    tmp_path: Path, database_under_test: str | None
) -> None:
    with empty_database(tmp_path) as database_url:
        db = Database(database_url)
        members = [member("Amal", 41, "head", works="yes", jobs=[{"job_title": "Köchin"}])]
        store_answers(db, read_roster(), household(*members), household(member("Sami", 9, "head")))
        db.dispose()
        env = environment(database_url, tmp_path)
        output = tmp_path / "roster.csv"

        done = run(env, "export", "roster", "--format", "csv", "--output", str(output))
        sav = run(env, "export", "roster", "--format", "sav", "--output", str(tmp_path / "r.sav"))

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"{output}: 2 responses",
        f"{tmp_path / 'roster-members.csv'}: entries of members",
        f"{tmp_path / 'roster-jobs.csv'}: entries of jobs",
    ]
    members_csv = (tmp_path / "roster-members.csv").read_text(encoding="utf-8-sig")
    assert members_csv.splitlines()[0].startswith('"_index","_parent_table_name","_parent_index"')
    assert len(members_csv.splitlines()) == 3
    assert len((tmp_path / "roster-jobs.csv").read_text(encoding="utf-8-sig").splitlines()) == 2
    assert sav.returncode == 0, sav.stderr
    assert sav.stderr.splitlines() == [
        f"{tmp_path / 'r.sav'}: 2 responses",
        f"{tmp_path / 'r-members.sav'}: entries of members",
        f"{tmp_path / 'r-jobs.sav'}: entries of jobs",
    ]
    members_sav, _meta = pyreadstat.read_sav(str(tmp_path / "r-members.sav"))
    assert list(members_sav["member_name"]) == ["Amal", "Sami"]
    assert list(members_sav["v__submission__index"]) == [1, 2]
