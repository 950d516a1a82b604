"""The layout of a row-level export shared by its writers (`analysis.exports` from
pandas frames, `analysis.csv_export` with pyarrow alone): the meta columns, the tables
and their link columns (KoboToolbox's long layout, see `analysis.exports`), and the
tables' names. No pandas here, so the CSV route does not load it.
"""

from __future__ import annotations

import re
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
them; see `analysis.exports`)."""


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
