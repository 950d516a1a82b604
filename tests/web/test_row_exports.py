"""The office's SPSS and Stata files of the real newcomer survey (113 variables, long
question and choice names, German labels with dashes and umlauts), downloaded from the
admin page and read back with pyreadstat: every response is there with its review
status, and the labels are German. A survey with repeats (a roster) downloads its
entries too: a sheet per repeat, or as CSV, SPSS or Stata a ZIP of one file per table."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import col, select

from survey_app.db.engine import Database
from survey_app.db.tables import AuditEvent, Submission
from survey_app.services.demo import store_demo_responses
from survey_app.services.published import get_survey
from survey_app.services.review import responses_set_status
from tests.analysis.conftest import household, member, read_roster, store_answers
from tests.conftest import login

RESPONSES = 40


@pytest.fixture
def newcomer(client: TestClient[Any], db: Database, accounts: Any) -> TestClient[Any]:
    """40 demo responses to the newcomer survey, the first two excluded; an admin."""
    store_demo_responses(db, "newcomer", RESPONSES, seed=1)
    with db.read() as session:
        first = session.execute(
            select(col(Submission.id)).order_by(col(Submission.id)).limit(2)
        ).scalars()
        pks = [int(pk) for pk in first]
    responses_set_status(db, "newcomer", pks, status="excluded", reason="Test", actor="lea")
    login(client, "admin")
    return client


def download(client: TestClient[Any], tmp_path: Path, file_format: str) -> Any:
    response = client.get(f"/admin/surveys/newcomer/responses.{file_format}")
    assert response.status_code == 200, response.text
    path = tmp_path / f"newcomer.{file_format}"
    path.write_bytes(response.content)
    if file_format == "sav":
        return pyreadstat.read_sav(str(path), user_missing=True)
    return pyreadstat.read_dta(str(path))


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_the_newcomer_survey_opens_with_german_labels_and_each_response_status(
    newcomer: TestClient[Any], tmp_path: Path, file_format: str
) -> None:
    frame, meta = download(newcomer, tmp_path, file_format)

    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    values = meta.variable_value_labels
    assert len(frame) == RESPONSES
    assert labels["status"] == "Prüfstatus"
    assert values["status"] == {1: "eingegangen", 2: "geprüft", 3: "ausgeschlossen"}
    assert list(frame["status"]).count(3) == 2
    assert list(frame["status"][:2]) == [3, 3]
    assert labels["arrival_year"] == "arrival_year: Wann sind Sie nach Deutschland gekommen?"
    assert values["arrival_year"][1] == "vor 2015"
    assert values["arrival_year"][-99] == "keine Angabe"
    # services_known_auslaenderbehoerde (33 characters) is cut: Stata takes 32, with the
    # number pyreadstat appends to the name of its value labels.
    [known] = [n for n in meta.column_names if n.startswith("services_known_auslaender")]
    assert labels[known].startswith("services_known: ")
    assert "Ausländerbehörde – Aufenthalt" in labels[known]
    assert values[known][1] == "gewählt"
    assert len(meta.column_names) == len({n.lower() for n in meta.column_names})


def test_the_spss_and_the_stata_file_name_the_variables_alike(
    newcomer: TestClient[Any], tmp_path: Path
) -> None:
    _spss, spss = download(newcomer, tmp_path, "sav")
    _stata, stata = download(newcomer, tmp_path, "dta")

    assert spss.column_names == stata.column_names
    spss_labels = dict(zip(spss.column_names, spss.column_labels, strict=True))
    stata_labels = dict(zip(stata.column_names, stata.column_labels, strict=True))
    long = [n for n, label in spss_labels.items() if len(label) > 80]
    assert long  # the newcomer survey has labels longer than Stata's 80 characters
    assert all(stata_labels[n] == spss_labels[n][:80].rstrip() for n in long)


@pytest.fixture
def roster(client: TestClient[Any], db: Database, accounts: Any) -> TestClient[Any]:
    """Two households in the roster survey (published through the service: its checks
    still refuse repeats); an admin."""
    amal = member("Amal", 41, "head", works="yes", jobs=[{"job_title": "=2+2"}])
    store_answers(db, read_roster(), household(amal, member("Lina", 4, "child")), {})
    login(client, "admin")
    return client


def test_the_csv_of_a_survey_with_repeats_is_a_zip_of_a_csv_per_table(
    roster: TestClient[Any],
) -> None:
    response = roster.get("/admin/surveys/roster/responses.csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="roster-responses.zip"' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [
            "roster-responses.csv", "roster-responses-members.csv", "roster-responses-jobs.csv",
        ]  # fmt: skip
        tables = {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
        }
    assert [row[0] for row in tables["roster-responses.csv"]] == ["_index", "1", "2"]
    assert len(tables["roster-responses-members.csv"]) == 3
    [header, job] = tables["roster-responses-jobs.csv"]
    assert job[header.index("Tätigkeit [job_title]")] == "'=2+2"


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_spss_and_stata_of_a_survey_with_repeats_are_a_zip_of_a_file_per_table(
    roster: TestClient[Any], tmp_path: Path, file_format: str
) -> None:
    response = roster.get(f"/admin/surveys/roster/responses.{file_format}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="roster-responses.zip"' in response.headers["content-disposition"]
    names = [f"roster-responses{table}.{file_format}" for table in ("", "-members", "-jobs")]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == names
        archive.extractall(tmp_path)
    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    responses, _ = read(str(tmp_path / names[0]))
    members, meta = read(str(tmp_path / names[1]))
    assert list(responses["v__index"]) == [1, 2]
    assert list(members["v__submission__index"]) == [1, 1]
    assert list(members["member_name"]) == ["Amal", "Lina"]
    assert meta.variable_value_labels["works"][-98] == "nicht gefragt (Filter)"


def test_the_xlsx_of_a_survey_with_repeats_has_a_sheet_per_repeat(
    roster: TestClient[Any],
) -> None:
    response = roster.get("/admin/surveys/roster/responses.xlsx")

    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["responses", "members", "jobs"]


def test_the_csv_of_a_survey_without_repeats_stays_one_csv(newcomer: TestClient[Any]) -> None:
    response = newcomer.get("/admin/surveys/newcomer/responses.csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="newcomer-responses.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_office_chooses_labels_or_the_forms_codes_for_csv_and_xlsx(
    newcomer: TestClient[Any], db: Database
) -> None:
    page = newcomer.get("/admin/")
    codes = newcomer.get("/admin/surveys/newcomer/responses.csv?values=codes")
    labels = newcomer.get("/admin/surveys/newcomer/responses.csv?values=labels")
    book = newcomer.get("/admin/surveys/newcomer/responses.xlsx?values=codes")

    assert "Beschriftungen" in page.text
    assert "Codes wie im Formular" in page.text
    assert 'name="values" value="codes"' in page.text
    assert codes.status_code == labels.status_code == book.status_code == 200
    coded, labelled = csv_rows(codes.content), csv_rows(labels.content)
    survey = get_survey(db, "newcomer")
    assert survey is not None
    questionnaire = survey.questionnaire
    arrival = questionnaire.all_questions["arrival_year"]
    label_of = {
        c.name: questionnaire.text(c.label, "de") for c in questionnaire.choices_of(arrival)
    }
    [header] = [h for h in labelled[0] if h.endswith("[arrival_year]")]
    assert len(coded) == RESPONSES
    assert [label_of[row["arrival_year"]] for row in coded] == [row[header] for row in labelled]
    sheet = load_workbook(io.BytesIO(book.content), read_only=True)["responses"]
    header_row, *cells = list(sheet.iter_rows(values_only=True))
    assert list(header_row) == list(coded[0])
    column = header_row.index("arrival_year")
    assert [cell[column] for cell in cells] == [row["arrival_year"] for row in coded]
    with db.read() as session:
        exports = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "export_rows")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [json.loads(event.detail).get("values") for event in exports] == ["codes", None, "codes"]


@pytest.mark.parametrize(
    "query", ["responses.sav?values=codes", "responses.dta?values=codes", "responses.csv?values=x"]
)
def test_codes_are_offered_for_csv_and_xlsx_only(newcomer: TestClient[Any], query: str) -> None:
    assert newcomer.get(f"/admin/surveys/newcomer/{query}").status_code == 400
