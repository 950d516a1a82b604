"""The layout of a row-level export, whatever its format: the meta columns, the tables
and their link columns, and the tables' names. No pandas here, so the CSV route does not
load it.

- One row per submission, for admins: meta columns (`META`), then the questions'
  columns as their kinds give them (`Kind.export_columns`, built into Arrow tables by
  `analysis.csv_export.export_tables`): headers "label [name]", choice labels, one 1/0
  column per choice of a `select_multiple` question. Every format is written from those
  tables: CSV (`analysis.csv_export`: UTF-8 with BOM, which Excel reads the encoding
  from, texts quoted) and XLSX (`analysis.xlsx`), both chunk by chunk, so memory stays
  constant for a million rows. SPSS and Stata code answers their own way
  (`analysis.labelled`).
- Repeats, in KoboToolbox's "long" layout: the responses' table has a repeat's number
  of entries, and each repeat a table of its own (an XLSX sheet, a CSV file), one row
  per entry. Then the responses' table starts with `_index` (its row, from 1), and an
  entries table with `_index` (its own row), `_parent_table_name` and `_parent_index`
  (the table and `_index` of the response, or of the enclosing entry for a nested
  repeat), `_submission__index` (the response's `_index`) and `_position` (the entry's
  position from 1 within its response or enclosing entry), then the entry's questions.
- The form's codes (`values="codes"`): what KoboToolbox calls "XML values and headers"
  (formpack's export without a translation), so that scripts written against Kobo's
  exports read ours. Headers are the questions' names (without their groups: formpack's
  `hierarchy_in_labels` is off by default); a `select_one` is its choice's name as the
  form wrote it; a `select_multiple` the chosen names separated by spaces, in the form's
  order (ODK Collect and Enketo submit in the form's order), then formpack's "both"
  layout: a 1/0 column per choice named `question/choice`, empty where not answered.
  Meta columns, numbers, dates, texts, rankings (already names) and the repeats' tables
  are as with labels.

Formula injection: every text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is prefixed with `'`, so Excel or LibreOffice never evaluates an answer (or a
label) as a formula. Numbers of number questions are written as numbers; a negative
number cannot carry a formula, and turning it into text would corrupt the data. For the
same reason a choice's code that is a number (`-1`, `-99`; or a selection of them,
`1 -99`) is written as the form has it, as Kobo does; any other code that starts so
(`=cmd`, `@x`, `-x`) is prefixed as a text is (`analysis.cells.neutralize_codes`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from analysis.answers_arrow import repeats
from survey_app.questionnaire.schema import Questionnaire

__all__ = [
    "INDEX",
    "MAIN_TABLE",
    "META",
    "PARENT_INDEX",
    "PARENT_TABLE",
    "POSITION",
    "SUBMISSION_INDEX",
    "ExportValues",
    "entries_paths",
    "sheet_title",
    "table_names",
]

META = ("submitted_on", "language", "version", "status")
MAIN_TABLE = "responses"
"""The responses' table: its sheet, and `_parent_table_name` of a repeat's entries."""
INDEX = "_index"
PARENT_TABLE = "_parent_table_name"
PARENT_INDEX = "_parent_index"
SUBMISSION_INDEX = "_submission__index"
POSITION = "_position"

ExportValues = Literal["labels", "codes"]
"""What a row-level export writes of the questions: `labels`, for people (headers
"label [name]", choices' labels), or `codes`, for scripts written against KoboToolbox's
"XML values and headers" (the questions' names, the choices' names as the form wrote
them; see above)."""


def table_names(questionnaire: Questionnaire) -> dict[str | None, str]:
    """The tables of a row-level export by repeat (None: the responses'), each named
    for an XLSX sheet: `responses`, then the repeats' names (cut and made unique as
    Excel wants)."""
    used = {MAIN_TABLE}
    names: dict[str | None, str] = {None: MAIN_TABLE}
    for repeat in repeats(questionnaire):
        names[repeat.name] = sheet_title(repeat.name, used)
    return names


def sheet_title(label: str, used: set[str]) -> str:
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


def entries_paths(path: Path, questionnaire: Questionnaire) -> dict[str, Path]:
    """Where an export written to `path` puts each repeat's entries (CSV, SPSS, Stata):
    beside it, named `<stem>-<repeat><suffix>`, by repeat name."""
    return {
        repeat.name: path.with_name(f"{path.stem}-{repeat.name}{path.suffix}")
        for repeat in repeats(questionnaire)
    }
