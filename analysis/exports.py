"""Results as files: the aggregated workbook of a working group (`write_results_xlsx`:
an info sheet, then one sheet per question with its suppressed table and a bar chart);
results as terminal text and CSV are in `analysis.results_tables`, re-exported here.

The row-level exports (one row per submission) are written from Arrow tables: their
layout is described in `analysis.export_layout`, their columns come from the kinds
(`Kind.export_columns`, `analysis.csv_export`), the CSV is written by `analysis.csv_export`
and the XLSX by `analysis.xlsx`; SPSS and Stata have their own coding
(`analysis.labelled`).

Formula injection: every text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is prefixed with `'`, so Excel or LibreOffice never evaluates a label as a
formula (`analysis.cells`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.export_layout import (
    INDEX,
    MAIN_TABLE,
)
from analysis.export_layout import sheet_title as _sheet_title
from analysis.kinds import kind_of, kind_of_result, shown_apart
from analysis.kinds.entries import EntryTable
from analysis.kinds.number import NumberKind
from analysis.publication_format import STATISTICS
from analysis.results import Results, bin_label
from analysis.results_tables import (
    SUPPRESSED,
    WORKBOOK_WORDS,
    footnote,
    neutralize,
    results_csv,
    results_csv_excel,
    results_text,
)
from analysis.summaries import QuestionResult
from survey_app.i18n import STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.schema import QuestionType

__all__ = [
    "INDEX",
    "MAIN_TABLE",
    "SUPPRESSED",
    "WorkbookSource",
    "footnote",
    "neutralize",
    "results_csv",
    "results_csv_excel",
    "results_text",
    "write_results_xlsx",
]


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

    for question, parts in shown_apart(results.questions):
        table = kind_of_result(question).entry_table(question, parts)
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
        if table is not None:
            _entry_rows(sheet, table, words, hidden)
        elif question.counts:
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
        elif _has_statistics(question):
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


def _entry_rows(
    sheet: Any, table: EntryTable, words: Mapping[str, str], hidden: Callable[[Any], None]
) -> None:
    """A roster's counted question (`analysis.kinds.entries`): per choice the households
    with at least one such person and their percentage (the columns a choice question
    has, so the chart is drawn alike), the persons, then the households by number of
    such persons, one column per number under a heading above them."""
    first_number = 5
    if table.numbers:
        sheet.cell(sheet.max_row + 1, first_number, words["by number"])
    sheet.append(
        [
            words["choice"],
            words["with at least one"],
            words["percent"],
            words["entries"],
            *table.numbers,
            words["note"],
        ]
    )
    for row in table.rows:
        numbers: list[Any] = list(row.by_number) if row.counted else [None] * len(table.numbers)
        share = None if row.percent is None else row.percent / 100
        shown = all(value is not None for value in row.values)
        sheet.append(
            [
                neutralize(row.label),
                row.responses,
                share,
                row.entries,
                *numbers,
                None if shown else words["hidden"],
            ]
        )
        line = sheet.max_row
        sheet.cell(line, 3).number_format = "0.0%"
        values = [row.responses, row.percent] + ([row.entries, *numbers] if row.counted else [])
        for column, value in enumerate(values, start=2):
            if value is None:
                hidden(sheet.cell(line, column))


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


def _has_statistics(question: QuestionResult) -> bool:
    """Whether a result has a number's statistics (a number's, or a repeat's entries)."""
    return isinstance(kind_of(question.type), NumberKind)
