"""Results and responses as files (results as terminal text and CSV are in
`analysis.results_tables`, re-exported here).

- `write_responses_csv` / `write_responses_xlsx`: row-level data for admins: one row per
  submission, headers "label [name]", choice labels, one 1/0 column per choice of a
  `select_multiple` question. CSV is UTF-8 with BOM (Excel reads the encoding from it),
  texts quoted; both formats are written chunk by chunk, so memory stays constant for a
  million rows. `survey-app export --format csv` writes the same CSV without pandas
  (`analysis.csv_export`); `tests/analysis/test_csv_export.py` holds both to each other.
- Repeats, in KoboToolbox's "long" layout: the responses' table has a repeat's number
  of entries, and each repeat a table of its own (an XLSX sheet, a CSV file), one row
  per entry. Then the responses' table starts with `_index` (its row, from 1), and an
  entries table with `_index` (its own row), `_parent_table_name` and `_parent_index`
  (the table and `_index` of the response, or of the enclosing entry for a nested
  repeat), `_submission__index` (the response's `_index`) and `_position` (the entry's
  position from 1 within its response or enclosing entry), then the entry's questions.
- The form's codes (`values="codes"`, every row-level writer): what KoboToolbox calls
  "XML values and headers" (formpack's export without a translation), so that scripts
  written against Kobo's exports read ours. Headers are the questions' names (without
  their groups: formpack's `hierarchy_in_labels` is off by default); a `select_one` is its
  choice's name as the form wrote it; a `select_multiple` the chosen names separated by
  spaces, in the form's order (the frame keeps ticks, not the order they were given;
  ODK Collect and Enketo submit in the form's order), then formpack's "both" layout: a
  1/0 column per choice named `question/choice`, empty where not answered. Meta columns,
  numbers, dates, texts, rankings (already names) and the repeats' tables are as with
  labels.
- `write_results_xlsx`: the aggregated workbook for a working group: an info sheet, then
  one sheet per question with its suppressed table and a bar chart.

Formula injection: every text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is prefixed with `'` in CSV and XLSX, so Excel or LibreOffice never evaluates an
answer (or a label) as a formula. Numbers of number questions are written as numbers; a
negative number cannot carry a formula, and turning it into text would corrupt the data.
For the same reason a choice's code that is a number (`-1`, `-99`; or a selection of
them, `1 -99`) is written as the form has it, as Kobo does; any other code that starts so
(`=cmd`, `@x`, `-x`) is prefixed as a text is (`analysis.cells.neutralize_codes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.export_layout import (
    INDEX,
    MAIN_TABLE,
    META,
    PARENT_INDEX,
    PARENT_TABLE,
    POSITION,
    SUBMISSION_INDEX,
    ExportValues,
    table_names,
)
from analysis.export_layout import sheet_title as _sheet_title
from analysis.frames import (
    ENTRY,
    PARENT,
    RESPONSE,
    Responses,
    empty_entries,
    empty_frame,
    repeats,
)
from analysis.kinds import kind_of, kind_of_result, shown_apart
from analysis.kinds.entries import EntryTable
from analysis.kinds.number import NumberKind
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
from analysis.xlsx import StreamedWorkbook
from survey_app.i18n import STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "INDEX",
    "MAIN_TABLE",
    "SUPPRESSED",
    "WorkbookSource",
    "entries_paths",
    "entries_table",
    "entry_tables",
    "footnote",
    "neutralize",
    "neutralize_series",
    "response_table",
    "results_csv",
    "results_csv_excel",
    "results_text",
    "write_responses_csv",
    "write_responses_csv_files",
    "write_responses_xlsx",
    "write_results_xlsx",
]

Chunk = pd.DataFrame | Responses
"""Responses to export: a frame (with meta columns), or one with its entries."""


def neutralize_series(values: pd.Series) -> pd.Series:
    """Texts (missing stays missing) that spreadsheets will never read as a formula."""
    text = values.astype("str")
    dangerous = text.str.match(FORMULA_START.pattern).fillna(False).astype(bool)
    return text.where(~dangerous, "'" + text).where(values.notna(), None)


# -- row-level exports -----------------------------------------------------------------


def response_table(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    language: str,
    *,
    values: ExportValues = "labels",
) -> pd.DataFrame:
    """Submissions (a frame from `analysis.frames`, with meta columns) for people to read
    (`values`: with labels, or with the form's codes)."""
    columns: dict[str, Any] = {}
    for name in META:
        if name in frame:
            columns[name] = neutralize_series(frame[name]) if name != "version" else frame[name]
    questions = questionnaire.iter_questions()
    columns |= _question_columns(frame, questionnaire, questions, language, values)
    return pd.DataFrame(columns, index=frame.index)


def _question_columns(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    questions: Iterable[Question],
    language: str,
    values: ExportValues,
) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for question in questions:
        if not question.takes_answer:
            continue
        kind = kind_of(question)
        if values == "codes":
            columns |= kind.export_code_columns(
                frame, questionnaire, question, question.name, language
            )
            continue
        header = neutralize(f"{questionnaire.text(question.label, language)} [{question.name}]")
        columns |= kind.export_columns(frame, questionnaire, question, header, language)
    return columns


def entries_table(
    entries: pd.DataFrame,
    questionnaire: Questionnaire,
    repeat: Question,
    language: str,
    *,
    first_index: int,
    parent_first_index: int,
    response_first_index: int,
    parent_table: str,
    values: ExportValues = "labels",
) -> pd.DataFrame:
    """A repeat's entries (a frame from `analysis.frames`) for people to read: Kobo's
    link columns (see the module doc) and the entry's questions. Its rows are numbered
    from `first_index`; `*_first_index` is the `_index` of row 0 of the enclosing table
    (of a nested repeat: its enclosing repeat's) and of the responses' table (where
    earlier chunks ended)."""
    responses = entries[RESPONSE].to_numpy(dtype="int64") + response_first_index
    if PARENT in entries:
        parent_index = entries[PARENT].to_numpy(dtype="int64") + parent_first_index
    else:
        parent_index = responses
    columns: dict[str, Any] = {
        INDEX: pd.RangeIndex(first_index, first_index + len(entries)),
        PARENT_TABLE: neutralize(parent_table),
        PARENT_INDEX: parent_index,
        SUBMISSION_INDEX: responses,
        POSITION: entries[ENTRY].to_numpy(dtype="int64"),
    }
    columns |= _question_columns(entries, questionnaire, repeat.questions, language, values)
    return pd.DataFrame(columns, index=entries.index)


def entry_tables(
    chunks: Iterable[Chunk],
    questionnaire: Questionnaire,
    language: str,
    *,
    values: ExportValues = "labels",
) -> Iterator[dict[str | None, pd.DataFrame]]:
    """Per chunk of responses, the tables to write: the responses' (key None, with
    `_index` first when the questionnaire has repeats) and each repeat's entries (by
    the repeat's name; see the module doc), with labels or codes (`values`). Rows are
    numbered on across chunks."""
    names = table_names(questionnaire)
    written: dict[str | None, int] = dict.fromkeys(names, 0)
    for chunk in chunks:
        frame, entries = (
            (chunk.frame, chunk.entries) if isinstance(chunk, Responses) else (chunk, {})
        )
        main = response_table(frame, questionnaire, language, values=values)
        if len(names) > 1:
            main.insert(0, INDEX, pd.RangeIndex(written[None] + 1, written[None] + 1 + len(main)))
        tables: dict[str | None, pd.DataFrame] = {None: main}
        for repeat in repeats(questionnaire):
            own = entries.get(repeat.name, empty_entries(questionnaire, repeat))
            enclosing = questionnaire.repeat_of.get(repeat.name)
            tables[repeat.name] = entries_table(
                own,
                questionnaire,
                repeat,
                language,
                first_index=written[repeat.name] + 1,
                parent_first_index=written[enclosing] + 1,
                response_first_index=written[None] + 1,
                parent_table=names[enclosing],
                values=values,
            )
        for name, table in tables.items():
            written[name] += len(table)
        yield tables


def write_responses_csv(
    chunks: Iterable[Chunk],
    questionnaire: Questionnaire,
    language: str,
    handle: IO[str],
    *,
    entries: Mapping[str, IO[str]] | None = None,
    values: ExportValues = "labels",
) -> int:
    """Write submissions chunk by chunk to `handle` (opened with encoding 'utf-8-sig'),
    and with `entries` each repeat's entries to its handle there (by repeat name), with
    labels or codes (`values`); the number of submissions.

    Arrow's CSV writer does the formatting (several times faster than `DataFrame.to_csv`):
    every text cell and header is quoted, numbers are not, missing values are empty,
    lines end in CRLF."""
    handles: dict[str | None, IO[str]] = {None: handle}
    handles.update(entries or {})
    first = True
    written = 0
    every = entry_tables(_or_empty(chunks, questionnaire), questionnaire, language, values=values)
    for tables in every:
        for name, table in tables.items():
            if name in handles and (first or len(table)):
                handles[name].write(_csv_text(table, header=first))
        written += len(tables[None])
        first = False
    return written


def entries_paths(path: Path, questionnaire: Questionnaire) -> dict[str, Path]:
    """Where a CSV export written to `path` puts each repeat's entries: beside it, named
    `<stem>-<repeat>.csv`, by repeat name."""
    return {
        repeat.name: path.with_name(f"{path.stem}-{repeat.name}{path.suffix}")
        for repeat in repeats(questionnaire)
    }


def write_responses_csv_files(
    chunks: Iterable[Chunk],
    questionnaire: Questionnaire,
    language: str,
    path: Path,
    *,
    values: ExportValues = "labels",
) -> tuple[int, list[Path]]:
    """Write submissions to the CSV file `path` and each repeat's entries to its own
    (`entries_paths`), with labels or codes (`values`); the number of submissions and
    the files written, `path` first."""
    paths: dict[str | None, Path] = {None: path}
    paths.update(entries_paths(path, questionnaire))
    with ExitStack() as stack:
        handles = {
            name: stack.enter_context(file.open("w", encoding="utf-8-sig", newline=""))
            for name, file in paths.items()
        }
        main = handles.pop(None)
        count = write_responses_csv(
            chunks,
            questionnaire,
            language,
            main,
            entries={str(name): handle for name, handle in handles.items()},
            values=values,
        )
    return count, list(paths.values())


def _or_empty(chunks: Iterable[Chunk], questionnaire: Questionnaire) -> Iterator[Chunk]:
    """The chunks, or one without rows (for the headers) when there are none."""
    empty = True
    for chunk in chunks:
        empty = False
        yield chunk
    if empty:
        entries = {r.name: empty_entries(questionnaire, r) for r in repeats(questionnaire)}
        yield Responses(_empty_with_meta(questionnaire), entries)


def _csv_text(table: pd.DataFrame, *, header: bool) -> str:
    out = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=header, eol="\r\n")
    pa_csv.write_csv(pa.Table.from_pandas(table, preserve_index=False), out, options)
    return bytes(out.getvalue()).decode()


def _empty_with_meta(questionnaire: Questionnaire) -> pd.DataFrame:
    frame = empty_frame(questionnaire)
    for name in reversed(META):
        frame.insert(0, name, pd.Series([], dtype="str"))
    return frame


def write_responses_xlsx(
    chunks: Iterable[Chunk],
    questionnaire: Questionnaire,
    language: str,
    path: Path,
    *,
    values: ExportValues = "labels",
) -> int:
    """Write submissions to an XLSX workbook, streamed chunk by chunk (`analysis.xlsx`):
    the sheet `responses`, and one sheet per repeat with its entries, with labels or
    codes (`values`); the number of submissions."""
    names = table_names(questionnaire)
    first = True
    written = 0
    with StreamedWorkbook(path, list(names.values())) as book:
        every = entry_tables(
            _or_empty(chunks, questionnaire), questionnaire, language, values=values
        )
        for tables in every:
            for name, table in tables.items():
                sheet = book.sheet(names[name])
                if first:
                    sheet.append_header(list(table.columns))
                sheet.append_frame(table)
            written += len(tables[None])
            first = False
    return written


# -- aggregated workbook ---------------------------------------------------------------


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
