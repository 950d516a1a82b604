"""Exports: results as text and CSV, row-level CSV/XLSX, the aggregated workbook."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from analysis.exports import (
    SUPPRESSED,
    WorkbookSource,
    neutralize,
    results_csv,
    results_csv_excel,
    results_text,
    write_results_xlsx,
)
from analysis.frames import frame_from_texts
from analysis.results import SurveyAnswers, build_results
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.conftest import WAVE1_SHEETS, texts, variant, write_rows
from tests.conftest import FIXTURES

MALICIOUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def malicious_answers() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"german_level": "a1", "age": 30, "comment": text} for text in MALICIOUS
    ]
    rows.append({"german_level": "b1", "age": -1, "support": ["job"], "comment": "harmless"})
    return rows


def results_of(wave1: Questionnaire, rows: list[dict[str, Any]]) -> Any:
    frame = frame_from_texts(wave1, [(wave1, texts(*rows))])
    return build_results(SurveyAnswers("wave1", 1, wave1, frame))


def test_formula_prefixes_are_neutralized() -> None:
    assert [neutralize(text) for text in MALICIOUS] == ["'" + text for text in MALICIOUS]
    assert neutralize("Danke") == "Danke"


def test_row_level_csv_has_a_bom_readable_headers_and_no_formulas(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "responses.csv"

    count, _paths = write_rows(wave1, malicious_answers(), path, per_chunk=3)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert count == len(rows) == 7
    comments = [row["Was möchten Sie uns sagen? [comment]"] for row in rows]
    assert comments == ["'" + text for text in MALICIOUS] + ["harmless"]
    assert rows[6]["Wie gut sprechen Sie Deutsch? [german_level]"] == "B1"
    assert rows[6]["Welche Unterstützung brauchen Sie? [support]: Arbeitssuche"] == "1"
    assert rows[6]["Welche Unterstützung brauchen Sie? [support]: Sprachkurs"] == "0"
    assert rows[0]["Welche Unterstützung brauchen Sie? [support]: Sprachkurs"] == ""
    # Numbers stay numbers.
    assert rows[6]["Wie alt sind Sie? [age]"] == "-1"


def test_row_level_xlsx_stores_answers_as_text_never_formulas(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "responses.xlsx"

    write_rows(wave1, malicious_answers(), path, language="en")

    sheet = load_workbook(path).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    column = header.index("What would you like to tell us? [comment]") + 1
    values = [sheet.cell(row=r, column=column) for r in range(2, 9)]
    # Without lxml, XML reads a stored carriage return back as a line feed; the prefix is
    # what matters.
    expected = ["'" + t.replace("\r", "\n") for t in MALICIOUS] + ["harmless"]
    assert [str(cell.value).replace("\r", "\n") for cell in values] == expected
    assert all(cell.data_type == "s" for cell in values)


def test_row_level_xlsx_holds_the_values_of_the_csv_across_chunks(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    awkward = [
        "a & b < c > d", "  leading and trailing  ", "line\r\nbreak", "tab\tinside",
        "bell\x07gone", "مرحبا", "'quoted'", "\"double\"", "",
    ]  # fmt: skip
    rows = [
        {"german_level": level, "age": age, "support": support, "comment": comment}
        for level, age, support, comment in zip(
            ["a1", "b1", "c2"] * 3, [18, 99, 40, 0, 65, 33, 21, 50, 77],
            [["job"], [], ["job", "course"]] * 3, awkward, strict=True,
        )
    ] + [{}]  # fmt: skip
    xlsx, csv_path = tmp_path / "responses.xlsx", tmp_path / "responses.csv"

    assert write_rows(wave1, rows, xlsx, per_chunk=4)[0] == 10
    write_rows(wave1, rows, csv_path, per_chunk=4)

    sheet = load_workbook(xlsx).active
    assert sheet is not None
    from_xlsx = [["" if v is None else str(v) for v in row] for row in sheet.values]
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        # XML cannot hold control characters such as BEL: only the workbook drops them.
        from_csv = [[cell.replace("\x07", "") for cell in row] for row in csv.reader(handle)]
    assert from_xlsx == from_csv
    comments = from_xlsx[0].index("Was möchten Sie uns sagen? [comment]")
    expected = [text.replace("\x07", "") for text in awkward] + [""]
    assert [row[comments] for row in from_xlsx[1:]] == expected


def test_choices_that_share_a_label_are_both_exported_with_it(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    levels = wave1.to_definition()["choices"]["level"]
    same = [{**c, "label": {"de": "A", "en": "A"}} if c["name"] in ("a1", "a2") else c
            for c in levels]  # fmt: skip
    shared = variant(wave1, choices={**wave1.to_definition()["choices"], "level": same})
    rows = [{"german_level": level} for level in ("a1", "a2", "b1", "none")] + [{}]
    path = tmp_path / "responses.csv"

    write_rows(shared, rows, path)

    with path.open(encoding="utf-8-sig", newline="") as handle:
        exported = [
            row["Wie gut sprechen Sie Deutsch? [german_level]"] for row in csv.DictReader(handle)
        ]
    assert exported == ["A", "A", "B1", "Keine Kenntnisse", ""]


def test_results_text_marks_suppressed_values_with_a_footnote(wave1: Questionnaire) -> None:
    rows = [{"german_level": "a1", "age": 30}] * 20 + [{"german_level": "b2", "age": 40}] * 2

    text = results_text(results_of(wave1, rows))

    assert "german_level: Wie gut sprechen Sie Deutsch?" in text
    assert SUPPRESSED in text
    assert "not shown: fewer than 5 answers" in text


def test_results_csv_has_one_row_per_choice_with_suppressed_marks(wave1: Questionnaire) -> None:
    rows = [{"german_level": "a1", "age": 30}] * 20 + [{"german_level": "b2", "age": 40}] * 2

    parsed = list(csv.DictReader(io.StringIO(results_csv(results_of(wave1, rows)))))

    level = [row for row in parsed if row["question"] == "german_level"]
    assert [row["item"] for row in level] == ["none", "a1", "a2", "b1", "b2"]
    assert level[4]["count"] == SUPPRESSED
    assert level[4]["percent"] == SUPPRESSED
    mean = next(r for r in parsed if r["question"] == "age" and r["item"] == "mean")
    assert float(mean["value"]) == round((20 * 30 + 2 * 40) / 22, 2)


def test_results_csv_for_german_excel_has_semicolons_decimal_commas_and_empty_hidden_cells(
    wave1: Questionnaire,
) -> None:
    rows = [{"german_level": "a1", "age": 30}] * 20 + [{"german_level": "b2", "age": 41}] * 2
    rows += [{"german_level": "none", "age": 30}] * 30 + [{"german_level": "b1", "age": 30}] * 12

    text = results_csv_excel(results_of(wave1, rows))

    header, *body = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:4] == ["Frage", "Typ", "Fragetext", "n"]
    assert header[-1] == "Hinweis"
    parsed = [dict(zip(header, row, strict=True)) for row in body]
    level = {row["Antwort"]: row for row in parsed if row["Frage"] == "german_level"}
    assert (level["a1"]["Anzahl"], level["a1"]["%"]) == ("20", "31,2")
    assert (level["b2"]["Anzahl"], level["b2"]["%"]) == ("", "")
    assert level["b2"]["Hinweis"].startswith("nicht ausgewiesen: weniger als 5 Antworten")
    assert level["a1"]["Hinweis"] == ""
    mean = next(r for r in parsed if r["Frage"] == "age" and r["Antwort"] == "mean")
    assert mean["Wert"] == f"{(62 * 30 + 2 * 41) / 64:.2f}".replace(".", ",")
    assert SUPPRESSED not in "".join(cell for row in body for cell in row)


def test_aggregated_workbook_has_a_sheet_and_chart_per_question(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    rows = [{"german_level": "a1", "age": 30, "employed": "no"}] * 20
    rows += [{"german_level": "b2", "age": 40, "employed": "no"}] * 2
    path = tmp_path / "arbeit.xlsx"
    frame = frame_from_texts(wave1, [(wave1, texts(*rows))])

    write_results_xlsx(build_results(SurveyAnswers("wave1", 1, wave1, frame), group="arbeit"), path)

    workbook = load_workbook(path)
    # German results get a German workbook (the working groups read it), sheets named
    # after the questions' labels
    assert workbook.sheetnames == WAVE1_SHEETS
    level = workbook["Wie gut sprechen Sie Deutsch"]
    values = [[cell.value for cell in row] for row in level.iter_rows()]
    assert ["Frage", "german_level", None, None] in values
    assert ["Antwort", "Anzahl", "%", "Hinweis"] in values
    assert any(str(row[0]).startswith(SUPPRESSED + " = nicht ausgewiesen") for row in values if row)
    info = [[cell.value for cell in row] for row in workbook["Info"].iter_rows()]
    assert ["Kleinste gezeigte Zahl", 5] in info
    [chart] = level._charts
    [series] = chart.series
    header = next(row[0].row for row in level.iter_rows() if row[0].value == "Antwort")
    # the chart shows the answers, not the table's header as an empty bar
    assert series.cat.numRef.f.endswith(f"!$A${header + 1}:$A${header + 5}")
    assert series.val.numRef.f.endswith(f"!$C${header + 1}:$C${header + 5}")


def test_the_info_sheet_names_survey_group_and_source_in_words(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    rows = [{"german_level": "a1", "age": 30, "employed": "no"}] * 20
    frame = frame_from_texts(wave1, [(wave1, texts(*rows))])
    found = build_results(SurveyAnswers("wave1", 1, wave1, frame), group="arbeit")
    source = WorkbookSource(
        survey_title="=Befragung Welle 1",  # a title is text, never a formula
        group_name="Arbeit und Ausbildung",
        district="Landkreis Beispiel",
        office="Integrationsbüro",
    )
    plain, named = tmp_path / "plain.xlsx", tmp_path / "named.xlsx"

    write_results_xlsx(found, plain)
    write_results_xlsx(found, named, source=source)

    ids = list(load_workbook(plain)["Info"].iter_rows(values_only=True))
    info = list(load_workbook(named)["Info"].iter_rows(values_only=True))
    assert ids[:3] == [("Befragung", "wave1"), ("Version", 1), ("Arbeitsgruppe", "arbeit")]
    assert info[:3] == [
        ("Befragung", "'=Befragung Welle 1"),
        ("Version", 1),
        ("Arbeitsgruppe", "Arbeit und Ausbildung"),
    ]
    assert info[-1] == ("Quelle", "Landkreis Beispiel, Integrationsbüro: =Befragung Welle 1")
    assert info[3:-1] == ids[3:]  # release, responses, minimum and rule as without the names
    sheet = load_workbook(named)["Info"]
    # Rows of wrapped text are as high as their lines: LibreOffice would cut them off.
    assert sheet.row_dimensions[len(info)].height == 30  # the source: 2 lines


def test_workbook_numbers_are_numbers_and_hidden_cells_are_empty_with_a_note(
    wave1: Questionnaire, tmp_path: Path
) -> None:
    """Excel can sum every number column: percentages are fractions formatted as
    percentages, and a hidden count is an empty cell, never the text "·"."""
    rows = [{"german_level": "a1", "age": 30, "employed": "no"}] * 20
    rows += [{"german_level": "none", "age": 30, "employed": "no"}] * 30
    rows += [{"german_level": "b1", "age": 30, "employed": "no"}] * 12
    rows += [{"german_level": "b2", "age": 40, "employed": "no"}] * 2
    path = tmp_path / "arbeit.xlsx"
    frame = frame_from_texts(wave1, [(wave1, texts(*rows))])

    write_results_xlsx(build_results(SurveyAnswers("wave1", 1, wave1, frame), group="arbeit"), path)

    level = load_workbook(path)["Wie gut sprechen Sie Deutsch"]
    table = {row[0].value: row for row in level.iter_rows(min_row=6) if row[0].value}
    a1, b2 = table["A1"], table["B2 oder besser"]
    assert (a1[1].value, a1[3].value) == (20, None)
    assert a1[2].value == pytest.approx(0.312)  # 20 of 64: 31.2 % as the results round it
    assert a1[2].number_format == "0.0%"
    assert (b2[1].value, b2[2].value, b2[3].value) == (None, None, "nicht ausgewiesen")
    assert b2[1].comment is not None
    assert "weniger als 5 Antworten" in b2[1].comment.text
    shown = [cell.value for row in level.iter_rows(min_row=6) for cell in row[1:3]]
    assert SUPPRESSED not in shown
    assert all(value is None or isinstance(value, int | float) for value in shown)


def test_sheet_names_from_long_or_repeated_labels_are_short_and_unique() -> None:
    from analysis.exports import _sheet_title

    used: set[str] = {"info"}
    long = "Welche Unterstützung würde Ihnen bei der Suche nach Arbeit am meisten helfen?"
    first = _sheet_title(long, used)
    second = _sheet_title(long, used)
    odd = _sheet_title("Kosten [EUR]/Monat: wie viel?", used)

    assert len(first) <= 31
    assert first.endswith("…")
    assert first.startswith("Welche Unterstützung würde")
    assert second != first
    assert len(second) <= 31
    assert odd == "Kosten EUR Monat wie viel"


def test_results_of_a_filtered_question_list_every_choice_of_its_list() -> None:
    loaded = load_questionnaire(FIXTURES / "cascade.yaml", working_groups=set())
    cascade = loaded.questionnaire
    assert cascade is not None
    rows = [{"state": "texas", "county": "harris", "city": "houston"}] * 12
    frame = frame_from_texts(cascade, [(cascade, texts(*rows))])
    results = build_results(SurveyAnswers("cascade", 1, cascade, frame))

    parsed = list(csv.DictReader(io.StringIO(results_csv(results))))

    counties = [row["item"] for row in parsed if row["question"] == "county"]
    assert counties == ["brazos", "harris", "king", "pierce"]
