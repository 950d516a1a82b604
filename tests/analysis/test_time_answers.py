"""Times and date-times in exports and results: row-level files carry them as ISO text
(`08:30`, `2026-03-03T10:15`); results publish only how many answered, never a value,
since a moment can identify a person."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from analysis.frames import frame_from_texts
from analysis.labelled import write_labelled
from analysis.publication import plan_publication, publish
from analysis.results import SurveyAnswers, build_results
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire, QuestionType
from tests.analysis.conftest import texts, write_rows
from tests.conftest import FIXTURES

ROWS = [
    {"office": "jobcenter", "opens": "08:30", "appointment": "2026-03-03T10:15"},
    {"office": "other", "office_other": "Standesamt", "opens": "07:45:30",
     "appointment": "2026-03-04T09:00+01:00"},
    {"office": "jobcenter", "opens": "09:00"},
]  # fmt: skip


@pytest.fixture(scope="module")
def moments() -> Questionnaire:
    result = load_questionnaire(FIXTURES / "moments.yaml", working_groups=set())
    assert result.questionnaire is not None, result.problems
    return result.questionnaire


def frame_of(questionnaire: Questionnaire, rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = frame_from_texts(questionnaire, [(questionnaire, texts(*rows))])
    frame.insert(0, "version", 1)
    frame.insert(0, "language", "de")
    frame.insert(0, "submitted_on", "2026-03-05")
    return frame


def test_row_level_csv_and_xlsx_carry_times_as_iso_text(
    moments: Questionnaire, tmp_path: Path
) -> None:
    csv_path, xlsx_path = tmp_path / "responses.csv", tmp_path / "responses.xlsx"

    write_rows(moments, ROWS, csv_path, language="en")
    write_rows(moments, ROWS, xlsx_path, language="en", per_chunk=1)

    rows = list(csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig"))))
    opens = "At what time does the office open? [opens]"
    appointment = "When was your appointment? [appointment]"
    assert [row[opens] for row in rows] == ["08:30", "07:45:30", "09:00"]
    assert [row[appointment] for row in rows] == ["2026-03-03T10:15", "2026-03-04T09:00+01:00", ""]
    assert rows[1]["Which other office? [office_other]"] == "Standesamt"
    assert rows[1]["Which office was your appointment at? [office]"] == "Other"

    sheet = load_workbook(xlsx_path).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    cells = [sheet.cell(row=r, column=header.index(opens) + 1) for r in range(2, 5)]
    assert [cell.value for cell in cells] == ["08:30", "07:45:30", "09:00"]
    assert all(cell.data_type == "s" for cell in cells)
    column = header.index(appointment) + 1
    assert sheet.cell(row=2, column=column).value == "2026-03-03T10:15"


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_spss_and_stata_carry_times_as_text_variables(
    moments: Questionnaire, tmp_path: Path, file_format: str
) -> None:
    path = tmp_path / f"responses.{file_format}"
    write_labelled([frame_of(moments, ROWS)], moments, "de", path, file_format)  # type: ignore[arg-type]
    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    frame, meta = read(str(path))
    assert list(frame["opens"]) == ["08:30", "07:45:30", "09:00"]
    assert list(frame["appointment"]) == ["2026-03-03T10:15", "2026-03-04T09:00+01:00", ""]
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["opens"] == "opens: Um wie viel Uhr öffnet das Amt?"


def test_results_publish_how_many_answered_a_time_and_never_a_value(
    moments: Questionnaire,
) -> None:
    hours = [f"{hour:02d}:{minute:02d}" for hour in range(7, 12) for minute in (0, 15, 30, 45)]
    rows: list[dict[str, object]] = [
        {"office": "jobcenter", "opens": time, "appointment": f"2026-03-{day:02d}T{time}"}
        for day, time in enumerate(hours, start=1)
    ]
    rows += [{"office": "jobcenter"}] * 6
    frame = frame_of(moments, rows)
    plan = plan_publication(moments, groups=[None], reference_year=2026)
    publication = publish(plan, [frame]).publication

    for name in ("opens", "appointment"):
        keys = sorted(key for key in publication.numbers if f"|{name}" in key)
        assert keys == [f"n|{name}"]
        assert publication.get(f"n|{name}") == len(hours)
        assert name not in publication.bins
        assert not any(key.split("|")[0] == name for key in publication.statistics)
    published = publication.dumps()
    assert not any(time in published for time in hours)
    assert "2026-03-" not in published

    results = build_results(SurveyAnswers("moments", 1, moments, frame))
    by_name = {question.name: question for question in results.questions}
    for name, question_type in (("opens", QuestionType.TIME),
                                ("appointment", QuestionType.DATETIME)):  # fmt: skip
        shown = by_name[name]
        assert shown.type is question_type
        assert shown.n == len(hours)
        assert (shown.choices, shown.counts, shown.months, shown.mean) == ({}, {}, {}, None)
