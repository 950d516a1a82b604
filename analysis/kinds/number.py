"""Numbers (`integer`, `decimal`): how many answered, mean, median and quartiles.

Never the smallest or largest answer (one respondent's). A mean is shown where n is
shown and at least `min_cell`, the median and quartiles where n is at least
max(20, 2 * min_cell) (`analysis.suppression`); the same rules per breakdown column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from analysis.kinds.base import (
    MISSING,
    Chart,
    Counting,
    Dimension,
    Kind,
    Reading,
    Statistics,
    shown,
)
from analysis.publication_format import STATISTICS
from analysis.summaries import Number, QuestionResult
from analysis.suppression import order_statistics_shown, statistics_shown
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["NumberKind", "summary"]

#: The statistics of a number in the order charts and tables show them.
SHOWN = ("q1", "median", "mean", "q3")


def summary(values: pd.Series, n: int | None, k: int) -> dict[str, float | None]:
    """The statistics of `values` that `n` (the published n, None when hidden) allows."""
    found: dict[str, float | None] = dict.fromkeys(STATISTICS)
    if statistics_shown(n, k) and len(values):
        found["mean"] = round(float(values.mean()), 2)
    if order_statistics_shown(n, k) and len(values):
        q1, median, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
        found |= {"q1": round(q1, 2), "median": round(median, 2), "q3": round(q3, 2)}
    return found


class NumberKind(Kind):
    name = "number"
    types: ClassVar[tuple[QuestionType, ...]] = (QuestionType.INTEGER, QuestionType.DECIMAL)

    def answer_type(self, question: Question) -> pa.DataType:
        import pyarrow as pa

        return pa.float64()

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        """Nullable Int64 for an integer, float64 for a decimal."""
        from analysis.frames import number_column

        integers = question.type is QuestionType.INTEGER
        return {question.name: number_column(column, integers=integers)}

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        """Int64 for an integer, float64 for a decimal, as `frame_columns`."""
        from analysis.csv_export import csv_numbers

        return {header: csv_numbers(column, integers=question.type is QuestionType.INTEGER)}

    def statistics(
        self, frame: pd.DataFrame, dimension: Dimension, counting: Counting
    ) -> Statistics:
        """The statistics overall and in each column of the breakdowns published."""
        name, k = dimension.name, counting.k
        values = frame[name].astype("float64")
        statistics = {name: summary(values.dropna(), counting.numbers.get(f"n|{name}"), k)}
        for q, b in counting.pairs:
            if q != name:
                continue
            by = counting.dimensions[b]
            codes = counting.codes(frame, by)
            for position, column in enumerate((*by.categories, MISSING)):
                n = counting.numbers.get(f"column|{q}|{b}|{column}")
                statistics[f"{q}|{b}|{column}"] = summary(values[codes == position].dropna(), n, k)
        return statistics

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        found = reading.publication.statistics.get(question.name, {})
        return replace(
            head,
            mean=found.get("mean"),
            median=found.get("median"),
            q1=found.get("q1"),
            q3=found.get("q3"),
        )

    def breakdown_statistics(
        self, reading: Reading, question: Question, by: Question, columns: tuple[str, ...]
    ) -> dict[str, dict[str, Number]]:
        if question.name == by.name:
            return {}
        statistics = reading.publication.statistics
        found = {c: statistics.get(f"{question.name}|{by.name}|{c}", {}) for c in columns}
        return {s: {c: found[c].get(s) for c in columns} for s in STATISTICS}

    def chart(self, result: QuestionResult, statistic_labels: Mapping[str, str]) -> Chart | None:
        if result.mean is None:
            return None
        return Chart(tuple((statistic_labels.get(s, s), (getattr(result, s),)) for s in SHOWN))

    def table_rows(self, result: QuestionResult) -> list[list[str]]:
        return [["", *STATISTICS], ["", *(shown(getattr(result, s)) for s in STATISTICS)]]

    def csv_rows(self, result: QuestionResult, head: list[Any]) -> list[list[Any]]:
        rows = super().csv_rows(result, head) if result.mean is None else []
        if result.n:
            rows += [[*head, s, s, "", "", "", getattr(result, s), "", ""] for s in STATISTICS]
        return rows
