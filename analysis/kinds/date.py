"""Dates (`date`): how many answered in each year bin fixed by the questionnaire.

Bins are whole years from the questionnaire, never from the answers (`date_bins`), and
the first and last are open, so no bin starts or ends at one respondent's answer. A
release stores its bins (`Publication.bins`) to be read the same way later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from analysis.kinds.base import Chart, Dimension, Kind, Reading, shown
from analysis.summaries import QuestionResult
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from analysis.kinds.base import IntArray

__all__ = ["DateKind", "bin_label", "date_bins"]


def date_bins(question: Question, reference_year: int) -> tuple[str, ...]:
    """Whole years from the questionnaire: the years of the constraint's `date('...')`
    literals (earliest to latest; one literal is the earliest), else the ten years up to
    `reference_year` (the year the survey was first published). The first and last bins
    are open ("-2015": 2015 or earlier, "2026-": 2026 or later), so no bin starts or ends
    at one respondent's answer."""
    years = sorted({int(y) for y in re.findall(r"date\(\s*'(\d{4})-", question.constraint or "")})
    first = years[0] if years else reference_year - 9
    last = years[-1] if len(years) > 1 else max(reference_year, first + 1)
    return (f"-{first}", *(str(year) for year in range(first + 1, last)), f"{last}-")


def bin_label(key: str) -> str:
    """A date bin's label in any language: "≤ 2017", "2018", "≥ 2026"."""
    if key.startswith("-"):
        return f"≤ {key[1:]}"
    if key.endswith("-"):
        return f"≥ {key[:-1]}"
    return key


class DateKind(Kind):
    name = "date"
    types = (QuestionType.DATE,)

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        from analysis.frames import date_column

        return {question.name: date_column(column)}

    def answer_values(
        self, frame: pd.DataFrame, questionnaire: Questionnaire, question: Question
    ) -> list[Any]:
        import pandas as pd

        return [None if pd.isna(x) else x.date().isoformat() for x in frame[question.name]]

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.csv_export import csv_date_texts

        return {header: csv_date_texts(column)}

    def dimension(
        self, questionnaire: Questionnaire, question: Question, reference_year: int
    ) -> Dimension:
        return Dimension(question, date_bins(question, reference_year))

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        import numpy as np

        missing = len(dimension.categories)
        years = frame[dimension.name].dt.year.to_numpy(dtype="float64", na_value=np.nan)
        first = int(dimension.categories[0][1:])
        position = np.clip(years - first, 0, missing - 1)
        return np.where(np.isnan(years), missing, np.nan_to_num(position)).astype(np.int64)

    def bins(self, dimension: Dimension) -> tuple[str, ...] | None:
        return dimension.categories

    def rows(self, reading: Reading, question: Question) -> dict[str, str]:
        return {key: bin_label(key) for key in reading.publication.bins.get(question.name, ())}

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        rows = self.rows(reading, question)
        return replace(
            head, months={key: reading.get(f"count|{question.name}|{key}") for key in rows}
        )

    def breakdown_rows(self, reading: Reading, question: Question) -> list[str]:
        return list(self.rows(reading, question))

    def chart(self, result: QuestionResult, statistic_labels: Mapping[str, str]) -> Chart | None:
        return Chart(
            tuple((key, (None if x is None else float(x),)) for key, x in result.months.items())
        )

    def table_rows(self, result: QuestionResult) -> list[list[str]]:
        if not result.months:
            return []
        return [
            ["year", "count"],
            *([bin_label(key), shown(x)] for key, x in result.months.items()),
        ]

    def csv_rows(self, result: QuestionResult, head: list[Any]) -> list[list[Any]]:
        rows = [] if result.months else super().csv_rows(result, head)
        rows += [
            [*head, key, bin_label(key), "", x, "", "", "", ""] for key, x in result.months.items()
        ]
        return rows
