"""Results and responses as files (results as terminal text and CSV are in
`analysis.results_tables`, re-exported here).

- `write_responses_csv` / `write_responses_xlsx`: row-level data for admins: one row per
  submission, headers "label [name]", choice labels, one 1/0 column per choice of a
  `select_multiple` question. CSV is UTF-8 with BOM (Excel reads the encoding from it),
  texts quoted; both formats are written chunk by chunk, so memory stays constant for a
  million rows.
- `write_results_xlsx`: the aggregated workbook for a working group: an info sheet, then
  one sheet per question with its suppressed table and a bar chart.

Formula injection: every text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is prefixed with `'` in CSV and XLSX, so Excel or LibreOffice never evaluates an
answer (or a label) as a formula. Numbers of number questions are written as numbers; a
negative number cannot carry a formula, and turning it into text would corrupt the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.kinds import kind_of
from analysis.publication_format import STATISTICS
from analysis.results import Results, bin_label
from analysis.results_tables import (
    FORMULA_START,
    SUPPRESSED,
    WORKBOOK_WORDS,
    footnote,
    neutralize,
    results_csv,
    results_csv_excel,
    results_text,
)
from analysis.summaries import QuestionResult
from analysis.xlsx import StreamedSheet
from survey_app.i18n import STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.schema import Questionnaire, QuestionType

__all__ = [
    "SUPPRESSED",
    "WorkbookSource",
    "footnote",
    "neutralize",
    "neutralize_series",
    "response_table",
    "results_csv",
    "results_csv_excel",
    "results_text",
    "write_responses_csv",
    "write_responses_xlsx",
    "write_results_xlsx",
]

_META = ("submitted_on", "language", "version", "status")


def neutralize_series(values: pd.Series) -> pd.Series:
    """Texts (missing stays missing) that spreadsheets will never read as a formula."""
    text = values.astype("str")
    dangerous = text.str.match(FORMULA_START.pattern).fillna(False).astype(bool)
    return text.where(~dangerous, "'" + text).where(values.notna(), None)


# -- row-level exports -----------------------------------------------------------------


def response_table(
    frame: pd.DataFrame, questionnaire: Questionnaire, language: str
) -> pd.DataFrame:
    """Submissions (a frame from `analysis.frames`, with meta columns) for people to read."""
    columns: dict[str, Any] = {}
    for name in _META:
        if name in frame:
            columns[name] = neutralize_series(frame[name]) if name != "version" else frame[name]
    for question in questionnaire.iter_questions():
        if not question.takes_answer:
            continue
        header = neutralize(f"{questionnaire.text(question.label, language)} [{question.name}]")
        columns |= kind_of(question).export_columns(
            frame, questionnaire, question, header, language
        )
    return pd.DataFrame(columns, index=frame.index)


def write_responses_csv(
    frames: Iterable[pd.DataFrame], questionnaire: Questionnaire, language: str, handle: IO[str]
) -> int:
    """Write submissions chunk by chunk to `handle` (opened with encoding 'utf-8-sig').

    Arrow's CSV writer does the formatting (several times faster than `DataFrame.to_csv`):
    every text cell and header is quoted, numbers are not, missing values are empty,
    lines end in CRLF."""
    written = 0
    for frame in frames:
        table = response_table(frame, questionnaire, language)
        handle.write(_csv_text(table, header=written == 0))
        written += len(table)
    if written == 0:
        empty = response_table(_empty_with_meta(questionnaire), questionnaire, language)
        handle.write(_csv_text(empty, header=True))
    return written


def _csv_text(table: pd.DataFrame, *, header: bool) -> str:
    out = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=header, eol="\r\n")
    pa_csv.write_csv(pa.Table.from_pandas(table, preserve_index=False), out, options)
    return bytes(out.getvalue()).decode()


def _empty_with_meta(questionnaire: Questionnaire) -> pd.DataFrame:
    from analysis.frames import empty_frame

    frame = empty_frame(questionnaire)
    for name in reversed(_META):
        frame.insert(0, name, pd.Series([], dtype="str"))
    return frame


def write_responses_xlsx(
    frames: Iterable[pd.DataFrame], questionnaire: Questionnaire, language: str, path: Path
) -> int:
    """Write submissions to an XLSX workbook, streamed chunk by chunk (`analysis.xlsx`)."""
    written = 0
    with StreamedSheet(path, "responses") as sheet:
        for frame in frames:
            table = response_table(frame, questionnaire, language)
            if written == 0:
                sheet.append_header(list(table.columns))
            sheet.append_frame(table)
            written += len(table)
        if written == 0:
            empty = response_table(_empty_with_meta(questionnaire), questionnaire, language)
            sheet.append_header(list(empty.columns))
    return written


# -- aggregated workbook ---------------------------------------------------------------


def _sheet_title(label: str, used: set[str]) -> str:
    """A sheet name from a question's label: Excel's characters and 31-character limit,
    cut at a word where it can be, unique in the workbook (case-insensitive, as Excel)."""
    title = " ".join(re.sub(r"[\[\]:*?/\\]", " ", label).split()).strip("'") or "Frage"
    if len(title) > 31:
        cut = title[:30]
        if title[30] != " " and " " in cut[10:]:  # do not end in the middle of a word
            cut = cut.rsplit(" ", 1)[0]
        title = cut.rstrip(" ,;.-") + "…"
    candidate, number = title, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate, number = title[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class WorkbookSource:
    """Who and what a group's workbook is about, in the words of its readers: the
    survey's title, the working group's name (None: all groups), and the district and
    office that publish the numbers. The caller looks them up (the published survey,
    the catalogue of working groups, the district's profile)."""

    survey_title: str
    group_name: str | None
    district: str
    office: str

    @property
    def line(self) -> str:
        """The source to quote with a number: "Landkreis X, Integrationsmanagement:
        <the survey's title>"."""
        return f"{self.district}, {self.office}: {self.survey_title}"


def write_results_xlsx(
    results: Results, path: Path, *, source: WorkbookSource | None = None
) -> None:
    """The aggregated results of a working group as a workbook German Excel can compute
    with: an info sheet (the survey's title, the group's name, the release, the
    suppression rule and the source when `source` is given, else the ids), then one
    sheet per question named after its label, with a chart. Counts are numbers and
    percentages real percentages (shown as "23,3 %" in German Excel); a hidden cell is
    empty, never text in a number column: the "Hinweis" column and a comment on the
    cell say it is not shown. Worded in the results' language through the staff
    catalogue when it is a staff language (German for the working groups), else in
    English."""
    # openpyxl only here: the CLI's results and row exports do not pay for its import.
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    translate = staff_gettext(results.language) if results.language in STAFF_LANGUAGES else str
    words = {key: translate(word) for key, word in WORKBOOK_WORDS.items()}
    note = footnote(results.min_cell, translate)
    bold = Font(bold=True)
    workbook = Workbook()
    info = workbook.active
    assert info is not None
    info.title = words["info"]
    used = {words["info"].lower()}
    group = results.group if source is None else source.group_name
    rows = {
        "survey": results.survey if source is None else source.survey_title,
        "version": results.version,
        "group": group or words["all"],
        "release": results.release.number if results.release else words["live"],
        "released on": results.release.released_at if results.release else None,
        "responses": results.responses,
        "minimum cell": results.min_cell,
        "rule": note,
    }
    if source is not None:
        rows["source"] = source.line
    for key, value in rows.items():
        info.append([words[key], neutralize(value) if isinstance(value, str) else value])
        info.cell(info.max_row, 1).font = bold
    row_of = {key: number for number, key in enumerate(rows, start=1)}
    if results.release is not None:
        date_format = "DD.MM.YYYY" if results.language == "de" else "YYYY-MM-DD"
        info.cell(row_of["released on"], 2).number_format = date_format
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 50
    for key in ("survey", "rule", "source"):
        if key in row_of:
            cell = info.cell(row_of[key], 2)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            info.cell(row_of[key], 1).alignment = Alignment(vertical="top")
            # LibreOffice keeps a row one line high whatever it wraps: as many lines as
            # the 50 characters of column B need (on the generous side).
            lines = -(-len(str(cell.value)) // 45)
            info.row_dimensions[row_of[key]].height = 15 * lines
    author = "Integrationsmanagement" if source is None else source.office

    def hidden(cell: Any) -> None:
        cell.comment = Comment(note, author)

    if results.responses is None:
        hidden(info.cell(row_of["responses"], 2))

    for question in results.questions:
        sheet = workbook.create_sheet(_sheet_title(question.label or question.name, used))
        sheet.append([neutralize(question.label)])
        sheet.cell(1, 1).font = Font(bold=True, size=13)
        sheet.append([words["question"], question.name])
        sheet.append([words["answers"], question.n])
        if question.n is None:
            hidden(sheet.cell(3, 2))
        sheet.append([])
        # The table's header row: `max_row` does not count the empty row just appended.
        header = sheet.max_row + 2
        if question.counts:
            # A ranking: who ranked each choice first, and its mean place, beside it.
            ranking = question.type is QuestionType.RANK
            first = words["ranked first"] if ranking else words["count"]
            means = [words["mean rank"]] if ranking else []
            sheet.append([words["choice"], first, words["percent"], *means, words["note"]])
            for choice, label in question.choices.items():
                count, share = question.counts[choice], question.percent[choice]
                mean = question.mean_rank.get(choice) if ranking else 0.0
                shown = count is not None and share is not None and mean is not None
                percent = None if share is None else share / 100
                place = [mean] if ranking else []
                sheet.append(
                    [neutralize(label), count, percent, *place, None if shown else words["hidden"]]
                )
                row = sheet.max_row
                sheet.cell(row, 3).number_format = "0.0%"
                for column, value in ((2, count), (3, share), (4, mean)):
                    if value is None:
                        hidden(sheet.cell(row, column))
        elif question.months:
            sheet.append([words["year"], words["count"], words["note"]])
            for key, count in question.months.items():
                sheet.append([bin_label(key), count, words["hidden"] if count is None else None])
                if count is None:
                    hidden(sheet.cell(sheet.max_row, 2))
        elif question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
            sheet.append([words["statistic"], words["value"], words["note"]])
            for name in STATISTICS:
                value = getattr(question, name)
                sheet.append([words[name], value, words["hidden"] if value is None else None])
                if value is None:
                    hidden(sheet.cell(sheet.max_row, 2))
        elif question.answers:
            sheet.append([words["released answer"], words["translation"]])
            for answer in question.answers:
                sheet.append([neutralize(answer.text), neutralize(answer.translation)])
                for column in (1, 2):
                    sheet.cell(sheet.max_row, column).alignment = Alignment(wrap_text=True)
            sheet.column_dimensions["B"].width = 40
        for cell in sheet[header] if sheet.max_row >= header else ():
            cell.font = bold
        last = sheet.max_row
        if (question.counts or question.months) and last > header:
            _add_chart(sheet, question, header + 1, last)
        sheet.append([])
        sheet.append([note])
        sheet.column_dimensions[get_column_letter(1)].width = 40
    workbook.save(path)


def _add_chart(sheet: Any, question: QuestionResult, first: int, last: int) -> None:
    """A bar chart of rows `first` to `last` (the answers, without the header)."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "bar"
    chart.title = question.label or question.name
    column = 3 if question.counts else 2
    chart.y_axis.title = "%" if question.counts else "n"
    if question.counts:
        chart.y_axis.number_format = "0%"
    chart.add_data(Reference(sheet, min_col=column, min_row=first, max_row=last))
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    chart.legend = None
    # Beside the table (A to D), tall enough that every answer's name has room.
    chart.width = 20
    chart.height = max(7.5, 1.2 * (last - first + 1) + 3)
    sheet.add_chart(chart, "F2")
