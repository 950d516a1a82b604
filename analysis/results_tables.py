"""Results as plain tables, without pandas: a readable terminal table (`results_text`)
and long CSV rows (`results_csv`; `results_csv_excel` for German Excel). Suppressed
values are "·" with the footnote `footnote(k)`.

Kept apart from the file exports (`analysis.exports`, which need pandas and openpyxl) so
`survey-app results --format table` of a release loads neither.

Formula injection: every text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is prefixed with `'` (`neutralize`), so Excel or LibreOffice never evaluates an
answer (or a label) as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from analysis.cells import FORMULA_START, neutralize, neutralize_codes
from analysis.kinds import kind_of_result
from analysis.kinds.base import SUPPRESSED, shown
from analysis.results import Results, bin_label
from analysis.summaries import QuestionResult
from survey_app.i18n import S_, STAFF_LANGUAGES, staff_gettext

__all__ = [
    "FORMULA_START",
    "SUPPRESSED",
    "WORKBOOK_WORDS",
    "footnote",
    "neutralize",
    "neutralize_codes",
    "results_csv",
    "results_csv_excel",
    "results_text",
]

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
    "with at least one": S_("responses with at least one such entry"),
    "entries": S_("entries per choice"),
    "by number": S_("responses by number of such entries"),
    "type": S_("type"),
    "label": S_("label"),
    "choice label": S_("choice label"),
    "column": S_("column"),
    "compare percent": S_("percent (compared wave)"),
    "change": S_("change (percentage points)"),
    "translation": S_("German translation"),
}


# -- terminal and CSV ------------------------------------------------------------------


def results_text(results: Results) -> str:
    """Results as a plain-text report for the terminal."""
    out = io.StringIO()
    group = results.group or "all questions"
    out.write(
        f"Survey {results.survey} (version {results.version}) | group: {group} | "
        f"responses: {shown(results.responses)} | minimum cell: {results.min_cell}\n"
    )
    if results.compare is not None:
        out.write(
            f"compared with {results.compare.survey} (version {results.compare.version}, "
            f"responses: {shown(results.compare.responses)}); change in percentage points\n"
        )
    if results.release is not None:
        released = results.release.released_at.isoformat()
        out.write(f"release {results.release.number} of {released}\n")
    else:
        out.write("live results (not released)\n")
    for question in results.questions:
        out.write(f"\n{question.name}: {question.label}\n")
        out.write(f"  {question.type}, n = {shown(question.n)}\n")
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
    rows = kind_of_result(question).table_rows(question)
    if rows:
        out.write(_table(rows))
    if question.by is not None:
        by = question.by
        out.write(f"  by {by.question}:\n")
        header = ["", *(by.column_labels[c] for c in by.columns), "total"]
        table = [header, ["n", *(shown(by.n[c]) for c in by.columns), shown(by.total)]]
        labels = question.choices or {key: bin_label(key) for key in by.counts}
        for key, cells in by.counts.items():
            table.append(
                [
                    labels.get(key, key),
                    *(shown(cells[c]) for c in by.columns),
                    shown(by.totals[key]),
                ]
            )
        for name, values in by.statistics.items():
            table.append([name, *(shown(values[c]) for c in by.columns), ""])
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
        writer.writerow([neutralize(shown(cell)) if cell != "" else "" for cell in row])
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
        yield from kind_of_result(q).csv_rows(q, head)
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
