"""Results and responses as files and terminal text.

- `results_text`: results as a readable terminal table; `results_csv`: results as long CSV
  rows. Suppressed values are "·" with the footnote `footnote(k)`.
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

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.frames import choice_column, ranking_names
from analysis.results import Results, bin_label
from analysis.summaries import QuestionResult
from analysis.xlsx import StreamedSheet
from survey_app.i18n import S_, STAFF_LANGUAGES, staff_gettext
from survey_app.questionnaire.schema import Questionnaire, QuestionType

__all__ = [
    "SUPPRESSED",
    "WorkbookSource",
    "footnote",
    "neutralize",
    "response_table",
    "results_csv",
    "results_csv_excel",
    "results_text",
    "write_responses_csv",
    "write_responses_xlsx",
    "write_results_xlsx",
]

SUPPRESSED = "·"
_DANGEROUS = re.compile(r"^[=+\-@\t\r]")
_META = ("submitted_on", "language", "version", "status")
_STATISTICS = ("mean", "median", "q1", "q3")


FOOTNOTE = S_(
    "· = not shown: fewer than %(k)s answers, or hidden so that a small number cannot be worked out"
)


def footnote(k: int, translate: Callable[[str], str] = str) -> str:
    """The explanation printed wherever "·" appears (`translate`: the staff catalogue of
    the results' language; English without it)."""
    return translate(FOOTNOTE) % {"k": k}


#: Words of the aggregated workbook in English; the staff catalogue translates them
#: (German for German results: the working groups read it).
WORKBOOK_WORDS = {
    "survey": S_("survey"),
    "version": S_("version"),
    "group": S_("group"),
    "all": S_("all"),
    "release": S_("release"),
    "live": S_("live"),
    "released on": S_("released on"),
    "responses": S_("responses"),
    "minimum cell": S_("minimum cell"),
    "source": S_("source"),
    "choice": S_("choice"),
    "count": S_("count"),
    "percent": S_("percent"),
    "year": S_("year"),
    "statistic": S_("statistic"),
    "value": S_("value"),
    "mean": S_("mean"),
    "median": S_("median"),
    "q1": S_("q1"),
    "q3": S_("q3"),
    "info": S_("Info"),
    "rule": S_("rule"),
    "question": S_("question"),
    "answers": S_("answers (n)"),
    "note": S_("note"),
    "hidden": S_("not shown"),
    "ranked first": S_("Ranked first"),
    "mean rank": S_("Mean rank"),
    "released answer": S_("answer (as released)"),
    "type": S_("type"),
    "label": S_("label"),
    "choice label": S_("choice label"),
    "column": S_("column"),
    "compare percent": S_("percent (compared wave)"),
    "change": S_("change (percentage points)"),
    "translation": S_("German translation"),
}


def neutralize(value: str) -> str:
    """A text cell that spreadsheets will never read as a formula."""
    return "'" + value if _DANGEROUS.match(value) else value


def _neutralize_series(values: pd.Series) -> pd.Series:
    text = values.astype("str")
    dangerous = text.str.match(_DANGEROUS.pattern).fillna(False).astype(bool)
    return text.where(~dangerous, "'" + text).where(values.notna(), None)


def _shown(value: object) -> str:
    if value is None:
        return SUPPRESSED
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- terminal and CSV ------------------------------------------------------------------


def results_text(results: Results) -> str:
    """Results as a plain-text report for the terminal."""
    out = io.StringIO()
    group = results.group or "all questions"
    out.write(
        f"Survey {results.survey} (version {results.version}) | group: {group} | "
        f"responses: {_shown(results.responses)} | minimum cell: {results.min_cell}\n"
    )
    if results.compare is not None:
        out.write(
            f"compared with {results.compare.survey} (version {results.compare.version}, "
            f"responses: {_shown(results.compare.responses)}); change in percentage points\n"
        )
    if results.release is not None:
        released = results.release.released_at.isoformat()
        out.write(f"release {results.release.number} of {released}\n")
    else:
        out.write("live results (not released)\n")
    for question in results.questions:
        out.write(f"\n{question.name}: {question.label}\n")
        out.write(f"  {question.type}, n = {_shown(question.n)}\n")
        _write_question_rows(out, question)
    if results.suppressed:
        out.write(f"\n{footnote(results.min_cell)}\n")
    return out.getvalue()


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _write_question_rows(out: io.StringIO, question: QuestionResult) -> None:
    rows: list[list[str]] = []
    ranking = question.type is QuestionType.RANK
    if question.counts:
        header = ["", "ranked first", "%", "mean rank"] if ranking else ["", "count", "%"]
        if question.compare is not None:
            header += [f"% {question.compare.survey}", "change"]
        rows.append(header)
        for choice, label in question.choices.items():
            row = [label, _shown(question.counts[choice]), _shown(question.percent[choice])]
            if ranking:
                row.append(_shown(question.mean_rank.get(choice)))
            if question.compare is not None:
                row += [
                    _shown(question.compare.percent.get(choice)),
                    _shown(question.compare.change.get(choice)),
                ]
            rows.append(row)
    elif question.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
        rows.append(["", *_STATISTICS])
        rows.append(["", *(_shown(getattr(question, name)) for name in _STATISTICS)])
    elif question.months:
        rows.append(["year", "count"])
        rows += [[bin_label(key), _shown(count)] for key, count in question.months.items()]
    if rows:
        out.write(_table(rows))
    if question.by is not None:
        by = question.by
        out.write(f"  by {by.question}:\n")
        header = ["", *(by.column_labels[c] for c in by.columns), "total"]
        table = [header, ["n", *(_shown(by.n[c]) for c in by.columns), _shown(by.total)]]
        labels = question.choices or {key: bin_label(key) for key in by.counts}
        for key, cells in by.counts.items():
            table.append(
                [
                    labels.get(key, key),
                    *(_shown(cells[c]) for c in by.columns),
                    _shown(by.totals[key]),
                ]
            )
        for name, values in by.statistics.items():
            table.append([name, *(_shown(values[c]) for c in by.columns), ""])
        out.write(_table(table))


_CSV_HEADER = [
    "question", "type", "label", "n", "item", "item_label", "column",
    "count", "percent", "value", "compare_percent", "change",
]  # fmt: skip


def results_csv(results: Results) -> str:
    """Results as CSV (one row per question and item); suppressed values are "·"."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_HEADER)
    for row in _results_rows(results):
        writer.writerow([neutralize(_shown(cell)) if cell != "" else "" for cell in row])
    return out.getvalue()


def results_csv_excel(results: Results) -> str:
    """Results as CSV for German Excel: the rows of `results_csv` separated by
    semicolons, numbers with a decimal comma, headers in the results' language (staff
    catalogue, as the workbook). A hidden value is an empty cell, never text in a number
    column: the last column, "note", says on its row that it is not shown and why. The
    caller writes it as UTF-8 with BOM (Excel reads the encoding from it)."""
    translate = staff_gettext(results.language) if results.language in STAFF_LANGUAGES else str
    words = {key: translate(word) for key, word in WORKBOOK_WORDS.items()}
    header = [
        words["question"], words["type"], words["label"], "n", words["choice"],
        words["choice label"], words["column"], words["count"], words["percent"],
        words["value"], words["compare percent"], words["change"], words["note"],
    ]  # fmt: skip
    # The legend on the row it explains ("not shown: fewer than k answers, or ..."):
    # the header stays the first line, as Excel and statistics tools expect.
    legend = footnote(results.min_cell, translate).removeprefix(SUPPRESSED + " = ")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for row in _results_rows(results):
        hidden = any(cell is None for cell in row)
        writer.writerow([_excel_cell(cell) for cell in row] + [legend if hidden else ""])
    return out.getvalue()


def _excel_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, str):
        return neutralize(value)
    return str(value)


def _results_rows(results: Results) -> Iterator[list[object]]:
    """The CSV rows of `results`: numbers as numbers, None for a hidden value, "" for no
    value (each CSV dialect writes them its way)."""
    for q in results.questions:
        head: list[object] = [q.name, str(q.type), q.label, q.n]
        if q.type is QuestionType.TEXT or (not q.counts and not q.months and q.mean is None):
            yield [*head, "", "", "", "", "", "", "", ""]
        for choice, label in q.choices.items():
            compare: list[object] = ["", ""]
            if q.compare is not None:
                compare = [q.compare.percent.get(choice), q.compare.change.get(choice)]
            mean_rank = q.mean_rank.get(choice) if q.type is QuestionType.RANK else ""
            yield [*head, choice, label, "", q.counts[choice], q.percent[choice], mean_rank,
                   *compare]  # fmt: skip
        for key, count in q.months.items():
            yield [*head, key, bin_label(key), "", count, "", "", "", ""]
        if q.type in (QuestionType.INTEGER, QuestionType.DECIMAL) and q.n:
            for name in _STATISTICS:
                yield [*head, name, name, "", "", "", getattr(q, name), "", ""]
        if q.by is not None:
            by = q.by
            for row, cells in by.counts.items():
                for column in by.columns:
                    label = q.choices.get(row) or bin_label(row)
                    yield [*head, row, label, column, cells[column],
                           by.percent[row][column], "", "", ""]  # fmt: skip
            for column in by.columns:
                yield [*head, "n", "n", column, by.n[column], "", "", "", ""]
                for name, values in by.statistics.items():
                    yield [*head, name, name, column, "", "", values[column], "", ""]


# -- row-level exports -----------------------------------------------------------------


def response_table(
    frame: pd.DataFrame, questionnaire: Questionnaire, language: str
) -> pd.DataFrame:
    """Submissions (a frame from `analysis.frames`, with meta columns) for people to read."""
    columns: dict[str, Any] = {}
    for name in _META:
        if name in frame:
            columns[name] = _neutralize_series(frame[name]) if name != "version" else frame[name]
    for question in questionnaire.iter_questions():
        if not question.takes_answer:
            continue
        header = neutralize(f"{questionnaire.text(question.label, language)} [{question.name}]")
        choices = questionnaire.choices_of(question)
        if question.type is QuestionType.SELECT_MULTIPLE:
            for choice in choices:
                label = questionnaire.text(choice.label, language)
                flags = frame[choice_column(question.name, choice.name)]
                columns[neutralize(f"{header}: {label}")] = flags.astype("Int8")
        elif question.type is QuestionType.RANK:
            # One column, the choice names in their order separated by spaces (as Kobo).
            names = [c.name for c in choices]
            ranked = ranking_names(frame, question.name, names)
            columns[header] = pd.Series(
                [neutralize(" ".join(row)) if row else pd.NA for row in ranked],
                index=frame.index,
                dtype="string",
            )
        elif question.type is QuestionType.SELECT_ONE:
            labels = {c.name: neutralize(questionnaire.text(c.label, language)) for c in choices}
            values = frame[question.name]
            named = [labels.get(str(name), str(name)) for name in values.cat.categories]
            if len(set(named)) == len(named):
                # Labels set on the categories: as many steps as choices, not rows.
                columns[header] = values.cat.rename_categories(named)
            else:  # two choices with one label (an untranslated text): row by row
                columns[header] = values.astype("object").map(labels)
        elif question.type is QuestionType.DATE:
            columns[header] = frame[question.name].dt.strftime("%Y-%m-%d")
        elif question.type is QuestionType.TEXT:
            columns[header] = _neutralize_series(frame[question.name])
        else:
            columns[header] = frame[question.name]
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
            for name in _STATISTICS:
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
